"""Per-session facts the after-sale KPIs read: whether the buyer raised a refund, and whether the buyer
came back within the reopen horizon (a reopened case).

The refund wording is data (`refund_topic.toml`), validated when loaded; matching is on buyer messages only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.tomlfiles import loads

_FIELDS = ("id", "pattern", "severity", "explanation", "source")


@dataclass(frozen=True)
class Topic:
    id: str
    pattern: str
    severity: str
    explanation: str
    source: str


def parse_topics(text: str, where: str) -> tuple[Topic, ...]:
    """The entries of a topic lexicon; every entry needs all fields and a valid regular expression."""
    raw = loads(text)
    entries = raw.get("topic")
    if not isinstance(entries, list) or not entries:
        raise UserError(f"{where}: needs at least one [[topic]] entry")
    seen: set[str] = set()
    topics = []
    for i, entry in enumerate(entries):
        at = f"{where}: topic[{i}]"
        unknown = set(entry) - set(_FIELDS)
        if unknown:
            raise UserError(f"{at}: unknown key '{sorted(unknown)[0]}'")
        for key in _FIELDS:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise UserError(f"{at}: '{key}' must be a non-empty text")
        if entry["id"] in seen:
            raise UserError(f"{at}: duplicate id '{entry['id']}'")
        seen.add(entry["id"])
        try:
            re.compile(entry["pattern"])
        except re.error as exc:
            raise UserError(f"{at}: bad regular expression {entry['pattern']!r}: {exc}") from None
        topics.append(Topic(**{k: entry[k] for k in _FIELDS}))
    return tuple(topics)


@lru_cache(maxsize=1)
def refund_topics() -> tuple[Topic, ...]:
    text = resources.files("qc_pipeline.sessions").joinpath("refund_topic.toml").read_text(encoding="utf-8")
    return parse_topics(text, "refund_topic.toml")


def refund_pattern(topics: tuple[Topic, ...]) -> str:
    return "|".join(f"(?:{t.pattern})" for t in topics)


def with_case_facts(sessions: pl.DataFrame, ordered: pl.DataFrame, texts: pl.DataFrame, pattern: str,
                    reopen_hours: float) -> pl.DataFrame:
    """`sessions` with `refund_topic` (a buyer message of the session matches `pattern`) and `reopened_at`
    (the start of the buyer's next session with the shop when it starts at most `reopen_hours` after this
    one ended; exactly on the horizon still counts)."""
    buyer_texts = ordered.filter(pl.col("role") == "buyer").select("msg_id", "session_id").join(
        texts.select("msg_id", "text"), on="msg_id", how="inner")
    refund = buyer_texts.group_by("session_id").agg(pl.col("text").str.contains(pattern).any().alias("refund_topic"))
    horizon = pl.duration(microseconds=int(round(reopen_hours * 3600 * 1_000_000)))
    nxt = pl.col("started_at").shift(-1).over("shop", "buyer")
    return (
        sessions.with_row_index("_pos").sort("shop", "buyer", "started_at")
        .with_columns(pl.when(nxt - pl.col("ended_at") <= horizon).then(nxt).alias("reopened_at"))
        .join(refund, on="session_id", how="left")
        .with_columns(pl.col("refund_topic").fill_null(False))
        .sort("_pos").drop("_pos")
    )
