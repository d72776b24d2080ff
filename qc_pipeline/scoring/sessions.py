"""Score every session against the scorecard and keep each deduction with its reason."""
from __future__ import annotations

import polars as pl

from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.rules import SEVERITIES
from qc_pipeline.scoring.scorecard import Scorecard

DEDUCTION_SCHEMA = {
    "session_id": pl.Utf8, "category": pl.Utf8, "points": pl.Float64, "reason": pl.Utf8, "msg_id": pl.Utf8,
}


def response_deductions(rounds: pl.DataFrame, card: Scorecard) -> pl.DataFrame:
    missed = rounds.filter(~pl.col("met_target"))
    reason = (
        pl.when(pl.col("unanswered"))
        .then(pl.format("第{}轮买家未获人工回复 (round {} unanswered)", "round_no", "round_no"))
        .otherwise(
            pl.format(
                "第{}轮响应 {} 秒，超过目标 {} 秒 (round {} answered in {} s, target {} s)",
                "round_no", pl.col("wait_seconds").round(0).cast(pl.Int64), "target_seconds",
                "round_no", pl.col("wait_seconds").round(0).cast(pl.Int64), "target_seconds",
            )
        )
    )
    points = (
        pl.when(pl.col("unanswered")).then(pl.lit(card.points("responsiveness", "unanswered")))
        .when(pl.col("is_first")).then(pl.lit(card.points("responsiveness", "first_missed")))
        .otherwise(pl.lit(card.points("responsiveness", "follow_missed")))
    )
    return missed.sort("session_id", "round_no").select(
        "session_id", pl.lit("responsiveness").alias("category"), points.alias("points"),
        reason.alias("reason"), pl.col("first_msg_id").alias("msg_id"),
    )


def compliance_deductions(flags: pl.DataFrame, card: Scorecard) -> pl.DataFrame:
    """Points off per flag on a human agent's message: the scorecard's points for its severity, times the
    rule's `weight` when the flags carry one (a shop's rule file re-weights a rule with it)."""
    human = flags.filter(pl.col("role") == "agent")
    per_severity = {sev: card.points("compliance", sev) for sev in SEVERITIES}
    return human.sort("session_id", "sent_at", "start").select(
        "session_id",
        pl.lit("compliance").alias("category"),
        (pl.col("severity").replace_strict(per_severity, default=0.0, return_dtype=pl.Float64)
         * (pl.col("weight") if "weight" in human.columns else pl.lit(1.0))).alias("points"),
        pl.format("{} {}（{}）：「{}」", "rule_id", "category", "severity", "matched").alias("reason"),
        "msg_id",
    )


def outcome_deductions(outcomes: pl.DataFrame, card: Scorecard) -> pl.DataFrame:
    lost = {True: 100 - card.points("outcome", "converted"), False: 100 - card.points("outcome", "not_converted")}
    return (
        outcomes.with_columns(
            pl.col("converted").replace_strict(lost, return_dtype=pl.Float64).alias("points"),
        )
        .filter(pl.col("points") > 0)
        .select(
            "session_id", pl.lit("outcome").alias("category"), "points",
            pl.when(pl.col("converted")).then(pl.lit("询单已转化 (inquiry converted)"))
            .otherwise(pl.lit("询单未转化 (inquiry did not convert)")).alias("reason"),
            pl.lit(None, pl.Utf8).alias("msg_id"),
        )
    )


def score_sessions(
    sessions: pl.DataFrame, rounds: pl.DataFrame, flags: pl.DataFrame, outcomes: pl.DataFrame, card: Scorecard
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(session_scores, score_deductions). `outcomes` has (session_id, converted) for presale sessions only;
    other sessions are scored on responsiveness and compliance alone."""
    deductions = pl.concat(
        [
            response_deductions(rounds, card).cast(DEDUCTION_SCHEMA),
            compliance_deductions(flags, card).cast(DEDUCTION_SCHEMA),
            outcome_deductions(outcomes, card).cast(DEDUCTION_SCHEMA),
        ]
    )
    lost = deductions.group_by("session_id").agg(
        *[
            pl.col("points").filter(pl.col("category") == c).sum().alias(f"_lost_{c}")
            for c in ("responsiveness", "compliance", "outcome")
        ]
    )
    critical = (
        flags.filter((pl.col("role") == "agent") & (pl.col("severity") == "critical"))
        .select("session_id").unique().with_columns(pl.lit(True).alias("_critical"))
    )
    scored = (
        sessions.select("session_id", pl.col("primary_agent").alias("agent"), "started_at")
        .join(lost, on="session_id", how="left")
        .join(outcomes.select("session_id", pl.lit(True).alias("_has_outcome")), on="session_id", how="left")
        .join(critical, on="session_id", how="left")
        .with_columns(
            (100 - pl.col("_lost_responsiveness").fill_null(0)).clip(0, 100).alias("responsiveness"),
            (100 - pl.col("_lost_compliance").fill_null(0)).clip(0, 100).alias("compliance"),
            pl.when(pl.col("_has_outcome").fill_null(False))
            .then((100 - pl.col("_lost_outcome").fill_null(0)).clip(0, 100))
            .otherwise(None).alias("outcome"),
            (pl.col("_critical").fill_null(False) & pl.lit(card.auto_fail)).alias("auto_failed"),
            iso_week("started_at").alias("week"),
        )
    )
    w_r, w_c, w_o = (card.weight(c) for c in ("responsiveness", "compliance", "outcome"))
    weighted = (
        pl.col("responsiveness") * w_r + pl.col("compliance") * w_c + pl.col("outcome").fill_null(0) * w_o
    ) / (w_r + w_c + pl.when(pl.col("outcome").is_null()).then(0.0).otherwise(w_o))
    scored = scored.with_columns(
        pl.when(pl.col("auto_failed")).then(0.0).otherwise(weighted).round(2).alias("score"),
        pl.lit(card.version).alias("scorecard_version"),
    )
    auto_fail_rows = (
        flags.filter((pl.col("role") == "agent") & (pl.col("severity") == "critical") & pl.lit(card.auto_fail))
        .sort("session_id", "sent_at", "start")
        .group_by("session_id", maintain_order=True).first()
        .select(
            "session_id", pl.lit("auto_fail").alias("category"), pl.lit(100.0).alias("points"),
            pl.format("严重违规 {}「{}」，整通会话判 0 分 (critical flag fails the session)", "rule_id", "matched").alias("reason"),
            "msg_id",
        )
    )
    deductions = pl.concat([deductions, auto_fail_rows.cast(DEDUCTION_SCHEMA)]).sort("session_id", "category")
    scores = scored.select(
        "session_id", "agent", "week", "score", "auto_failed", "responsiveness", "compliance", "outcome",
        "scorecard_version",
    ).sort("session_id")
    return scores, deductions
