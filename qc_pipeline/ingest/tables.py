"""Tabular sources as frames of strings, and delimited text read record by record.

Every table (CSV/TSV here; XLSX sheets, JSON records and Parquet in their own modules) is a frame
that keeps the header names (trimmed) as columns plus ``__line`` (where the record starts),
``__problem`` (why the record is broken, else null) and ``__raw`` (its text, for the quarantine).
Values stay strings (or native datetimes from Parquet) so each layout decides what they mean.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Callable

import polars as pl

from qc_pipeline.ingest.columns import clean

LINE, PROBLEM, RAW = "__line", "__problem", "__raw"
csv.field_size_limit(1 << 30)


@dataclass
class Table:
    columns: list[str]
    frame: pl.DataFrame
    sheet: str | None = None
    # Raw text by source line, for sources that keep no __raw column (the columnar CSV path).
    raw_of: Callable[[list[int]], list[str]] | None = None


def unique_names(names: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        base = clean(name) or f"column{i + 1}"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def frame_from_rows(columns: list[str], rows: list[list], lines: list[int], problems: list, raws: list) -> pl.DataFrame:
    width = len(columns)
    # Transposed in one zip (C speed); a short row is padded with nulls first, a long one is cut by zip.
    padded = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
    data = {c: list(cells) for c, cells in zip(columns, zip(*padded))} if rows else {c: [] for c in columns}
    data |= {LINE: lines, PROBLEM: problems, RAW: raws}
    schema = {c: pl.Utf8 for c in columns} | {LINE: pl.Int64, PROBLEM: pl.Utf8, RAW: pl.Utf8}
    return pl.DataFrame(data, schema=schema)


def _is_blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


def csv_table(text: str, delimiter: str) -> Table:
    """A delimited text with a header line, read record by record (quotes, embedded newlines, ragged rows)."""
    physical = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    rows, lines, problems, raws = [], [], [], []
    end = 0
    for record in reader:
        start, end = end + 1, reader.line_num
        if _is_blank(record):
            continue
        if header is None:
            header = unique_names(record)
            continue
        raw = "\n".join(line.rstrip("\r") for line in physical[start - 1 : end])
        problem = None
        if len(record) < len(header):
            problem = f"only {len(record)} of {len(header)} fields"
        elif any(cell.strip() for cell in record[len(header) :]):
            problem = f"{len(record)} fields where the header has {len(header)}"
        rows.append(record)
        lines.append(start)
        problems.append(problem)
        raws.append(raw)
    if header is None:
        return Table([], frame_from_rows([], [], [], [], []))
    if rows and not text.endswith(("\n", "\r")):
        problems[-1] = truncation(raws[-1], rows[-1], len(header)) or problems[-1]
    return Table(header, frame_from_rows(header, rows, lines, problems, raws))


def truncation(raw: str, record: list[str], width: int) -> str | None:
    """Why the last record of a file that stops mid-line looks cut off, or None if it looks whole."""
    if raw.count('"') % 2:
        return "truncated last line (unterminated quote)"
    if len(record) < width:
        return f"truncated last line ({len(record)} of {width} fields)"
    return None


def cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def filled_raw(raw: pl.Series, lines: pl.Series, raw_of: Callable[[list[int]], list[str]] | None) -> pl.Series:
    """The raw text of quarantined records, asking the source for the ones it did not keep."""
    if raw_of is None or not raw.is_null().any():
        return raw
    return raw.fill_null(pl.Series(raw_of(lines.to_list()), dtype=pl.Utf8))
