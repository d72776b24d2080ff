"""Inquiries (询单) and the orders that convert them.

An inquiry is a buyer answered by a presale agent on a given day (询单人数 counts distinct buyers per
agent per day). The buyer-day's window opens at the first presale reply that day and lasts
`window_days` × 24 h. Pure functions of frames that may hold many shops.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.metrics.rounds import iso_week


def presale_replies(rounds: pl.DataFrame) -> pl.DataFrame:
    """Every human presale reply that answered a buyer's round. Auto-replies never count."""
    return rounds.filter(~pl.col("unanswered") & (pl.col("agent_role") == "presale")).select(
        "shop", "buyer", "agent", "replied_at", "session_id"
    )


def _end_of_iso_week(col: str) -> pl.Expr:
    """The last microsecond of the ISO week holding each timestamp (Sunday 23:59:59.999999)."""
    day = pl.col(col).dt.date()
    monday = day - pl.duration(days=pl.col(col).dt.weekday() - 1)
    return (monday + pl.duration(days=7)).cast(pl.Datetime("us")) - pl.duration(microseconds=1)


def buyer_days(replies: pl.DataFrame, window_days: int) -> pl.DataFrame:
    """One row per (shop, buyer, day) with a presale reply: the window every agent's inquiry shares."""
    return (
        replies.with_columns(pl.col("replied_at").dt.date().alias("day"))
        .group_by("shop", "buyer", "day")
        .agg(pl.col("replied_at").min().alias("window_start"))
        .with_columns(
            (pl.col("window_start") + pl.duration(days=window_days)).alias("window_end"),
            iso_week("window_start").alias("week"),
            _end_of_iso_week("window_start").alias("period_end"),
        )
        .sort("shop", "buyer", "day")
    )


def agent_inquiries(replies: pl.DataFrame) -> pl.DataFrame:
    """One row per (shop, buyer, day, agent): an inquiry for each presale agent who answered that day."""
    return (
        replies.with_columns(pl.col("replied_at").dt.date().alias("day"))
        .group_by("shop", "buyer", "day", "agent")
        .agg(pl.col("replied_at").min().alias("first_reply_at"))
        .with_columns(iso_week("first_reply_at").alias("week"))
    )


MODE_TIME = {"order": "created_at", "order_then_paid": "created_at", "paid": "paid_at"}


def _converts(mode: str) -> pl.Expr:
    """Whether an order, already placed in a window by its mode's time, converts the inquiry.
    An order never paid never converts; a paid order later refunded still does."""
    paid = pl.col("paid_at").is_not_null()
    if mode == "order_then_paid":
        return paid & (pl.col("paid_at") <= pl.col("period_end"))
    return paid


def assign_orders(days: pl.DataFrame, orders: pl.DataFrame, time_col: str) -> pl.DataFrame:
    """Each order with the latest buyer-day whose window [start, end) holds the order's `time_col`.

    Taking the latest window means an order never counts for two overlapping daily inquiries.
    """
    candidates = orders.filter(pl.col(time_col).is_not_null()).join(days, on=["shop", "buyer"], how="inner")
    candidates = candidates.filter(
        (pl.col(time_col) >= pl.col("window_start")) & (pl.col(time_col) < pl.col("window_end"))
    )
    return (
        candidates.sort("window_start")
        .group_by("order_id", maintain_order=True)
        .last()
        .with_columns(pl.col(time_col).alias("order_time"))
    )


def credit_last_agent(outcomes: pl.DataFrame, replies: pl.DataFrame) -> pl.DataFrame:
    """The agent who last answered the buyer at or before `first_order_at` (最后接待), per buyer-day."""
    if outcomes.is_empty():
        return outcomes.with_columns(pl.lit(None, pl.Utf8).alias("credited_agent"))
    joined = outcomes.join(replies.select("shop", "buyer", "agent", "replied_at"), on=["shop", "buyer"])
    joined = joined.filter(
        (pl.col("replied_at") >= pl.col("window_start")) & (pl.col("replied_at") <= pl.col("first_order_at"))
    )
    last = (
        joined.sort("replied_at")
        .group_by("shop", "buyer", "day", maintain_order=True)
        .agg(pl.col("agent").last().alias("credited_agent"))
    )
    return outcomes.join(last, on=["shop", "buyer", "day"], how="left")


