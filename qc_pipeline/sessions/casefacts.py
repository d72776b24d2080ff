"""Per-session facts the after-sale KPIs read: whether the buyer raised a refund, and whether the buyer
came back within the reopen horizon (a reopened case).

The refund wording is data (`refund_topic.toml`), validated when loaded; matching is on buyer messages only.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import polars as pl

from qc_pipeline.lexicon import Entry, alternation, parse_lexicons

# A refund-topic entry: the shared lexicon entry (id, pattern, severity, explanation, source).
Topic = Entry


def parse_topics(text: str, where: str) -> tuple[Topic, ...]:
    """The entries of a topic lexicon; every entry needs all fields and a valid regular expression."""
    return parse_lexicons(text, where, ("topic",))["topic"]


@lru_cache(maxsize=1)
def refund_topics() -> tuple[Topic, ...]:
    text = resources.files("qc_pipeline.sessions").joinpath("refund_topic.toml").read_text(encoding="utf-8")
    return parse_topics(text, "refund_topic.toml")


def refund_pattern(topics: tuple[Topic, ...]) -> str:
    return alternation(topics)


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
