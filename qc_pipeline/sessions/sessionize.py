"""Sessions: a (shop, buyer)'s messages split wherever the idle gap reaches the threshold.

Pure functions of frames that may hold many shops, so they can be mapped over shop partitions.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.sessions.onduty import DutyCalendar

# Messages with the same timestamp: the buyer's come first (a reply cannot precede its question),
# then auto/system, then the human agent's.
ROLE_RANK = {"buyer": 0, "auto": 1, "system": 1, "agent": 2}


def _epoch_us(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Datetime("us")).dt.epoch("us")


def ordered_messages(messages: pl.DataFrame, calendar: DutyCalendar, idle_seconds: int) -> pl.DataFrame:
    """Messages in conversation order with `on_duty_us`, their `session_id` and an integer `session_no`
    (a cheaper grouping key for the stages that follow).

    `session_id` is 's_' + the first 16 characters of the session's first msg_id: stable across
    re-runs and traceable to the message that opened the session.
    """
    frame = messages.with_columns(
        pl.col("role").replace_strict(ROLE_RANK, default=1, return_dtype=pl.Int8).alias("_role_rank"),
    ).sort(["shop", "buyer", "sent_at", "_role_rank", "source_line", "msg_id"])
    on_duty = calendar.on_duty_clock(frame.select(_epoch_us("sent_at")).to_series().to_numpy())
    frame = frame.with_columns(pl.Series("on_duty_us", on_duty, dtype=pl.Int64))
    key_changed = (pl.col("shop") != pl.col("shop").shift(1)) | (pl.col("buyer") != pl.col("buyer").shift(1))
    gap = pl.col("on_duty_us") - pl.col("on_duty_us").shift(1)
    starts_session = key_changed.fill_null(True) | (gap >= idle_seconds * 1_000_000).fill_null(True)
    frame = frame.with_columns(starts_session.alias("_starts_session"))
    frame = frame.with_columns(
        pl.col("_starts_session").cum_sum().cast(pl.Int64).alias("session_no"),
        pl.when(pl.col("_starts_session"))
        .then("s_" + pl.col("msg_id").str.slice(0, 16))
        .forward_fill()
        .alias("session_id"),
    )
    return frame.drop("_starts_session", "_role_rank")


def sessions_table(ordered: pl.DataFrame) -> pl.DataFrame:
    """One row per session. primary_agent = the agent with the most replies (ties: who replied first);
    with no human reply at all, the agent the buyer last wrote to."""
    is_reply = pl.col("role") == "agent"
    replies = (
        ordered.filter(is_reply)
        .with_row_index("_pos")
        .group_by("session_no", "agent")
        .agg(pl.len().alias("_n"), pl.col("_pos").min().alias("_first"))
    )
    primary = (
        replies.sort(["session_no", "_n", "_first"], descending=[False, True, False])
        .group_by("session_no", maintain_order=True)
        .agg(pl.col("agent").first().alias("primary_agent"), pl.col("agent").sort_by("_first").alias("agents"))
    )
    summary = ordered.group_by("session_no", maintain_order=True).agg(
        pl.col("session_id").first(),
        pl.col("shop").first(),
        pl.col("buyer").first(),
        pl.col("sent_at").first().alias("started_at"),
        pl.col("sent_at").last().alias("ended_at"),
        pl.col("agent").filter(pl.col("role") == "buyer").drop_nulls().last().alias("_addressed"),
        (pl.col("role") == "buyer").sum().cast(pl.Int32).alias("n_buyer_msgs"),
        is_reply.sum().cast(pl.Int32).alias("n_agent_msgs"),
    )
    out = summary.join(primary, on="session_no", how="left").with_columns(
        pl.coalesce("primary_agent", "_addressed").alias("primary_agent"),
        pl.col("agents").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
    )
    return out.select(
        "session_id", "shop", "buyer", "started_at", "ended_at", "primary_agent", "agents",
        "n_buyer_msgs", "n_agent_msgs",
    )
