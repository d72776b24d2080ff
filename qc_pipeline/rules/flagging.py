"""The flag stage over a whole message table: a vectorised prefilter picks the few messages that hold
any term, trigger or cue, and only those distinct texts go through the precise step."""
from __future__ import annotations

import polars as pl

from qc_pipeline.rules.model import Hit, Hits, RuleSet

FLAG_SCHEMA = {
    "msg_id": pl.Utf8,
    "rule_id": pl.Utf8,
    "category": pl.Utf8,
    "severity": pl.Utf8,
    "start": pl.Int32,
    "end": pl.Int32,
    "matched": pl.Utf8,
    "rule_version": pl.Utf8,
    "probability": pl.Float64,
}
_HIT_SCHEMA = {
    "_key": pl.UInt32, "rule_id": pl.Utf8, "category": pl.Utf8, "severity": pl.Utf8,
    "start": pl.Int32, "end": pl.Int32, "matched": pl.Utf8, "probability": pl.Float64,
}


def check_text(text: str, ruleset: RuleSet, role: str = "agent", context: str | None = None) -> list[Hit]:
    """The hits in one message, ordered by start, then rule id; none for buyer or system messages.
    `context` is the buyer's last message before it (what it answers), None when unknown.
    The list is a `Hits`: its `candidates` are every match considered, kept or dropped, and why."""
    engine = ruleset.engine
    if role not in engine.roles:
        return Hits()
    trace = []
    hits = engine.check(text, role, trace, context)
    return Hits(hits, sorted(trace, key=lambda c: (c.start, c.end, c.rule_id)))


def flag_messages(messages: pl.DataFrame, ruleset: RuleSet) -> pl.DataFrame:
    """One row per hit (FLAG_SCHEMA), in input order, then start, then rule id. An optional `context`
    column holds the buyer's last message before each reply (null: unknown)."""
    engine = ruleset.engine
    context = (pl.col("context").cast(pl.Utf8) if "context" in messages.columns and engine.reads_buyer
               else pl.lit(None, dtype=pl.Utf8)).alias("context")
    frame = messages.select(
        pl.col("msg_id").cast(pl.Utf8), pl.col("role").cast(pl.Utf8), pl.col("text").cast(pl.Utf8), context
    ).with_row_index("_row")
    checked = pl.col("role").is_in(engine.roles) & pl.col("text").is_not_null()
    if not engine.wake_all:
        if not engine.wake_terms and not engine.short_wake_terms:
            return pl.DataFrame(schema=FLAG_SCHEMA)
        woken = pl.col("text").str.contains_any(engine.wake_terms, ascii_case_insensitive=True)
        if engine.short_wake_terms:
            woken = woken | (
                (pl.col("text").str.len_chars() <= engine.short_max_chars)
                & pl.col("text").str.contains_any(engine.short_wake_terms, ascii_case_insensitive=True)
            )
        checked = checked & woken
    # Lazy, so that polars splits the scan over its threads.
    candidates = frame.lazy().filter(checked).collect()
    # Shops answer with the same quick phrases all day, so each distinct text is checked once.
    # (With the buyer's message too when a rule reads it; a null context joins as unknown.)
    keys = candidates.select("text", "role", "context").unique(maintain_order=True)
    results = engine.check_many(list(zip(keys["text"].to_list(), keys["role"].to_list(), keys["context"].to_list())))
    rows = [
        (key, h.rule_id, h.category, h.severity, h.start, h.end, h.matched, h.probability)
        for key, hits in enumerate(results)
        for h in hits
    ]
    if not rows:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    hits = pl.DataFrame(rows, schema=_HIT_SCHEMA, orient="row")
    return (
        candidates.join(keys.with_row_index("_key"), on=["text", "role", "context"], nulls_equal=True)
        .join(hits, on="_key")
        .sort("_row", "start", "rule_id")
        .with_columns(pl.lit(ruleset.version).alias("rule_version"))
        .select(list(FLAG_SCHEMA))
        .cast(FLAG_SCHEMA)
    )
