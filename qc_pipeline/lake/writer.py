"""Writing a table's rows into the staging of a run, one file per partition, and naming the units the
swap moves into place.

Units (what the swap replaces as a whole):
- a table with a shop column: the shop's directory `<table>/shop=<shop>` (all its weeks), rewritten
  whole when the shop is recomputed; `messages` instead gains one file per run and shop
  (`messages/shop=<shop>/part-<run>.parquet`), since stored messages never change;
- `quarantine` and `ingested_files` gain one file per run; `agents` and `meta` are one file each.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from qc_pipeline.lake.layout import conform, partition_dir, table
from qc_pipeline.lake.staging import Staging

APPENDED = ("messages", "quarantine", "ingested_files")


@dataclass(frozen=True)
class Written:
    table: str
    unit: str  # what the swap moves into place
    rows: int
    appended: bool  # a new file beside the others (else the unit replaces what was there)
    staged: bool  # something was written (else an appended unit adds nothing, a replaced one is dropped)


def shop_unit(name: str, shop) -> str:
    return partition_dir(name, shop=shop)


def stage_shop_table(staging: Staging, name: str, shop, rows: pa.Table, append: bool | None = None) -> Written:
    """One shop's rows of a table (all its weeks), staged: new rows of an appended table, or all of the
    shop's rows of the others. A replaced unit without rows is dropped by the swap."""
    rows = conform(name, rows)
    spec = table(name)
    if name in APPENDED if append is None else append:
        unit = f"{shop_unit(name, shop)}/part-{staging.run_id}.parquet"
        if rows.num_rows:
            staging.lake.write(staging.data(unit), rows)
        return Written(name, unit, rows.num_rows, True, rows.num_rows > 0)
    unit = shop_unit(name, shop)
    if rows.num_rows and "week" in spec.partition_by:
        frame = pl.from_arrow(rows)
        for (week,), part in frame.partition_by("week", as_dict=True, maintain_order=True).items():
            path = f"{partition_dir(name, shop=shop, week=week)}/part-0.parquet"
            staging.lake.write(staging.data(path), conform(name, part.to_arrow()))
    elif rows.num_rows:
        staging.lake.write(staging.data(f"{unit}/part-0.parquet"), rows)
    return Written(name, unit, rows.num_rows, False, rows.num_rows > 0)


def stage_whole_table(staging: Staging, name: str, rows: pa.Table, append: bool | None = None) -> Written:
    """A table without a shop column: appended tables gain a file for this run, the others are one
    file rewritten whole."""
    rows = conform(name, rows)
    appended = name in APPENDED if append is None else append
    unit = f"{name}/part-{staging.run_id}.parquet" if appended else f"{name}/part-0.parquet"
    staged = rows.num_rows > 0 or not appended
    if staged:
        staging.lake.write(staging.data(unit), rows)
    return Written(name, unit, rows.num_rows, appended, staged)


def units(written: list[Written]) -> tuple[list[str], list[str]]:
    """(put, drop) for `Staging.swap`: staged units, and replaced units that now hold no rows."""
    put = [w.unit for w in written if w.staged]
    drop = [w.unit for w in written if not w.staged and not w.appended]
    return put, drop
