"""Parquet tables: typed columns; datetimes stay native, everything else becomes text."""
from __future__ import annotations

import io

import polars as pl

from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table, cell_text, unique_names


def parquet_table(raw: bytes) -> Table:
    frame = pl.read_parquet(io.BytesIO(raw))
    names = unique_names(frame.columns)
    frame = frame.rename(dict(zip(frame.columns, names)))
    frame = frame.with_columns(
        [pl.col(c).cast(pl.Utf8) for c, t in frame.schema.items() if not isinstance(t, (pl.Datetime, pl.Date, pl.String))]
    )
    frame = frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(LINE),
        pl.lit(None, pl.Utf8).alias(PROBLEM),
        pl.lit(None, pl.Utf8).alias(RAW),
    )
    table = Table(names, frame)

    def raw_of(lines: list[int]) -> list[str]:
        # Built only for the quarantined rows: a Parquet row has no text of its own.
        picked = frame.select(names)[[line - 1 for line in lines]]
        return ["\t".join(cell_text(v) or "" for v in row) for row in picked.iter_rows()]

    table.raw_of = raw_of
    return table
