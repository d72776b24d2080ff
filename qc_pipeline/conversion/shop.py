"""Shop-level conversion: overall inquiry conversion, silent orders, and how well the exports line up."""
from __future__ import annotations

import polars as pl

from qc_pipeline.metrics.rounds import iso_week


def mark_matched_buyers(attribution: pl.DataFrame, chat_buyers: pl.DataFrame) -> pl.DataFrame:
    """`matched_buyer`: the order's (shop, buyer) chatted with the shop at all. When it is false the two
    exports do not line up (another shop, another period, masked nicks)."""
    seen = chat_buyers.select("shop", "buyer").unique().with_columns(pl.lit(True).alias("matched_buyer"))
    return attribution.join(seen, on=["shop", "buyer"], how="left").with_columns(pl.col("matched_buyer").fill_null(False))


def order_span(orders: pl.DataFrame) -> pl.DataFrame:
    """Each shop's first and last order-creation day: inquiries outside it have no order export to match."""
    return orders.filter(pl.col("created_at").is_not_null() & pl.col("shop").is_not_null()).group_by("shop").agg(
        pl.col("created_at").min().dt.date().alias("first_day"), pl.col("created_at").max().dt.date().alias("last_day")
    )


def shop_week_table(inquiries: pl.DataFrame, attribution: pl.DataFrame, span: pl.DataFrame) -> pl.DataFrame:
    """Per (week, shop). `span` is `order_span` of every order the shop has, not only those of these rows."""
    zero = pl.lit(0).cast(pl.Decimal(18, 2))
    days = inquiries.group_by("week", "shop", "buyer", "day").agg(
        pl.col("credited_agent").is_not_null().any().alias("converted"),
        pl.col("sales_amount").first(),
    )
    span = span.select("shop", pl.col("first_day").alias("_first"), pl.col("last_day").alias("_last"))
    days = days.join(span, on="shop", how="left").with_columns(
        (pl.col("_first").is_null() | (pl.col("day") < pl.col("_first")) | (pl.col("day") > pl.col("_last")))
        .alias("unmatched")
    )
    per_days = days.group_by("week", "shop").agg(
        pl.len().alias("inquiries"),
        pl.col("converted").sum().alias("paying_buyers"),
        pl.col("sales_amount").filter(pl.col("converted")).sum().alias("sales_amount"),
        pl.col("unmatched").sum().alias("inquiries_unmatched"),
    )
    silent = (
        attribution.filter(pl.col("silent"))
        .with_columns(iso_week("paid_at").alias("week"))
        .group_by("week", "shop")
        .agg(pl.len().alias("silent_orders"), pl.col("amount").sum().alias("silent_amount"))
    )
    unmatched = (
        attribution.filter(~pl.col("matched_buyer") & pl.col("created_at").is_not_null() & pl.col("shop").is_not_null())
        .with_columns(iso_week("created_at").alias("week"))
        .group_by("week", "shop")
        .agg(pl.len().alias("orders_unmatched"))
    )
    out = per_days.join(silent, on=["week", "shop"], how="full", coalesce=True).join(
        unmatched, on=["week", "shop"], how="full", coalesce=True
    )
    return out.with_columns(
        pl.col("inquiries").fill_null(0),
        pl.col("paying_buyers").fill_null(0),
        pl.col("inquiries_unmatched").fill_null(0),
        pl.col("silent_orders").fill_null(0),
        pl.col("orders_unmatched").fill_null(0),
        pl.col("sales_amount").fill_null(zero),
        pl.col("silent_amount").fill_null(zero),
    ).with_columns(
        pl.when(pl.col("inquiries") > 0).then(pl.col("paying_buyers") / pl.col("inquiries")).alias("conversion_rate")
    ).sort("week", "shop")