def day_outcomes(days: pl.DataFrame, assigned: pl.DataFrame, replies: pl.DataFrame, converting: bool) -> pl.DataFrame:
    """Per buyer-day: its orders (converting ones only when `converting`), first order time, credited agent,
    paid amount, refunds."""
    orders = assigned.filter(pl.col("_converts")) if converting else assigned
    per_day = orders.group_by("shop", "buyer", "day").agg(
        pl.col("order_time").min().alias("first_order_at"),
        pl.col("order_id").sort_by("order_time").first().alias("first_order_id"),
        pl.col("amount").sum().alias("sales_amount"),
        pl.col("refund_amount").sum().alias("refund_amount"),
        (pl.col("refund_amount") > 0).sum().alias("refund_orders"),
        pl.len().alias("orders"),
        # 宝贝总数量 of the orders; unknown when no order of the day carries it.
        pl.when(pl.col("items").is_not_null().any()).then(pl.col("items").sum()).alias("items"),
    )
    per_day = per_day.join(days.select("shop", "buyer", "day", "window_start"), on=["shop", "buyer", "day"])
    return credit_last_agent(per_day, replies)


def conversion_frames(rounds: pl.DataFrame, orders: pl.DataFrame, window_days: int, mode: str) -> dict[str, pl.DataFrame]:
    """Everything the conversion figures are built from.

    Returns `inquiries` (one row per agent inquiry, with converted / ordered / assist flags and the
    credited agent), `order_attribution` (one row per order: which buyer-day inquiry it fell into, whether
    it converts, whether it is silent), `days` (buyer-day windows).
    """
    replies = presale_replies(rounds)
    days = buyer_days(replies, window_days)
    time_col = MODE_TIME[mode]
    if "items" not in orders.columns:
        orders = orders.with_columns(pl.lit(None, pl.Int64).alias("items"))

    assigned = assign_orders(days, orders, time_col).with_columns(_converts(mode).alias("_converts"))
    paid = day_outcomes(days, assigned, replies, converting=True)
    placed_orders = assign_orders(days, orders, "created_at").with_columns(pl.lit(True).alias("_converts"))
    placed = day_outcomes(days, placed_orders, replies, converting=False)

    inquiries = agent_inquiries(replies).join(
        days.select("shop", "buyer", "day", "window_start", "window_end"), on=["shop", "buyer", "day"]
    )
    inquiries = inquiries.join(
        paid.select(
            "shop", "buyer", "day", "credited_agent", "first_order_id", "first_order_at",
            "sales_amount", "refund_amount", "refund_orders", "orders", pl.col("orders").alias("paid_orders"),
            "items",
        ),
        on=["shop", "buyer", "day"],
        how="left",
    ).join(
        placed.select("shop", "buyer", "day", pl.col("credited_agent").alias("_ordering_agent")),
        on=["shop", "buyer", "day"],
        how="left",
    )
    is_credited = (pl.col("credited_agent") == pl.col("agent")).fill_null(False)
    inquiries = inquiries.with_columns(
        is_credited.alias("converted"),
        (pl.col("credited_agent").is_not_null() & ~is_credited).alias("assist"),
        (pl.col("_ordering_agent") == pl.col("agent")).fill_null(False).alias("ordered"),
    ).drop("_ordering_agent")
    inquiries = with_payment_outcomes(inquiries, days, placed_orders, replies)

    attribution = orders.join(
        assigned.select("order_id", "day", pl.col("_converts").alias("converts")), on="order_id", how="left"
    ).with_columns(
        pl.col("converts").fill_null(False),
        (pl.col("paid_at").is_not_null() & pl.col("day").is_null()).alias("silent"),
        pl.col("day").alias("inquiry_day"),
    ).drop("day")
    return {"inquiries": inquiries, "order_attribution": attribution, "days": days}


