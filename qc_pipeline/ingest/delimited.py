"""Delimited text (CSV, TSV, ...) as tables: find the header, then read the body in pieces (pieces.py).

``read_table`` reads a whole file held in memory; ``stream.py`` reads a big one from disk piece by
piece. Both give the same records with the same line numbers. ``csv_table`` reads text record by
record, for the layouts that are never big (orders, roster, page tables).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
import polars as pl

from qc_pipeline.ingest.columns import CHAT, ORDERS, PAGE_TABLE, clean
from qc_pipeline.ingest.pieces import NotUtf8, PieceReader, Shape, memory_pieces, read_records
from qc_pipeline.ingest.tables import LINE, Table, frame_from_rows, unique_names

# Columns whose value tells a record line from a line of message text (see pieces.Shape).
_TIME_NAMES = {a.casefold() for a in CHAT["sent_at"] + ORDERS["created_at"] + PAGE_TABLE["sent_at"]}


def time_index(names: list[str]) -> int | None:
    return next((i for i, name in enumerate(names) if clean(name).casefold() in _TIME_NAMES), None)


@dataclass
class Header:
    names: list[str]
    shape: Shape
    body_line: int  # physical line number of the first line after the header
    body_offset: int  # byte offset of that line


def header_of(data: bytes, delimiter: str) -> Header | None:
    """The first non-blank line of UTF-8 ``data`` as a header, or None when there is none."""
    pos, line = 0, 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl
        try:
            text = data[pos:end].decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise NotUtf8(str(exc)) from None
        shape = Shape(delimiter, 0)
        record = shape.fields(text)
        if any(cell.strip() for cell in record):
            names = unique_names(record)
            return Header(names, Shape(delimiter, len(names), time_index(names)), line + 1, min(end + 1, len(data)))
        pos, line = end + 1, line + 1
    return None


def empty_table() -> Table:
    return Table([], frame_from_rows([], [], [], [], []))


def concat(names: list[str], tables: list[Table]) -> Table:
    """One table from consecutive pieces, asking each piece for the raw text of its own records."""
    tables = [t for t in tables if t.frame.height] or tables[:1]
    if not tables:
        return Table(list(names), frame_from_rows(names, [], [], [], []))
    if len(tables) == 1:
        return tables[0]
    frame = pl.concat([t.frame for t in tables], how="vertical_relaxed")
    starts = [int(t.frame[LINE][0]) for t in tables]
    lookups = [t.raw_of for t in tables]

    def raw_of(lines: list[int]) -> list[str]:
        # One call per piece with all of its lines: a lookup splits its whole piece, so calling it once per
        # line made a file of many bad rows quadratic (34,000 bad rows took minutes).
        by_piece: dict[int, list[int]] = {}
        for index, line in enumerate(lines):
            by_piece.setdefault(bisect.bisect_right(starts, line) - 1, []).append(index)
        out = [""] * len(lines)
        for piece, indexes in by_piece.items():
            lookup = lookups[piece]
            if lookup is None:
                continue
            for index, text in zip(indexes, lookup([lines[i] for i in indexes])):
                out[index] = text
        return out

    table = Table(list(names), frame)
    table.raw_of = raw_of
    return table


def read_table(data: bytes, delimiter: str) -> Table:
    """A delimited UTF-8 text held in memory (raises NotUtf8 if it is not UTF-8)."""
    header = header_of(data, delimiter)
    if header is None:
        return empty_table()
    reader = PieceReader(header.names, header.shape)
    tables = list(reader.read(memory_pieces(data, header.body_offset), header.body_line))
    return concat(header.names, tables)


def csv_table(text: str, delimiter: str) -> Table:
    """A delimited text with a header line, read record by record (quotes, embedded newlines, ragged
    rows, and a quote that never closes costing only its own line)."""
    physical = text.split("\n")
    ends_with_newline = text.endswith(("\n", "\r"))
    if text.endswith("\n"):
        physical.pop()
    for h, line in enumerate(physical):
        record = Shape(delimiter, 0).fields(line.rstrip("\r"))
        if any(cell.strip() for cell in record):
            break
    else:
        return empty_table()
    names = unique_names(record)
    shape = Shape(delimiter, len(names), time_index(names))
    records, _ = read_records(physical[h + 1 :], h + 2, shape, final=True, ends_with_newline=ends_with_newline)
    return records.table(names)

