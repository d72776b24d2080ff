"""The quarantine page: every row ingest set aside, with its file, line and reason, so that nobody needs SQL to
see what was not loaded. Written beside the week folders (`<out>/quarantine/quarantine.html` and `.csv`),
because a bad row often has no readable time and so no week; the folder carries chat-qc's output marker, so
that a report folder inside an input folder is not read back. The raw row is chat content: masked and escaped like the rest."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.ingest.discover import MARKER_TEXT, OUTPUT_MARKER
from qc_pipeline.reports.html import environment
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.masking import mask_nick, mask_text
from qc_pipeline.reports.staging import write_file
from qc_pipeline.reports.weekly_tables import csv_bytes

QUARANTINE_FOLDER = "quarantine"
QUARANTINE_HTML = "quarantine.html"
QUARANTINE_CSV = "quarantine.csv"
# A swallowed file can sit in one row's raw text; the page shows its start, the CSV all of it.
SHOWN_CHARACTERS = 300


# The cells of a raw row, in the layouts rows are quarantined from (CSV, TSV, pipes, text exports).
_CELLS = re.compile(r"([,\t|;\s]+)")


# Cells that are no one's personal data: times and dates (with a separator), numbers of up to four digits or
# with a decimal point (prices, counts), and the words of a role column. A longer run of digits may be a nick.
_PLAIN = re.compile(r"^(?=.*[\-:/.T])[\d\-:/.+T]+$|^\d{1,4}$|^(buyer|agent|auto|system|买家|客服|卖家|系统)$",
                    re.IGNORECASE)
# A cell longer than any Taobao nick (25 characters) is message text, masked for what it contains.
_NICK_CELL_MAX = 32
_QUOTED = re.compile(r"'([^']*)'")


def _masker(known: set[str]):
    """A raw row's buyer nick is one of its cells, but which one depends on the layout, and a row that was
    never loaded may name a buyer the warehouse does not know. So the phones, ids, cards, contacts and
    addresses are masked first, on the whole row (the detectors need the words around them), and then every
    cell that could be a nick is masked as the pages mask nicks: all but the shops and agents the warehouse
    knows, times, small numbers and what is masked already."""
    def cell(c: str) -> str:
        if (not c or _CELLS.fullmatch(c) or c in known or _PLAIN.match(c) or "*" in c
                or len(c) > _NICK_CELL_MAX):
            return c
        return mask_nick(c)

    def mask_row(raw: str | None) -> str | None:
        return None if raw is None else "".join(cell(c) for c in _CELLS.split(mask_text(raw)))

    def mask_reason(reason: str | None) -> str | None:
        # a reason quotes the cell it could not read ('王小明' as a time): masked like that cell in the row
        if reason is None:
            return None
        return _QUOTED.sub(lambda m: "'" + "".join(cell(c) for c in _CELLS.split(m[1])) + "'", mask_text(reason))
    return mask_row, mask_reason


def quarantine_frame(con: duckdb.DuckDBPyConnection, mask: bool = True) -> pl.DataFrame:
    """Every quarantined row, by file and line, with the raw row masked (unless `mask` is off)."""
    frame = con.sql(
        "SELECT source_path AS file, source_line AS line, reason, raw FROM quarantine "
        "ORDER BY source_path, source_line NULLS LAST, reason").pl()
    if mask and frame.height:
        known = {n for (n,) in con.execute(
            "SELECT DISTINCT shop FROM messages UNION SELECT DISTINCT agent FROM messages WHERE agent IS NOT NULL "
            "UNION SELECT agent FROM agents").fetchall()}
        mask_row, mask_reason = _masker(known)
        frame = frame.with_columns(pl.col("raw").map_elements(mask_row, return_dtype=pl.String),
                                   pl.col("reason").map_elements(mask_reason, return_dtype=pl.String))
    return frame


def write_quarantine(con: duckdb.DuckDBPyConnection, out_dir: Path, lang: str = "zh", mask: bool = True,
                     generated_at: str | None = None) -> list[Path]:
    """`quarantine.html` (grouped by file, the reasons counted) and `quarantine.csv` (every row, whole)."""
    frame = quarantine_frame(con, mask)
    T = Labels(lang)
    reasons = (frame.group_by("file", "reason").len().sort(["file", "len", "reason"], descending=[False, True, False])
               .rows(named=True))
    rows = [{**r, "raw": (r["raw"] or "")[:SHOWN_CHARACTERS],
             "cut": len(r["raw"] or "") > SHOWN_CHARACTERS} for r in frame.rows(named=True)]
    html = environment().get_template("quarantine.html").render(
        T=T, week="", masked=mask, meta={}, rows=rows, reasons=reasons,
        generated_at=generated_at or dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        files=frame["file"].n_unique() if frame.height else 0)
    folder = Path(out_dir) / QUARANTINE_FOLDER
    written = [write_file(folder / QUARANTINE_HTML, html.encode("utf-8")),
               write_file(folder / QUARANTINE_CSV, csv_bytes(frame))]
    write_file(folder / OUTPUT_MARKER, MARKER_TEXT.encode("utf-8"))
    return written