def _next_day_end(day: str) -> pl.Expr:
    """The first instant after the day following `day` (paid before it = paid by 23:59:59.999999 of D+1)."""
    return (pl.col(day) + pl.duration(days=2)).cast(pl.Datetime("us"))


def with_payment_outcomes(inquiries: pl.DataFrame, days: pl.DataFrame, placed: pl.DataFrame,
                          replies: pl.DataFrame) -> pl.DataFrame:
    """`final_paid` (询单→最终付款) and `next_day_paid` (询单→次日付款) per agent inquiry, whatever the
    configured attribution mode: an order created in the buyer-day's window and paid by the end of the ISO
    week the window starts in (final) or by the end of the day after the inquiry day (next day), credited
    like a conversion to the agent who last answered before the first such order was created."""
    keys = ["shop", "buyer", "day"]
    out = inquiries
    for name, paid_by in (("final_paid", pl.col("paid_at") <= pl.col("period_end")),
                          ("next_day_paid", pl.col("paid_at") < _next_day_end("day"))):
        qualifying = placed.with_columns((pl.col("paid_at").is_not_null() & paid_by).fill_null(False).alias("_converts"))
        credited = day_outcomes(days, qualifying, replies, converting=True).select(
            *keys, pl.col("credited_agent").alias("_credited"))
        out = out.join(credited, on=keys, how="left").with_columns(
            (pl.col("_credited") == pl.col("agent")).fill_null(False).alias(name)).drop("_credited")
    return out


def agent_week_conversion(inquiries: pl.DataFrame) -> pl.DataFrame:
    """Per (week, shop, agent): inquiries, ordering/paying buyers, money and assists."""
    zero = pl.lit(0).cast(pl.Decimal(18, 2))
    return (
        inquiries.group_by("week", "shop", "agent")
        .agg(
            pl.len().alias("inquiries"),
            pl.col("ordered").sum().alias("ordering_buyers"),
            pl.col("converted").sum().alias("paying_buyers"),
            pl.col("sales_amount").filter(pl.col("converted")).sum().alias("sales_amount"),
            pl.col("refund_amount").filter(pl.col("converted")).sum().alias("refund_amount"),
            pl.col("refund_orders").filter(pl.col("converted")).sum().alias("refund_orders"),
            pl.col("assist").sum().alias("assists"),
        )
        .with_columns(
            (pl.col("paying_buyers") / pl.col("inquiries")).alias("conversion_rate"),
            pl.col("sales_amount").fill_null(zero),
            pl.col("refund_amount").fill_null(zero),
            pl.col("refund_orders").fill_null(0),
        )
        .with_columns(
            pl.when(pl.col("paying_buyers") > 0)
            .then(pl.col("sales_amount").cast(pl.Float64) / pl.col("paying_buyers"))
            .otherwise(None)
            .alias("aov"),
        )
        .sort("week", "shop", "agent")
    )



def session_outcomes(rounds: pl.DataFrame, inquiries: pl.DataFrame) -> pl.DataFrame:
    """Per session with a presale reply: whether the buyer's inquiry that day converted (for anyone)."""
    converted_days = (
        inquiries.group_by("shop", "buyer", "day").agg(pl.col("credited_agent").is_not_null().any().alias("converted"))
    )
    return (
        presale_replies(rounds)
        .with_columns(pl.col("replied_at").dt.date().alias("day"))
        .join(converted_days, on=["shop", "buyer", "day"], how="left")
        .group_by("session_id")
        .agg(pl.col("converted").fill_null(False).any())
    )
