"""agent_week: one row per (week, shop, agent) joining every stage's weekly figures.

Pure functions of frames. Response figures: medians and p90 are over answered rounds only and
interpolate linearly (as DuckDB's quantile_cont does); the within-target shares count unanswered rounds
as not met. Flag figures count violations, not spans: a message with two hits of one category is one
violation of that category, and one with hits of two categories is one violation of each.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.conversion.bands import conversion_band
from qc_pipeline.rules import CATEGORIES, SEVERITIES

KEYS = ["week", "shop", "agent"]
# KPI counts that are 0, not unknown, for an agent-week without rounds.
RECEPTION_COUNTS = ("consulted_buyers", "received_buyers", "buyer_msgs", "agent_msgs")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # critical first


def _share(hit: pl.Expr, of: pl.Expr) -> pl.Expr:
    total = of.sum()
    return pl.when(total > 0).then(100.0 * hit.sum() / total).otherwise(None)


def agent_week_response(rounds: pl.DataFrame, wait_cap_seconds: int) -> pl.DataFrame:
    """The response-time columns of agent_week, one row per (week, shop, agent) with a named agent."""
    answered = ~pl.col("unanswered")
    first, follow = pl.col("is_first"), ~pl.col("is_first")
    wait = pl.col("wait_seconds")
    cap = float(wait_cap_seconds)
    return (
        rounds.filter(pl.col("agent").is_not_null())
        .group_by(KEYS)
        .agg(
            pl.col("session_id").n_unique().cast(pl.Int64).alias("sessions"),
            pl.len().cast(pl.Int64).alias("rounds"),
            first.sum().cast(pl.Int64).alias("first_rounds"),
            wait.filter(first & answered).quantile(0.5, "linear").alias("first_median_s"),
            wait.filter(first & answered).quantile(0.9, "linear").alias("first_p90_s"),
            _share(first & pl.col("met_target"), first).alias("first_within_target_pct"),
            wait.filter(follow & answered).quantile(0.5, "linear").alias("follow_median_s"),
            wait.filter(follow & answered).quantile(0.9, "linear").alias("follow_p90_s"),
            _share(follow & pl.col("met_target"), follow).alias("follow_within_target_pct"),
            pl.col("unanswered").sum().cast(pl.Int64).alias("unanswered_rounds"),
            pl.when(pl.col("unanswered")).then(cap).otherwise(wait.clip(upper_bound=cap)).mean()
            .alias("avg_wait_capped_s"),
        )
    )


def _violations(flags: pl.DataFrame) -> pl.DataFrame:
    """One row per (message, category) among human agents' flags, with the gravest severity of its hits.
    Auto-reply flags are the shop's settings to fix, not the agent's."""
    return (
        flags.filter(pl.col("role") == "agent")
        .with_columns(pl.col("severity").replace_strict(_SEVERITY_RANK, default=len(SEVERITIES)).alias("_rank"))
        .group_by([*KEYS, "session_id", "msg_id", "category"])
        .agg(pl.col("_rank").min(), pl.len().alias("_hits"))
    )


def weekly_flag_counts(flags: pl.DataFrame) -> pl.DataFrame:
    """flags_total (violations), per severity and per category, and the sessions holding any violation."""
    v = _violations(flags)
    return v.group_by(KEYS).agg(
        pl.len().cast(pl.Int64).alias("flags_total"),
        *[(pl.col("_rank") == i).sum().cast(pl.Int64).alias(f"flags_{s}") for s, i in _SEVERITY_RANK.items()],
        *[(pl.col("category") == c).sum().cast(pl.Int64).alias(f"flags_{c}") for c in CATEGORIES],
        pl.col("session_id").drop_nulls().n_unique().cast(pl.Int64).alias("violation_sessions"),
    )


def agent_week_flags(flags: pl.DataFrame) -> pl.DataFrame:
    """The long form beside agent_week's wide columns: per (week, shop, agent, category) the flagged
    messages (violations) and the hits (spans), for every category a rule set declares."""
    return (
        _violations(flags)
        .group_by([*KEYS, "category"])
        .agg(pl.len().cast(pl.Int64).alias("violations"), pl.col("_hits").sum().cast(pl.Int64).alias("hits"),
             pl.col("session_id").drop_nulls().n_unique().cast(pl.Int64).alias("sessions"))
        .sort([*KEYS, "category"])
    )


def weekly_scores(scores: pl.DataFrame) -> pl.DataFrame:
    return scores.filter(pl.col("agent").is_not_null()).group_by(KEYS).agg(
        pl.len().cast(pl.Int64).alias("scored_sessions"),
        pl.col("score").mean().round(2).alias("qc_score_avg"),
        pl.col("auto_failed").sum().cast(pl.Int64).alias("auto_failed_sessions"),
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
    kpis: tuple[pl.DataFrame, ...] = (),
) -> pl.DataFrame:
    """Every part joined on (week, shop, agent); `kpis` are the seller-tool KPI frames (weekly/kpis.py)."""
    table = response
    for part in (flag_counts, conversion, scores, *kpis):
        table = table.join(part, on=KEYS, how="full", coalesce=True)
    zero_counts = [c for c in table.columns if c.startswith("flags_")] + [
        "sessions", "rounds", "first_rounds", "unanswered_rounds", "scored_sessions", "auto_failed_sessions",
        "violation_sessions",
    ] + [c for c in RECEPTION_COUNTS if c in table.columns]
    table = table.with_columns([pl.col(c).fill_null(0) for c in zero_counts])
    table = table.with_columns(
        pl.when(pl.col("sessions") > 0).then(100.0 * pl.col("violation_sessions") / pl.col("sessions"))
        .otherwise(None).alias("violation_session_pct")
    )
    table = table.join(
        roster.select("agent", pl.col("name").alias("agent_name"), pl.col("role").alias("agent_role")),
        on="agent", how="left",
    ).with_columns(pl.col("agent_role").fill_null(default_role))
    return table.sort(KEYS)
