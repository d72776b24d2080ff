"""The columnar CSV path for big canonical chat tables: polars reads all columns as strings.

Anything polars cannot take as RFC 4180 (ragged rows, stray quotes) returns None, and the caller
falls back to the record-by-record reader, which reports such rows individually.
"""
from __future__ import annotations

import bisect
import csv
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table, truncation, unique_names


def read(source: Source, delimiter: str) -> Table | None:
    data = source.utf8_bytes()
    try:
        return _read(data, delimiter)
    except pl.exceptions.ComputeError as exc:
        if "utf-8" not in str(exc).lower():
            return None
    try:
        return _read(source.utf8_bytes(full=True), delimiter)
    except pl.exceptions.ComputeError:
        return None


def _cut_truncated_tail(data: bytes, delimiter: str) -> tuple[bytes, str | None, str]:
    """A file that stops mid-line: drop an obviously cut last line before the columnar read."""
    if not data or data.endswith(b"\n"):
        return data, None, ""
    start = data.rfind(b"\n") + 1
    if start == 0:
        return data, None, ""  # the header is the only line
    tail = data[start:].decode("utf-8", errors="replace").rstrip("\r")
    if not tail.strip():
        return data[:start], None, ""
    header = next(csv.reader([data[: data.find(b"\n")].decode("utf-8", errors="replace").rstrip("\r")], delimiter=delimiter))
    record = next(csv.reader([tail], delimiter=delimiter), [])
    why = truncation(tail, record, len(header))
    if why is None:
        return data, None, ""
    return data[:start], why, tail


def _read(data: bytes, delimiter: str) -> Table | None:
    if data.lstrip(b" \t")[:1] in (b"\r", b"\n"):
        return None  # blank lines before the header: let the record reader find it
    data, truncated, tail = _cut_truncated_tail(data, delimiter)
    # Counting lines needs the GIL, which polars gives up while it parses: do both at once.
    with ThreadPoolExecutor(max_workers=1) as pool:
        newlines = pool.submit(data.count, b"\n")
        frame = pl.read_csv(
            data, infer_schema=False, separator=delimiter, has_header=True, quote_char='"',
            raise_if_empty=False, encoding="utf8",
        )
        total_lines = newlines.result() + (0 if data.endswith(b"\n") else 1)
    names = unique_names(frame.columns)
    frame = frame.rename(dict(zip(frame.columns, names)))
    lines = _start_lines(frame, total_lines)
    if lines is None:
        return None
    frame = frame.with_columns(lines.alias(LINE), pl.lit(None, pl.Utf8).alias(PROBLEM), pl.lit(None, pl.Utf8).alias(RAW))
    if names:
        # Blank lines come back as rows of nulls (empty fields are null too): not records.
        blank = pl.all_horizontal([pl.col(c).is_null() for c in names])
        if frame.select(blank.any()).item():
            frame = frame.filter(~blank)
    if truncated:
        cut = pl.DataFrame(
            {LINE: [total_lines + 1], PROBLEM: [truncated], RAW: [tail]},
            schema={LINE: pl.Int64, PROBLEM: pl.Utf8, RAW: pl.Utf8},
        )
        frame = pl.concat([frame, cut], how="diagonal")
    table = Table(names, frame)
    table.raw_of = _raw_lookup(data, frame[LINE])
    return table


def _start_lines(frame: pl.DataFrame, total_lines: int) -> pl.Series | None:
    n = frame.height
    if total_lines == n + 1:
        return pl.int_range(2, n + 2, dtype=pl.Int64, eager=True)
    # Quoted fields holding line breaks: each record spans 1 + its embedded breaks.
    spans = frame.select(
        (1 + pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns]))
        .cast(pl.Int64)
        .alias("span")
    ).to_series()
    if int(spans.sum() or 0) + 1 != total_lines:
        return None
    return (spans.cum_sum() - spans + 2).alias(LINE)


def _raw_lookup(data: bytes, record_lines: pl.Series):
    def raw_of(lines: list[int]) -> list[str]:
        starts = record_lines.to_list()
        physical = data.split(b"\n")
        out = []
        for line in lines:
            i = bisect.bisect_right(starts, line)
            end = starts[i] - 1 if i < len(starts) else len(physical)
            chunk = [p.rstrip(b"\r") for p in physical[line - 1 : max(end, line)]]
            while len(chunk) > 1 and not chunk[-1].strip():
                chunk.pop()
            out.append(b"\n".join(chunk).decode("utf-8", errors="replace"))
        return out

    return raw_of
