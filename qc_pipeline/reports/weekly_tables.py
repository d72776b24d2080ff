"""Plain per-week table exports: CSV with a BOM so Excel shows the Chinese correctly, every text cell
neutralised so that a spreadsheet never reads it as a formula; Parquet for lists longer than a sheet."""
from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.reports.staging import write_error, write_file
from qc_pipeline.reports.xlsx_cells import neutralise_frame


AGENT_WEEK_CSV = "agent_week.csv"


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The one way every report CSV is made: a BOM, then each text cell neutralised (``neutralise_frame``)."""
    return "\ufeff".encode("utf-8") + neutralise_frame(frame).write_csv(datetime_format="%Y-%m-%d %H:%M:%S").encode("utf-8")


def write_csv(frame: pl.DataFrame, target: Path) -> Path:
    return write_file(target, csv_bytes(frame))


def write_parquet(frame: pl.DataFrame, target: Path) -> Path:
    """A list too long for a spreadsheet (every session of the week): typed columns, read by DuckDB, polars,
    pandas or Power BI. No spreadsheet opens it, so nothing in it can become a formula."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        frame.write_parquet(target, compression="zstd", compression_level=1, statistics=False)
    except pl.exceptions.ComputeError as exc:
        # polars reports a failed write (a full disk) as a compute error carrying the OS error's number.
        found = re.search(r"os error (\d+)", str(exc))
        if not found:
            raise
        code = int(found.group(1))
        raise OSError(code, os.strerror(code), str(target)) from None
    return target


def agent_week_frame(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    return con.sql("SELECT * FROM agent_week WHERE week = $week ORDER BY shop, agent", params={"week": week}).pl()


def write_agent_week_csv(con: duckdb.DuckDBPyConnection, out_dir: Path, week: str) -> Path:
    """agent_week.csv alone (``write_reports(..., agent_week=True)`` writes it with the pack)."""
    target = Path(out_dir) / week / AGENT_WEEK_CSV
    try:
        return write_csv(agent_week_frame(con, week), target)
    except OSError as exc:
        raise write_error(target, exc) from None


STALE_AUTO_REPLIES_CSV = "stale_auto_replies.csv"


def stale_auto_replies_frame(con: duckdb.DuckDBPyConnection, week: str, mask: bool = True) -> pl.DataFrame:
    """The week's stale auto-replies per shop and text, first and last time seen: what to replace."""
    from qc_pipeline.reports.masking import mask_text

    frame = con.sql(
        "SELECT shop, text, lexicon_id, announced_end, min(sent_at) AS first_seen, max(sent_at) AS last_seen, "
        "count(*) AS times, list(DISTINCT buyer) AS _buyers FROM stale_auto_replies WHERE week = $week "
        "GROUP BY shop, text, lexicon_id, announced_end ORDER BY shop, first_seen, text", params={"week": week}).pl()
    if mask:
        # the shop's own words, but a canned text can greet the buyer by nick or carry a phone number
        frame = frame.with_columns(pl.struct("text", "_buyers").map_elements(
            lambda r: mask_text(r["text"], r["_buyers"] or []), return_dtype=pl.String).alias("text"))
    return frame.drop("_buyers")
