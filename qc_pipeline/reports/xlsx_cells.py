"""Writing cells safely and readably: real numbers with formats, text that can never become a formula."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl

from qc_pipeline.reports.figures import COUNT, MONEY, PCT, RATE, SCORE, SECONDS

# Excel, LibreOffice and Sheets read a cell typed or pasted as "=...", "+...", "-...", "@..." (or with a
# leading tab/CR) as a formula; an apostrophe in front keeps it text wherever the value travels next.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXCEL_MAX_TEXT = 32767
MAX_WIDTH = 60


_FORMULA_START = "^[" + "".join({"\t": r"\t", "\r": r"\r", "\n": r"\n"}.get(c, re.escape(c)) for c in FORMULA_STARTS) + "]"


def neutralise(text: str) -> str:
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text[:EXCEL_MAX_TEXT]


def neutralise_expr(column: pl.Expr) -> pl.Expr:
    """``neutralise`` over a text column, for the CSV lists (which have no cell-length limit)."""
    return pl.when(column.str.contains(_FORMULA_START)).then(pl.lit("'") + column).otherwise(column)


def _neutralised(name: str) -> pl.Expr:
    return neutralise_expr(pl.col(name)).alias(name)


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``frame`` neutralised."""
    return frame.with_columns([_neutralised(c) for c, t in frame.schema.items() if t == pl.String])


def display_width(text: str) -> int:
    """Columns a text takes: CJK characters (three bytes in UTF-8) are two wide, ASCII one. Counted from the
    encoded length, not character by character, because it runs for every cell of the workbook."""
    return (len(text) + len(text.encode("utf-8"))) // 2


