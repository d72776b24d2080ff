"""From a layout's rows to the message frame and the quarantine, the same way for every chat layout.

A stage frame holds, per record: shop, buyer, agent, role, sent_at (text or datetime), text,
source_line, and optionally msg_id (the exporter's id, kept as source_msg_id), problem (a reason the layout already found;
it is then the only reason given) and raw (the record's text for the quarantine).
"""
from __future__ import annotations

from typing import Callable

import polars as pl

from qc_pipeline.ingest.model import MESSAGE_SCHEMA, QUARANTINE_SCHEMA
from qc_pipeline.ingest.msgid import message_ids
from qc_pipeline.ingest.tables import filled_raw
from qc_pipeline.ingest.timeparse import TimeWindow, complete, fast, native

ROLE_ALIASES = {
    "buyer": "buyer", "买家": "buyer", "客户": "buyer", "顾客": "buyer",
    "agent": "agent", "客服": "agent", "人工客服": "agent",
    "auto": "auto", "自动回复": "auto", "机器人": "auto", "auto_reply": "auto", "bot": "auto",
    "system": "system", "系统": "system",
}

RawLookup = Callable[[list[int]], list[str]]


def _exact_role(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Utf8).replace_strict(ROLE_ALIASES, default=None, return_dtype=pl.Utf8)


def _complete_roles(exact: pl.Series, role: pl.Series) -> pl.Series:
    """Trimming and lowering every row costs more than fixing the rare odd spelling afterwards."""
    odd = (exact.is_null() & role.is_not_null()).arg_true()
    if len(odd):
        loose = role.cast(pl.Utf8).gather(odd).str.strip_chars().str.to_lowercase()
        exact = exact.scatter(odd, loose.replace_strict(ROLE_ALIASES, default=None, return_dtype=pl.Utf8))
    return exact


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column) == "")


def _quoted(column: str) -> pl.Expr:
    return pl.lit("'") + pl.col(column).fill_null("") + pl.lit("'")


def _reasons(time_text: pl.Expr, window: TimeWindow) -> pl.Expr:
    checks = [
        pl.when(pl.col("_sent_at").is_null()).then(
            pl.when(time_text.is_null() | (time_text.str.strip_chars() == ""))
            .then(pl.lit("missing time"))
            .otherwise(pl.lit("unreadable time '") + time_text + pl.lit("'"))
        ).when(window.outside("_sent_at")).then(pl.lit(window.reason)),
        pl.when(pl.col("_role").is_null()).then(
            pl.when(_blank("role")).then(pl.lit("missing role")).otherwise(pl.lit("unknown role ") + _quoted("role"))
        ),
        pl.when(_blank("buyer")).then(pl.lit("empty buyer")),
        pl.when(_blank("shop")).then(pl.lit("empty shop")),
        pl.when(pl.col("_role").is_in(["agent", "auto"]) & _blank("agent")).then(
            pl.col("_role") + pl.lit(" row without agent account")
        ),
    ]
    found = pl.concat_str(checks, separator="; ", ignore_nulls=True)
    return pl.when(pl.col("problem").is_not_null()).then(pl.col("problem")).otherwise(found)


def finish_chat(
    stage: pl.DataFrame, path: str, timezone: str, raw_of: RawLookup | None = None, *, window: TimeWindow,
    ids: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(messages, quarantine) for a stage frame; rows keep their file order; times outside
    ``window`` are quarantined. ``source_msg_id`` holds
    the id the export gives (else null). Without ``ids``, ``msg_id`` is null: a file read in pieces
    gets its ids in the warehouse, where the occurrence index can count over the whole file."""
    for optional in ("msg_id", "problem", "raw", "agent"):
        if optional not in stage.columns:
            stage = stage.with_columns(pl.lit(None, pl.Utf8).alias(optional))
    time_is_text = stage.schema["sent_at"] == pl.Utf8
    time_text = pl.col("sent_at") if time_is_text else pl.col("sent_at").cast(pl.Utf8)
    # One pass so polars runs the column work side by side; the rare leftovers are fixed after.
    stage = stage.with_columns(
        [pl.col(c).cast(pl.Utf8).str.strip_chars().alias(c) for c in ("shop", "buyer", "agent")]
        + [pl.col("text").cast(pl.Utf8).fill_null(""), _exact_role("role").alias("_role")]
        + ([fast("sent_at").alias("_sent_at")] if time_is_text else [])
    )
    sent_at = (
        complete(stage["_sent_at"], stage["sent_at"], timezone) if time_is_text else native(stage["sent_at"], timezone)
    )
    stage = stage.with_columns(_complete_roles(stage["_role"], stage["role"]).alias("_role"), sent_at.alias("_sent_at"))
    stage = stage.with_columns(_reasons(time_text, window).alias("_reason"))
    bad_mask = stage.select(pl.col("_reason").is_not_null() & (pl.col("_reason") != "")).to_series()
    if bad_mask.any():
        good, bad = stage.filter(~bad_mask), stage.filter(bad_mask)
    else:
        good, bad = stage, stage.clear()
    messages = _messages(good, path, ids)
    return messages, _quarantine(bad, path, raw_of)


def _messages(good: pl.DataFrame, path: str, ids: bool = True) -> pl.DataFrame:
    good = good.with_columns(
        pl.col("_role").alias("role"),
        pl.col("_sent_at").alias("sent_at"),
        pl.when(pl.col("agent") == "").then(None).otherwise(pl.col("agent")).alias("agent"),
    )
    # An exporter's id is an attribute (source_msg_id), never the identity: exporters reuse ids across
    # files and repeat them within one, so msg_id is always computed from the content.
    given = pl.col("msg_id").cast(pl.Utf8).str.strip_chars()
    good = good.with_columns(pl.when(given == "").then(None).otherwise(given).alias("source_msg_id"))
    if ids:
        good = good.with_columns(message_ids(good).alias("msg_id"))
    else:
        good = good.with_columns(pl.lit(None, pl.Utf8).alias("msg_id"))
    return good.select(
        pl.col("msg_id"), pl.col("shop"), pl.col("buyer"), pl.col("agent"), pl.col("role"),
        pl.col("sent_at"), pl.col("text"), pl.lit(path).alias("source_path"),
        pl.col("source_line").cast(pl.Int64), pl.col("source_msg_id"),
    ).cast(MESSAGE_SCHEMA)


def _quarantine(bad: pl.DataFrame, path: str, raw_of: RawLookup | None) -> pl.DataFrame:
    if bad.is_empty():
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    raw = filled_raw(bad["raw"], bad["source_line"], raw_of)
    return pl.DataFrame(
        {
            "source_path": [path] * len(bad),
            "source_line": bad["source_line"].cast(pl.Int64),
            "reason": bad["_reason"],
            "raw": raw,
        },
        schema=QUARANTINE_SCHEMA,
    )
