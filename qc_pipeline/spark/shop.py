"""Every derived table of one shop from all of its messages and orders: what a grouped Spark task does.
Plain Python (no Spark): it calls the very stage functions the local engine calls
(`stages.buyer_tables`, then `stages.weekly_tables` and `stages.agent_month_table`) on the same inputs the conductor assembles for a
build of every partition, so both engines give the same rows.
"""
from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa

from qc_pipeline.conductor.stages import (
    BUYER_TABLES, MONTHLY_TABLES, WEEKLY_TABLES, agent_month_table, buyer_tables, weekly_tables,
)
from qc_pipeline.config import Config
from qc_pipeline.lake.layout import conform
from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.rules import RuleSet
from qc_pipeline.scoring.scorecard import Scorecard

DERIVED = (*BUYER_TABLES, *WEEKLY_TABLES, *MONTHLY_TABLES)
STAGE_MESSAGE_COLUMNS = ["msg_id", "shop", "buyer", "agent", "role", "sent_at", "source_line"]
STAGE_ORDER_COLUMNS = ["order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status",
                       "items", "remark"]


def stored(name: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The rows as the warehouse stores them: the DDL's columns and types (what later stages read back)."""
    return pl.from_arrow(conform(name, rows.to_arrow()))


def shop_weeks(messages: pl.DataFrame, orders: pl.DataFrame) -> pl.DataFrame:
    """The shop's (shop, week) partitions: every week holding a message, or an order's creation or payment
    (what ingest marks stale in the warehouse)."""
    weeks = pl.concat([
        messages.select("shop", iso_week("sent_at").alias("week")),
        orders.select("shop", iso_week("created_at").alias("week")),
        orders.select("shop", iso_week("paid_at").alias("week")),
    ])
    return weeks.drop_nulls().unique().sort("shop", "week")


def derive_shop(messages: pl.DataFrame, orders: pl.DataFrame, roster: pl.DataFrame, settings: Config,
                ruleset: RuleSet, scorecard: Scorecard,
                remark_versions: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """Every derived table of one shop, and its `partitions` rows, as the warehouse would store them.
    `messages` and `orders` hold all of the shop's rows (warehouse columns); `roster` is (agent, name, role)."""
    parts = shop_weeks(messages, orders)
    dated = orders.filter(pl.col("buyer").is_not_null()
                          & (pl.col("created_at").is_not_null() | pl.col("paid_at").is_not_null()))
    # The buyers the conductor reads for a build of every partition, and all of their orders.
    buyers = pl.concat([messages.select("shop", "buyer"), dated.select("shop", "buyer")]).unique()
    buyer_orders = orders.join(buyers, on=["shop", "buyer"], how="semi")
    chatted = messages.select("shop", "buyer").unique()
    tables = buyer_tables(
        messages.select(STAGE_MESSAGE_COLUMNS),
        messages.filter(pl.col("role").is_in(["agent", "auto", "buyer"])).select("msg_id", "role", "text"),
        buyer_orders.select(STAGE_ORDER_COLUMNS),
        roster,
        buyer_orders.join(chatted, on=["shop", "buyer"], how="semi").select("shop", "buyer").unique(),
        settings, ruleset, scorecard, remark_versions=remark_versions,
    )
    # Rows outside every partition (an order with neither creation nor payment time) are not kept.
    out = {name: stored(name, rows.join(parts, on=["shop", "week"], how="semi")) for name, rows in tables.items()}
    attribution = out["order_attribution"]
    # As the conductor's weekly step: silent orders count in the week they were paid, so an order paid
    # in another partition than its own is read for that week too.
    paid_elsewhere = attribution.join(
        parts.rename({"week": "_paid_week"}),
        left_on=["shop", iso_week("paid_at")], right_on=["shop", "_paid_week"], how="semi",
    ).filter(pl.col("week").ne_missing(iso_week("paid_at")))
    span = orders.filter(pl.col("created_at").is_not_null()).group_by("shop").agg(
        pl.col("created_at").min().dt.date().alias("first_day"), pl.col("created_at").max().dt.date().alias("last_day"))
    weekly = weekly_tables(out["rounds"], out["flags"], out["inquiries"], pl.concat([attribution, paid_elsewhere]),
                           out["session_scores"], roster, span, settings, out["sessions"], out["promises"],
                           out["payment_reminders"], out["handovers"], out["order_remarks"])
    for name, rows in weekly.items():
        out[name] = stored(name, rows.join(parts, on=["shop", "week"], how="semi"))
    # Every month of the shop, from all its kept rows: what the conductor computes from the month's weeks.
    out["agent_month"] = stored("agent_month", agent_month_table(
        out["rounds"], out["flags"], out["inquiries"], out["session_scores"], roster, settings, out["sessions"],
        out["promises"], out["payment_reminders"], out["handovers"], out["order_remarks"]))
    out["partitions"] = stored("partitions", parts.with_columns(
        pl.lit(False).alias("stale"), pl.lit(settings.derived_version).alias("config_version"),
        pl.lit(ruleset.version).alias("rule_version"), pl.lit(scorecard.version).alias("scorecard_version"),
        pl.lit(dt.datetime.now().replace(microsecond=0)).alias("built_at"),
    ))
    return out


def as_frame(rows: pa.Table, name: str) -> pl.DataFrame:
    """A lake table's Arrow rows as the polars frame the warehouse would hand the stages."""
    return pl.from_arrow(conform(name, rows))