class SheetWriter:
    """One worksheet with the workbook's shared formats; remembers column widths for ``finish``."""

    def __init__(self, workbook, name: str, formats: dict):
        self.ws = workbook.add_worksheet(name)
        self.f = formats
        self.widths: dict[int, int] = {}
        self.wrap_cols: set[int] = set()

    def _width(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), min(width + 2, MAX_WIDTH))

    def title(self, row: int, text: str, style: str = "title") -> None:
        self.ws.write_string(row, 0, neutralise(text), self.f[style])

    def header(self, row: int, col: int, labels: list[str]) -> None:
        for i, label in enumerate(labels):
            self.ws.write_string(row, col + i, neutralise(label), self.f["header"])
            self._width(col + i, display_width(label))

    def text(self, row: int, col: int, value: Any, style: str | None = None) -> None:
        if value is None or value == "":
            self.ws.write_blank(row, col, None, self.f[style] if style else None)
            return
        text = neutralise(str(value))
        fmt = self.f[style] if style else None
        self.ws.write_string(row, col, text, fmt)
        self._width(col, max(display_width(line) for line in text.split("\n")))

    def wide_text(self, row: int, col: int, value: Any) -> None:
        self.text(row, col, value, "wrap")
        self.wrap_cols.add(col)

    def number(self, row: int, col: int, value: Any, kind: str) -> None:
        """A figure as a number cell; percentages held as 0-100 are written as fractions for Excel's %."""
        fmt = self.f[kind]
        if value is None:
            self.ws.write_blank(row, col, None, fmt)
            self._width(col, 4)
            return
        number = float(value) / 100 if kind == PCT else float(value)
        self.ws.write_number(row, col, number, fmt)
        self._width(col, len(f"{number:,.2f}") + (3 if kind in (SECONDS, MONEY) else 0))

    def boolean(self, row: int, col: int, value: Any) -> None:
        self.ws.write_boolean(row, col, bool(value))
        self._width(col, 5)

    def moment(self, row: int, col: int, value: Any) -> None:
        if value is None:
            self.ws.write_blank(row, col, None)
            return
        if isinstance(value, dt.datetime):
            self.ws.write_datetime(row, col, value, self.f["datetime"])
            self._width(col, 19)
        else:
            self.ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), self.f["date"])
            self._width(col, 10)

    def table(self, first_row: int, frame: pl.DataFrame, kinds: dict[str, str]) -> None:
        """``frame`` from ``first_row`` down, its columns from column 0, each written as ``kinds`` says:
        "text", "wrap" (wide text), "moment" or a figure kind: the cells ``text``, ``wide_text``, ``moment``
        and ``number`` write, with the neutralising, scaling and column widths worked out a column at a
        time in polars, so a long sheet is a row loop over xlsxwriter and nothing else (constant-memory
        mode writes row by row)."""
        columns = [self._column(c, frame[name], kinds[name]) for c, name in enumerate(frame.columns)]
        writers = [write for write, _, _ in columns]
        blanks = [blank for _, _, blank in columns]
        write_blank = self.ws.write_blank
        for r_index, values in enumerate(zip(*(values for _, values, _ in columns)), start=first_row):
            for c_index, value in enumerate(values):
                if value is not None:
                    writers[c_index](r_index, c_index, value)
                elif blanks[c_index] is not None:
                    write_blank(r_index, c_index, None, blanks[c_index])

    def _column(self, col: int, series: pl.Series, kind: str):
        """(write, values, blank format) of one column of ``table``; None values are blank cells."""
        ws = self.ws
        if kind in ("text", "wrap"):
            fmt = self.f["wrap"] if kind == "wrap" else None
            if kind == "wrap":
                self.wrap_cols.add(col)
            text = neutralise_expr(pl.col("v").cast(pl.String)).str.slice(0, EXCEL_MAX_TEXT)
            shown = pl.DataFrame({"v": series}).select(
                pl.when(text == "").then(None).otherwise(text).alias("v"))["v"]
            widths = shown.str.split("\n").list.eval(
                (pl.element().str.len_chars() + pl.element().str.len_bytes()) // 2).list.max()
            if widths.max() is not None:
                self._width(col, int(widths.max()))
            return (lambda r, c, v: ws.write_string(r, c, v, fmt)), shown.to_list(), fmt
        if kind == "moment":
            is_date = series.dtype == pl.Date
            fmt = self.f["date" if is_date else "datetime"]
            if series.null_count() < len(series):
                self._width(col, 10 if is_date else 19)
            values = series.cast(pl.Datetime("us")) if is_date else series
            return (lambda r, c, v: ws.write_datetime(r, c, v, fmt)), values.to_list(), None
        fmt = self.f[kind]
        numbers = series.cast(pl.Float64) / 100 if kind == PCT else series.cast(pl.Float64)
        if numbers.null_count():
            self._width(col, 4)
        if numbers.null_count() < len(numbers):
            extra = 3 if kind in (SECONDS, MONEY) else 0
            self._width(col, max(len(f"{v:,.2f}") for v in (numbers.min(), numbers.max())) + extra)
        return (lambda r, c, v: ws.write_number(r, c, v, fmt)), numbers.to_list(), fmt

    def finish(self, freeze_row: int | None = None, freeze_col: int = 0) -> None:
        for col, width in sorted(self.widths.items()):
            if col in self.wrap_cols:
                self.ws.set_column(col, col, MAX_WIDTH, self.f["wrap"])
            else:
                self.ws.set_column(col, col, max(width, 6))
        if freeze_row is not None:
            self.ws.freeze_panes(freeze_row, freeze_col)


def formats(workbook, seconds_unit: str) -> dict:
    add = workbook.add_format
    return {
        "title": add({"bold": True, "font_size": 14}),
        "note": add({"font_color": "#57606a"}),
        "alert": add({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B42318"}),
        "section": add({"bold": True, "font_size": 12}),
        "header": add({"bold": True, "bg_color": "#F6F8FA", "border": 1, "text_wrap": True, "valign": "top"}),
        "wrap": add({"text_wrap": True, "valign": "top"}),
        SECONDS: add({"num_format": f'0.0" {seconds_unit}"'}),
        PCT: add({"num_format": "0.0%"}),
        RATE: add({"num_format": "0.0%"}),
        MONEY: add({"num_format": '"¥"#,##0.00'}),
        COUNT: add({"num_format": "#,##0"}),
        SCORE: add({"num_format": "0.0"}),
        "datetime": add({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "date": add({"num_format": "yyyy-mm-dd"}),
    }
