"""Excel workbooks: every sheet whose header is a known layout, cell values as text."""
from __future__ import annotations

import io
from typing import BinaryIO

import polars as pl

from qc_pipeline.ingest.columns import clean
from qc_pipeline.ingest.tables import Table, cell_text, frame_from_rows, unique_names


def sheet_tables(data: bytes | BinaryIO, classify) -> tuple[list[Table], list[str]]:
    """Every sheet of a workbook (its bytes, or a seekable file) whose header (within its first rows)
    ``classify`` recognises.

    Returns the tables and the warnings for the sheets skipped."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True)
    tables, warnings = [], []
    try:
        for sheet in workbook.worksheets:
            # Read-only mode reads only as far as the sheet's <dimension> says, and some exporters write
            # A1:F1 whatever the size: forget it, so every row and column in the sheet XML is read.
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()
            table = _sheet_table(sheet, classify)
            if table is None:
                warnings.append(f"sheet '{sheet.title}' skipped: no known header in its first rows")
            else:
                tables.append(table)
    finally:
        workbook.close()
    return tables, warnings


_HEADER_SEARCH_ROWS = 10
# Rows turned into a frame at a time, so that a big sheet is never all held as Python lists of cells.
_ROW_BATCH = 20_000


def _sheet_table(sheet, classify) -> Table | None:
    header: list[str] | None = None
    rows, lines, raws = [], [], []
    frames: list[pl.DataFrame] = []
    seen = 0
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        if all(c is None or not c.strip() for c in cells):
            continue
        if header is None:
            seen += 1
            if classify([clean(c) for c in cells]) is not None:
                header = unique_names(cells)
            elif seen >= _HEADER_SEARCH_ROWS:
                return None
            continue
        rows.append(cells)
        lines.append(number)
        raws.append(f"[{sheet.title}] " + "\t".join(c or "" for c in cells))
        if len(rows) >= _ROW_BATCH:
            frames.append(frame_from_rows(header, rows, lines, [None] * len(rows), raws))
            rows, lines, raws = [], [], []
    if header is None:
        return None
    frames.append(frame_from_rows(header, rows, lines, [None] * len(rows), raws))
    return Table(header, pl.concat(frames) if len(frames) > 1 else frames[0], sheet=sheet.title)
