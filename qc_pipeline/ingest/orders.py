"""Order exports: the seller-center order report (订单报表) and the canonical order table.

Both are read by column name. The report's quirks: header names ending in a space, order ids written
``="3515313147329357"`` (empty ``=""``), money with ¥/￥/元/thousands commas, an empty payment time for
unpaid orders.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.ingest import money
from qc_pipeline.ingest.columns import Layout
from qc_pipeline.ingest.model import ORDER_SCHEMA, QUARANTINE_SCHEMA, ParsedFile
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table, filled_raw
from qc_pipeline.ingest.timeparse import TimeWindow, parse_times

FIELDS = ("order_id", "buyer", "shop", "created_at", "paid_at", "amount", "refund_amount", "status", "items", "remark")
_EXCEL_TEXT = r'^=\s*"(.*)"$'


def _stage(table: Table, columns: dict[str, str]) -> pl.DataFrame:
    def pick(field: str) -> pl.Expr:
        return (pl.col(columns[field]) if field in columns else pl.lit(None, pl.Utf8)).alias(field)

    return table.frame.select([pick(f) for f in FIELDS] + [pl.col(LINE), pl.col(PROBLEM), pl.col(RAW)])


def _text(column: str) -> pl.Expr:
    value = pl.col(column).cast(pl.Utf8).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value).alias(column)


def _count(column: str) -> pl.Expr:
    """A whole count such as 宝贝总数量; null when empty or not a number (the figure it feeds is then
    unknown, which is no reason to refuse the order)."""
    return pl.col(column).cast(pl.Utf8).str.strip_chars().cast(pl.Int64, strict=False).alias(column)


def _quoted(column: str) -> pl.Expr:
    return pl.lit("'") + pl.col(column).cast(pl.Utf8).fill_null("") + pl.lit("'")


def _time_problem(column: str, label: str, required: bool, window: TimeWindow) -> pl.Expr:
    empty = pl.col(column).is_null() | (pl.col(column).cast(pl.Utf8).str.strip_chars() == "")
    unreadable = pl.when(empty).then(pl.lit(f"missing {label}") if required else None).otherwise(
        pl.lit(f"unreadable {label} ") + _quoted(column)
    )
    outside = pl.lit(f"{label}: {window.reason}")
    return pl.when(pl.col(f"_{column}").is_null()).then(unreadable).when(window.outside(f"_{column}")).then(outside)


def frames(
    tables: list[tuple[Table, Layout]], path: str, timezone: str, window: TimeWindow
) -> tuple[pl.DataFrame, pl.DataFrame]:
    stage = pl.concat([_stage(t, layout.columns) for t, layout in tables], how="diagonal_relaxed")
    order_id = (
        pl.col("order_id").cast(pl.Utf8).str.strip_chars().str.replace(_EXCEL_TEXT, "$1")
        .str.strip_chars().str.strip_chars_start("'")
    )
    stage = stage.with_columns(
        order_id.alias("_order_id"),
        parse_times(stage["created_at"], timezone).alias("_created_at"),
        parse_times(stage["paid_at"], timezone).alias("_paid_at"),
        money.amount("amount").alias("_amount"),
        money.amount("refund_amount").alias("_refund_amount"),
    )
    reasons = pl.concat_str(
        [
            pl.when(pl.col("_order_id").is_null() | (pl.col("_order_id") == "")).then(pl.lit("no order id")),
            _time_problem("created_at", "created time", required=True, window=window),
            _time_problem("paid_at", "payment time", required=False, window=window),
            pl.when(money.unreadable("amount")).then(pl.lit("unreadable amount ") + _quoted("amount")),
            pl.when(money.unreadable("refund_amount")).then(pl.lit("unreadable refund amount ") + _quoted("refund_amount")),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    stage = stage.with_columns(pl.coalesce(pl.col(PROBLEM), pl.when(reasons != "").then(reasons)).alias("_reason"))
    good = stage.filter(pl.col("_reason").is_null())
    bad = stage.filter(pl.col("_reason").is_not_null())
    orders = good.select(
        pl.col("_order_id").alias("order_id"), _text("shop"), _text("buyer"),
        pl.col("_created_at").alias("created_at"), pl.col("_paid_at").alias("paid_at"),
        pl.col("_amount").alias("amount"), pl.col("_refund_amount").alias("refund_amount"),
        _text("status"), pl.lit(path).alias("source_path"), _count("items"), _text("remark"),
    ).cast(ORDER_SCHEMA)
    quarantine = bad.select(
        pl.lit(path).alias("source_path"), pl.col(LINE).alias("source_line"),
        pl.col("_reason").alias("reason"), pl.col(RAW).alias("raw"),
    ).cast(QUARANTINE_SCHEMA)
    raw_of = tables[0][0].raw_of if len(tables) == 1 else None
    quarantine = quarantine.with_columns(filled_raw(quarantine["raw"], quarantine["source_line"], raw_of).alias("raw"))
    return orders, quarantine


def orders_file(source: Source, fmt: str, tables: list[tuple[Table, Layout]], config, warnings: list[str]) -> ParsedFile:
    orders, quarantine = frames(tables, source.name, config.timezone.key, config.time_window)
    return ParsedFile(
        path=source.name, sha256=source.sha256, kind="orders", format=fmt, encoding=source.encoding,
        rows_read=len(orders) + len(quarantine), orders=orders, quarantine=quarantine, warnings=warnings,
    )
