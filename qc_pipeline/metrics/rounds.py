"""Rounds (轮次): a buyer's question and the human reply that ends it, timed in on-duty seconds.

A round starts at the first buyer message after the previous human reply (or the session start)
and ends at the next role=agent message. Auto-replies and system messages neither start nor end a
round. The pairing is a join: every buyer message is keyed by how many human replies preceded it
in the session, and reply number k (0-based) answers the round keyed k.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.sessions.onduty import DutyCalendar

ROUND_COLUMNS = [
    "session_id", "shop", "buyer", "agent", "round_no", "is_first", "started_at", "clock_start",
    "replied_at", "wait_seconds", "target_seconds", "met_target", "unanswered", "agent_role",
    "first_msg_id", "reply_msg_id", "week", "buyer_msgs", "agent_msgs",
]


def iso_week(col: str) -> pl.Expr:
    """ISO week text like 2026-W47 (Monday start) of a shop-local timestamp."""
    return pl.col(col).dt.strftime("%G-W%V")


def rounds_table(
    ordered: pl.DataFrame,
    sessions: pl.DataFrame,
    calendar: DutyCalendar,
    agent_roles: pl.DataFrame,
    targets: dict[str, tuple[int, int]],
    default_role: str,
) -> pl.DataFrame:
    """One row per round.

    `ordered` comes from `ordered_messages` (with its integer `session_no`); `agent_roles` maps agent -> role (the roster);
    `targets` maps role -> (first_response_seconds, follow_up_seconds) and must hold `default_role`.
    """
    replies_before = (pl.col("role") == "agent").cast(pl.Int32).cum_sum().over("session_no") - (
        pl.col("role") == "agent"
    ).cast(pl.Int32)
    keyed = ordered.with_columns(replies_before.alias("_k"))

    questions = (
        keyed.filter(pl.col("role") == "buyer")
        .group_by("session_no", "_k", maintain_order=True)
        .agg(
            pl.col("session_id").first(),
            pl.col("shop").first(),
            pl.col("buyer").first(),
            pl.col("sent_at").first().alias("started_at"),
            pl.col("on_duty_us").first().alias("_start_on_duty"),
            pl.col("msg_id").first().alias("first_msg_id"),
            # An unanswered round belongs to whoever the buyer was last talking to.
            pl.col("agent").drop_nulls().last().alias("_addressed"),
            pl.len().cast(pl.Int32).alias("buyer_msgs"),
        )
    )
    answers = keyed.filter(pl.col("role") == "agent").select(
        "session_no",
        "_k",
        pl.col("agent").alias("_replier"),
        pl.col("sent_at").alias("replied_at"),
        pl.col("on_duty_us").alias("_reply_on_duty"),
        pl.col("msg_id").alias("reply_msg_id"),
    )
    rounds = questions.join(answers, on=["session_no", "_k"], how="left")
    rounds = rounds.join(_stretch_messages(keyed), on=["session_no", "_k"], how="left").with_columns(
        pl.col("agent_msgs").fill_null(0))
    rounds = rounds.join(
        sessions.select("session_id", pl.col("primary_agent").alias("_primary")), on="session_id", how="left"
    )
    rounds = rounds.sort(["session_no", "_k"]).with_columns(
        (pl.col("_k").rank("ordinal").over("session_no")).cast(pl.Int32).alias("round_no"),
        pl.col("replied_at").is_null().alias("unanswered"),
        pl.coalesce("_replier", "_addressed", "_primary").alias("agent"),
    ).with_columns((pl.col("round_no") == 1).alias("is_first"))

    start_us = rounds.select(pl.col("started_at").cast(pl.Datetime("us")).dt.epoch("us")).to_series().to_numpy()
    clock_start = calendar.next_on_duty(start_us)
    rounds = rounds.with_columns(
        pl.Series("clock_start", clock_start, dtype=pl.Int64).cast(pl.Datetime("us")),
        ((pl.col("_reply_on_duty") - pl.col("_start_on_duty")).clip(lower_bound=0) / 1_000_000).alias(
            "wait_seconds"
        ),
    )

    rounds = rounds.join(agent_roles.select("agent", pl.col("role").alias("agent_role")), on="agent", how="left")
    rounds = rounds.with_columns(pl.col("agent_role").fill_null(default_role))
    first_target = {role: first for role, (first, _) in targets.items()}
    follow_target = {role: follow for role, (_, follow) in targets.items()}
    rounds = rounds.with_columns(
        pl.when(pl.col("is_first"))
        .then(pl.col("agent_role").replace_strict(first_target, default=first_target[default_role]))
        .otherwise(pl.col("agent_role").replace_strict(follow_target, default=follow_target[default_role]))
        .cast(pl.Int32)
        .alias("target_seconds"),
    ).with_columns(
        (pl.col("wait_seconds") <= pl.col("target_seconds")).fill_null(False).alias("met_target"),
        iso_week("started_at").alias("week"),
    )
    return rounds.select(ROUND_COLUMNS)


def _stretch_messages(keyed: pl.DataFrame) -> pl.DataFrame:
    """Human agent messages per round: from its reply up to the next round's first buyer message (or the
    session's end). Agent messages before a session's first buyer message count with its first round,
    so that every human message of a session with a round is counted once (答问比's numerator)."""
    buyer_key = pl.when(pl.col("role") == "buyer").then(pl.col("_k"))
    return (
        keyed.with_columns(buyer_key.forward_fill().backward_fill().over("session_no").alias("_round_k"))
        .filter((pl.col("role") == "agent") & pl.col("_round_k").is_not_null())
        .group_by("session_no", pl.col("_round_k").alias("_k"))
        .agg(pl.len().cast(pl.Int32).alias("agent_msgs"))
    )


def role_targets(config, roles: list[str]) -> dict[str, tuple[int, int]]:
    """Each role's (first, follow-up) targets from the config, overrides applied."""
    return {role: (config.target_seconds(role, True), config.target_seconds(role, False)) for role in roles}


__all__ = ["rounds_table", "role_targets", "iso_week", "ROUND_COLUMNS"]
