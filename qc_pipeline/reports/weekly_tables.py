"""Plain per-week table exports: CSV with a BOM so Excel shows the Chinese correctly, every text cell
neutralised so that a spreadsheet never reads it as a formula; Parquet for lists longer than a sheet."""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.reports.xlsx_cells import neutralise_frame


def write_csv(frame: pl.DataFrame, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        neutralise_frame(frame).write_csv(fh, datetime_format="%Y-%m-%d %H:%M:%S")
    return target


def write_parquet(frame: pl.DataFrame, target: Path) -> Path:
    """A list too long for a spreadsheet (every session of the week): typed columns, read by DuckDB, polars,
    pandas or Power BI. No spreadsheet opens it, so nothing in it can become a formula."""
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(target, compression="zstd", compression_level=1, statistics=False)
    return target


def write_agent_week_csv(con: duckdb.DuckDBPyConnection, out_dir: Path, week: str) -> Path:
    frame = con.sql("SELECT * FROM agent_week WHERE week = $week ORDER BY shop, agent", params={"week": week}).pl()
    return write_csv(frame, Path(out_dir) / week / "agent_week.csv")
