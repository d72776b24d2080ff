"""Look-up promises (答应为客户查询的问题，原则上不超过24小时；如需交接务必交接清楚): table `promises`.

A promise opens at a human agent's message matching the promise lexicon. It is kept by the first later
substantive human agent message to the same buyer of the same shop, from any agent (a handover counts),
in any session. A message is substantive unless it is only pleasantries (the pleasantry lexicon) with
punctuation, emoji and spaces; a message that itself promises does not keep an earlier promise.

Status: `kept` (that reply comes at or before `due` = promised_at + due hours, wall clock), `late` (after
due, within the follow horizon), otherwise `broken` when the shop's latest loaded message is at or past
due, `open` when due lies after it. A reply after the follow horizon is not a follow-up of the promise.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.standard.lexicons import StandardLexicons

PROMISE_SCHEMA = {
    "msg_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "agent": pl.Utf8, "promised_at": pl.Datetime("us"),
    "due": pl.Datetime("us"), "kept_at": pl.Datetime("us"), "kept_by": pl.Utf8, "kept_msg_id": pl.Utf8,
    "keep_seconds": pl.Float64, "status": pl.Utf8, "lexicon_id": pl.Utf8, "week": pl.Utf8,
}
# Anything that is neither a letter nor a digit (punctuation, emoji, spaces): what a pleasantry may carry.
_NOT_WORD = r"[\W_]+"


def _hours(hours: float) -> pl.Expr:
    return pl.duration(microseconds=int(round(hours * 3600 * 1_000_000)))


def agent_texts(messages: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    """Human agents' messages (role agent; auto-replies are not the agent's words) with their text."""
    return (
        messages.filter(pl.col("role") == "agent")
        .select("msg_id", "shop", "buyer", "agent", "sent_at", "source_line")
        .join(texts.select("msg_id", "text"), on="msg_id", how="inner")
    )


def substantive(text: pl.Expr, lexicons: StandardLexicons) -> pl.Expr:
    """The text holds something besides pleasantries, punctuation, emoji and spaces."""
    residue = text.str.replace_all(lexicons.pleasantry_pattern, "").str.replace_all(_NOT_WORD, "")
    return residue.str.len_chars() > 0


def _first_match(text: pl.Expr, lexicons: StandardLexicons) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.Utf8)
    for entry in reversed(lexicons.promise):
        expr = pl.when(text.str.contains(entry.pattern)).then(pl.lit(entry.id)).otherwise(expr)
    return expr


def promises_table(messages: pl.DataFrame, texts: pl.DataFrame, latest: pl.DataFrame, lexicons: StandardLexicons,
                   due_hours: float, follow_hours: float) -> pl.DataFrame:
    """One row per promising message. `messages` (msg_id, shop, buyer, agent, role, sent_at, source_line)
    must hold each buyer's messages up to `follow_hours` after its promises; `texts` (msg_id, text);
    `latest` (shop, latest_at): each shop's latest loaded message, which decides open against broken."""
    said = agent_texts(messages, texts).with_columns(
        pl.col("text").str.contains(lexicons.promise_pattern).alias("_promise"))
    if said.is_empty():
        return pl.DataFrame(schema=PROMISE_SCHEMA)
    said = said.with_columns((substantive(pl.col("text"), lexicons) & ~pl.col("_promise")).alias("_answer"))
    promises = said.filter(pl.col("_promise")).select(
        "msg_id", "shop", "buyer", "agent", pl.col("sent_at").alias("promised_at"),
        _first_match(pl.col("text"), lexicons).alias("lexicon_id"),
    ).sort("promised_at")
    # Of several answers in one second, the one the export lists first.
    answers = (
        said.filter(pl.col("_answer")).sort("shop", "buyer", "sent_at", "source_line")
        .unique(["shop", "buyer", "sent_at"], keep="first", maintain_order=True)
        .select("shop", "buyer", pl.col("sent_at").alias("kept_at"), pl.col("agent").alias("kept_by"),
                pl.col("msg_id").alias("kept_msg_id"))
        .sort("kept_at")
    )
    # The first answer strictly after the promise (an answer in the same second cannot be the look-up's).
    joined = promises.join_asof(answers, left_on="promised_at", right_on="kept_at", by=["shop", "buyer"],
                                strategy="forward", allow_exact_matches=False, check_sortedness=False)
    within = pl.col("kept_at") <= pl.col("promised_at") + _hours(follow_hours)
    joined = joined.with_columns(
        [pl.when(within).then(pl.col(c)).alias(c) for c in ("kept_at", "kept_by", "kept_msg_id")]
    ).with_columns((pl.col("promised_at") + _hours(due_hours)).alias("due"))
    joined = joined.join(latest.select("shop", "latest_at"), on="shop", how="left")
    status = (
        pl.when(pl.col("kept_at") <= pl.col("due")).then(pl.lit("kept"))
        .when(pl.col("kept_at").is_not_null()).then(pl.lit("late"))
        .when(pl.col("due") > pl.col("latest_at")).then(pl.lit("open"))
        .otherwise(pl.lit("broken"))
    )
    return joined.with_columns(
        status.alias("status"),
        ((pl.col("kept_at") - pl.col("promised_at")).dt.total_microseconds() / 1_000_000).alias("keep_seconds"),
        iso_week("promised_at").alias("week"),
    ).select(list(PROMISE_SCHEMA)).cast(PROMISE_SCHEMA).sort("shop", "buyer", "promised_at", "msg_id")


def shop_latest(messages: pl.DataFrame) -> pl.DataFrame:
    """(shop, latest_at): the latest message of each shop among `messages`."""
    return messages.group_by("shop").agg(pl.col("sent_at").max().alias("latest_at"))
