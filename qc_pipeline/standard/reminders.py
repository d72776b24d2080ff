"""Payment reminders (催付; 未付款订单三天自动关闭; 多个客服向同一个顾客催付会让顾客厌烦): table
`payment_reminders`.

One row per order that waited for payment: created, and not paid at its creation time. Its auto-close
deadline is created_at + close hours (wall clock). A reminder is a human agent's message to the order's
buyer (same shop) matching the reminder lexicon, sent at or after the creation, at or before the deadline
(exactly on it counts), and before the payment. The first reminder names `reminded_by`; an order is
`paid_after_reminder` when it was reminded and then paid.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.standard.lexicons import StandardLexicons
from qc_pipeline.standard.promises import _hours, agent_texts

REMINDER_SCHEMA = {
    "order_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "created_at": pl.Datetime("us"),
    "close_deadline": pl.Datetime("us"), "paid_at": pl.Datetime("us"), "status": pl.Utf8,
    "amount": pl.Decimal(18, 2), "reminded_at": pl.Datetime("us"), "reminded_by": pl.Utf8,
    "reminders": pl.Int64, "reminding_agents": pl.Int64, "paid_after_reminder": pl.Boolean, "week": pl.Utf8,
}


def payment_reminders_table(orders: pl.DataFrame, messages: pl.DataFrame, texts: pl.DataFrame,
                            lexicons: StandardLexicons, close_hours: float) -> pl.DataFrame:
    """`orders` (order_id, shop, buyer, created_at, paid_at, amount, status); `messages` (msg_id, shop,
    buyer, agent, role, sent_at, source_line) holding each buyer's messages up to `close_hours` after its
    orders' creation; `texts` (msg_id, text)."""
    waiting = orders.filter(
        pl.col("buyer").is_not_null() & pl.col("created_at").is_not_null()
        & (pl.col("paid_at").is_null() | (pl.col("paid_at") > pl.col("created_at")))
    ).select(
        "order_id", "shop", "buyer", "created_at", (pl.col("created_at") + _hours(close_hours)).alias("close_deadline"),
        "paid_at", "status", "amount",
    )
    said = agent_texts(messages, texts)
    chasing = said.filter(pl.col("text").str.contains(lexicons.reminder_pattern)).select(
        "shop", "buyer", "agent", "sent_at", "source_line")
    hits = waiting.select("order_id", "shop", "buyer", "created_at", "close_deadline", "paid_at").join(
        chasing, on=["shop", "buyer"], how="inner"
    ).filter(
        (pl.col("sent_at") >= pl.col("created_at")) & (pl.col("sent_at") <= pl.col("close_deadline"))
        & (pl.col("paid_at").is_null() | (pl.col("sent_at") < pl.col("paid_at")))
    ).sort("order_id", "sent_at", "source_line")
    per_order = hits.group_by("order_id").agg(
        pl.col("sent_at").first().alias("reminded_at"),
        pl.col("agent").first().alias("reminded_by"),
        pl.len().cast(pl.Int64).alias("reminders"),
        pl.col("agent").drop_nulls().n_unique().cast(pl.Int64).alias("reminding_agents"),
    )
    return waiting.join(per_order, on="order_id", how="left").with_columns(
        pl.col("reminders").fill_null(0),
        pl.col("reminding_agents").fill_null(0),
        (pl.col("reminded_at").is_not_null() & pl.col("paid_at").is_not_null()).alias("paid_after_reminder"),
        iso_week("created_at").alias("week"),
    ).select(list(REMINDER_SCHEMA)).cast(REMINDER_SCHEMA).sort("shop", "buyer", "created_at", "order_id")
