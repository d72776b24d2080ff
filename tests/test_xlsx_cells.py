"""``SheetWriter.table`` writes a frame exactly as the cell-by-cell writers would: the same values,
formats, neutralised formulas and column widths."""
from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import xlsxwriter

from qc_pipeline.reports.figures import COUNT, MONEY, PCT, SECONDS
from qc_pipeline.reports.xlsx_cells import EXCEL_MAX_TEXT, SheetWriter, formats

KINDS = {"name": "text", "note": "wrap", "at": "moment", "day": "moment", "wait": SECONDS, "share": PCT,
         "amount": MONEY, "n": COUNT}
FRAME = pl.DataFrame({
    "name": ["=HYPERLINK(\"http://x\")", "", None, "+1", "小鹿", "-2", "@SUM(A1)", "plain"],
    "note": ["第一行\n第二行很长很长很长", None, "\t=cmd", "x" * (EXCEL_MAX_TEXT + 10), "", "a", "b", "c"],
    "at": [dt.datetime(2026, 11, 16, 10, 0, 5), None, dt.datetime(2026, 11, 17), None, None, None, None, None],
    "day": [dt.date(2026, 11, 16), None, None, None, None, None, None, dt.date(2026, 11, 22)],
    "wait": [12.5, None, 3600.25, 0.0, -4.0, None, 1.0, 2.0],
    "share": [91.9, 100.0, None, 0.0, 33.3333, 50.0, 12.0, 7.0],
    "amount": [1234567.891, None, 0.5, 2.0, 3.0, 4.0, 5.0, -99999.0],
    "n": [1, 2, None, 4, 5, 6, 7, 8],
})


def write(path, by_table: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    s = SheetWriter(wb, "t", formats(wb, "秒"))
    if by_table:
        s.table(1, FRAME, KINDS)
    else:
        for r, row in enumerate(FRAME.iter_rows(), start=1):
            for c, (column, value) in enumerate(zip(FRAME.columns, row)):
                kind = KINDS[column]
                if kind == "text":
                    s.text(r, c, value)
                elif kind == "wrap":
                    s.wide_text(r, c, value)
                elif kind == "moment":
                    s.moment(r, c, value)
                else:
                    s.number(r, c, value, kind)
    s.finish(freeze_row=1)
    wb.close()


def cells(path) -> tuple[list, dict]:
    ws = openpyxl.load_workbook(path)["t"]
    rows = [[(c.value, c.number_format, c.alignment.wrap_text) for c in r] for r in ws.iter_rows()]
    return rows, {k: v.width for k, v in ws.column_dimensions.items()}


def test_table_writes_what_the_cell_writers_write(tmp_path):
    write(tmp_path / "cells.xlsx", by_table=False)
    write(tmp_path / "table.xlsx", by_table=True)
    rows, widths = cells(tmp_path / "table.xlsx")
    assert (rows, widths) == cells(tmp_path / "cells.xlsx")
    values = [r[0][0] for r in rows[1:]]
    assert values[0] == "'=HYPERLINK(\"http://x\")" and values[3] == "'+1" and values[6] == "'@SUM(A1)"
    assert len(rows[4][1][0]) == EXCEL_MAX_TEXT and rows[3][1][0] == "'\t=cmd"
    assert rows[1][5][0] == 0.919 and rows[2][5][0] == 1.0
