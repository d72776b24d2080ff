"""Derived tables on Spark: messages and orders grouped by shop (`groupBy("shop").cogroup(...)
.applyInArrow(...)`), each group handed to `spark.shop.derive_shop`, which calls the stage functions
the local engine calls. A task writes its shop's tables straight to the run's staging and returns a
small manifest (table, unit, rows); the driver swaps the units in only after every task succeeded.
Each manifest row also carries what its task cost (shop, messages, orders, seconds), for benchmarks
and sizing; results do not depend on it.
"""
from __future__ import annotations

import time

import pyarrow as pa
import polars as pl

from qc_pipeline.config import Config
from qc_pipeline.lake.staging import Staging
from qc_pipeline.lake.writer import stage_shop_table
from qc_pipeline.rules import RuleSet
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.spark.shop import DERIVED, as_frame, derive_shop

WRITTEN = ("table string, unit string, rows long, appended boolean, staged boolean, "
           "shop string, messages long, orders long, seconds double")
_WRITTEN_SCHEMA = pa.schema([("table", pa.string()), ("unit", pa.string()), ("rows", pa.int64()),
                             ("appended", pa.bool_()), ("staged", pa.bool_()), ("shop", pa.string()),
                             ("messages", pa.int64()), ("orders", pa.int64()), ("seconds", pa.float64())])
# The columns of `lake.writer.Written`; the others describe the task.
WRITTEN_FIELDS = ("table", "unit", "rows", "appended", "staged")


# The column of the orders a task receives holding every remark of the order's versions in the run.
REMARK_HISTORY = "_remarks"


class InjectedFailure(RuntimeError):
    """Raised on purpose inside a task (tests: a job that dies midway)."""


def shop_task(staging: Staging, roster: pa.Table, config: Config, ruleset: RuleSet, scorecard: Scorecard,
              fail_shop: str | None = None):
    """The function one grouped task runs: (messages, orders) of one shop -> manifest rows.
    `messages` carry `_new` (rows this run adds to the lake); `orders` are all of the shop's orders."""
    roster_frame = pl.from_arrow(roster)

    def task(messages: pa.Table, orders: pa.Table) -> pa.Table:
        started = time.perf_counter()
        shop = (messages if messages.num_rows else orders).column("shop")[0].as_py()
        if fail_shop is not None and shop == fail_shop:
            raise InjectedFailure(f"failing the task of shop {shop!r} on purpose")
        new = messages.filter(messages.column("_new")).drop_columns(["_new"])
        remark_versions = None
        if REMARK_HISTORY in orders.column_names:
            remark_versions = pl.from_arrow(orders.select(["order_id", REMARK_HISTORY])).explode(
                REMARK_HISTORY).rename({REMARK_HISTORY: "remark"}).drop_nulls()
            orders = orders.drop_columns([REMARK_HISTORY])
        written = [stage_shop_table(staging, "messages", shop, new),
                   stage_shop_table(staging, "orders", shop, orders)]
        if shop is not None:
            stored = as_frame(messages.drop_columns(["_new"]), "messages")
            tables = derive_shop(stored, as_frame(orders, "orders"), roster_frame, config.for_shop(shop),
                                 ruleset, scorecard, remark_versions)
            for name in (*DERIVED, "partitions"):
                written.append(stage_shop_table(staging, name, shop, tables[name].to_arrow()))
        cost = {"shop": shop, "messages": messages.num_rows, "orders": orders.num_rows,
                "seconds": time.perf_counter() - started}
        return pa.Table.from_pylist([{**w.__dict__, **cost} for w in written], schema=_WRITTEN_SCHEMA)

    return task


def derive_shops(messages, orders, task) -> pl.DataFrame:
    """Run `task` over every shop of the (messages, orders) DataFrames; the manifest rows, collected."""
    grouped = messages.groupBy("shop").cogroup(orders.groupBy("shop"))
    return pl.from_arrow(grouped.applyInArrow(task, WRITTEN).toArrow())


def shop_costs(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per shop task of a manifest: shop, messages, orders, seconds (inside the grouped function)."""
    return rows.select("shop", "messages", "orders", "seconds").unique(maintain_order=True)
