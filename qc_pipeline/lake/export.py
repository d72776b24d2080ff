"""A DuckDB warehouse written out as a lake (`qc lake export`): every table, every shop, one swap."""
from __future__ import annotations

import duckdb
import polars as pl

from qc_pipeline.lake.files import Lake
from qc_pipeline.lake.layout import lake_tables
from qc_pipeline.lake.staging import Staging, new_run_id, recover
from qc_pipeline.lake.writer import Written, stage_shop_table, stage_whole_table, units


def export_warehouse(con: duckdb.DuckDBPyConnection, lake: Lake) -> list[Written]:
    """Replace the lake's tables with the warehouse's rows (shops the warehouse lacks stay as they were)."""
    recover(lake)
    lake.create()
    staging = Staging(lake, new_run_id())
    written: list[Written] = []
    try:
        for name, spec in lake_tables().items():
            rows = con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            if "shop" not in spec.partition_by:
                written.append(stage_whole_table(staging, name, rows, append=False))
                continue
            frame = pl.from_arrow(rows)
            for (shop,), part in frame.partition_by("shop", as_dict=True, maintain_order=True).items():
                written.append(stage_shop_table(staging, name, shop, part.to_arrow(), append=False))
        put, drop = units(written)
        staging.swap(put, drop)
    except BaseException:
        staging.discard()
        raise
    return written
