"""agent_week: one row per (week, shop, agent) joining every stage's weekly figures."""
from __future__ import annotations

import polars as pl

from qc_pipeline.conversion.bands import conversion_band
from qc_pipeline.rules import SEVERITIES
from qc_pipeline.store.schema import FLAG_CATEGORIES

KEYS = ["week", "shop", "agent"]


def weekly_flag_counts(flags: pl.DataFrame) -> pl.DataFrame:
    """Flags on human agents' messages per week; auto-reply flags are the shop's settings, not the agent's."""
    human = flags.filter(pl.col("role") == "agent")
    return human.group_by(KEYS).agg(
        pl.len().alias("flags_total"),
        *[(pl.col("severity") == s).sum().alias(f"flags_{s}") for s in SEVERITIES],
        *[(pl.col("category") == c).sum().alias(f"flags_{c}") for c in FLAG_CATEGORIES],
    )


def weekly_scores(scores: pl.DataFrame) -> pl.DataFrame:
    return scores.filter(pl.col("agent").is_not_null()).group_by(KEYS).agg(
        pl.len().alias("scored_sessions"),
        pl.col("score").mean().round(2).alias("qc_score_avg"),
        pl.col("auto_failed").sum().alias("auto_failed_sessions"),
    )


def with_bands(conversion: pl.DataFrame, bands: list[dict], min_inquiries: int) -> pl.DataFrame:
    labels = [
        conversion_band(p, i, bands, min_inquiries)
        for p, i in zip(conversion["paying_buyers"].to_list(), conversion["inquiries"].to_list())
    ]
    return conversion.with_columns(pl.Series("conversion_band", labels, dtype=pl.Utf8))


def agent_week_table(
    response: pl.DataFrame,
    flag_counts: pl.DataFrame,
    conversion: pl.DataFrame,
    scores: pl.DataFrame,
    roster: pl.DataFrame,
    default_role: str,
) -> pl.DataFrame:
    table = response.drop("agent_name", "agent_role")
    for part in (flag_counts, conversion, scores):
        table = table.join(part, on=KEYS, how="full", coalesce=True)
    zero_counts = [c for c in table.columns if c.startswith("flags_")] + [
        "sessions", "rounds", "first_rounds", "unanswered_rounds", "scored_sessions", "auto_failed_sessions",
    ]
    table = table.with_columns([pl.col(c).fill_null(0) for c in zero_counts])
    table = table.join(
        roster.select("agent", pl.col("name").alias("agent_name"), pl.col("role").alias("agent_role")),
        on="agent", how="left",
    ).with_columns(pl.col("agent_role").fill_null(default_role))
    return table.sort(KEYS)
