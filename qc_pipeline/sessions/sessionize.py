"""Sessions: a (shop, buyer)'s messages split wherever the idle gap reaches the threshold.

Pure functions of frames that may hold many shops, so they can be mapped over shop partitions.
"""
from __future__ import annotations

import duckdb
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

    `session_id` is 's_' + the md5 of (shop, buyer, the session's first msg_id): stable across re-runs,
    unique whatever ids an exporter supplies, and traceable to the message that opened the session.
    """
    frame = conversation_order(messages)
    on_duty = calendar.on_duty_clock(frame.select(_epoch_us("sent_at")).to_series().to_numpy())
    frame = frame.with_columns(pl.Series("on_duty_us", on_duty, dtype=pl.Int64))
    key_changed = (pl.col("shop") != pl.col("shop").shift(1)) | (pl.col("buyer") != pl.col("buyer").shift(1))
    gap = pl.col("on_duty_us") - pl.col("on_duty_us").shift(1)
    starts_session = key_changed.fill_null(True) | (gap >= idle_seconds * 1_000_000).fill_null(True)
    frame = frame.with_columns(starts_session.alias("_starts_session"))
    frame = frame.with_columns(pl.col("_starts_session").cum_sum().cast(pl.Int64).alias("session_no"))
    firsts = frame.filter(pl.col("_starts_session")).select("session_no", "shop", "buyer", "msg_id")
    ids = session_ids(firsts)
    return frame.drop("_starts_session").join(ids, on="session_no", how="left", maintain_order="left")


def conversation_order(messages: pl.DataFrame) -> pl.DataFrame:
    """The messages sorted as a conversation reads: per (shop, buyer) by time, then ROLE_RANK, then the
    export's own line order (msg_id last, so that the order never depends on how the rows came in)."""
    rank = pl.col("role").replace_strict(ROLE_RANK, default=1, return_dtype=pl.Int8)
    return messages.sort([pl.col("shop"), pl.col("buyer"), pl.col("sent_at"), rank, pl.col("source_line"),
                          pl.col("msg_id")])


def messages_in_sessions(messages: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """Messages in conversation order, each with the `session_id` (and, as `session_no`, a dense number)
    of the stored session that holds it: the frame `ordered_messages` gives, without sessionizing again.

    `sessions` has (session_id, shop, buyer, started_at, ended_at). A session holds every message of its
    buyer from its first to its last one, and two sessions of a buyer are at least the idle gap apart, so
    the latest session starting at or before a message holds it when the message is not after its end;
    messages that no given session holds are dropped."""
    if messages.is_empty() or sessions.is_empty():
        return conversation_order(messages.head(0)).with_columns(
            pl.lit(None, pl.Utf8).alias("session_id"), pl.lit(None, pl.Int64).alias("session_no"))
    spans = sessions.select("shop", "buyer", "session_id", pl.col("started_at").alias("_start"),
                            pl.col("ended_at").alias("_end")).sort("_start")
    placed = messages.sort("sent_at").join_asof(
        spans, left_on="sent_at", right_on="_start", by=["shop", "buyer"], strategy="backward", check_sortedness=False,
    ).filter(pl.col("session_id").is_not_null() & (pl.col("sent_at") <= pl.col("_end")))
    return conversation_order(placed.drop("_start", "_end")).with_columns(
        pl.col("session_id").rank("dense").cast(pl.Int64).alias("session_no"))


def session_ids(firsts: pl.DataFrame) -> pl.DataFrame:
    """(session_no, session_id): 's_' + md5 of shop, buyer and first msg_id joined by chr(31). md5 from
    DuckDB: fixed by definition (polars' hash is not), and vectorised."""
    if firsts.is_empty():
        return pl.DataFrame(schema={"session_no": pl.Int64, "session_id": pl.Utf8})
    con = duckdb.connect()
    try:
        con.register("firsts", firsts.to_arrow())
        out = con.sql(
            "SELECT session_no, 's_' || md5(concat_ws(chr(31), shop, buyer, msg_id)) AS session_id FROM firsts"
        )
        return pl.from_arrow(out.to_arrow_table())
    finally:
        con.close()


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
