"""`qc reminders --date D`: the day's work list for payment reminders (催付), from table payment_reminders.

An order is listed when it waited for payment at some moment of day D: created before D ended, its
auto-close deadline after D began, not paid before D ended and not closed by the export's status. Oldest
deadline first. `served_by` is the human agent who last wrote to the buyer at or before the order's
creation (the one who sold it), or else the first one after it, up to the end of D. Buyer ids are masked
like in every report unless `mask` is off; the file is a CSV through the one CSV writer (formula-neutralised)
or a one-sheet workbook with every text cell neutralised.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from qc_pipeline.errors import UserError
from qc_pipeline.reports.masking import mask_nick_expr
from qc_pipeline.reports.staging import WRITE_ERRORS, write_error, write_file
from qc_pipeline.reports.weekly_tables import csv_bytes
from qc_pipeline.reports.xlsx_cells import neutralise

COLUMNS = ("close_deadline", "order_id", "shop", "buyer", "created_at", "amount", "status", "served_by",
           "reminded_at", "reminded_by", "reminders", "reminding_agents")
# Order statuses that mean the order was closed (by the buyer, the seller or the platform) before its deadline.
CLOSED_STATUS = r"关闭|取消|(?i:closed|cancel)"


def open_orders(con: duckdb.DuckDBPyConnection, day: dt.date, mask: bool = True) -> pl.DataFrame:
    """The orders waiting for payment on `day`, oldest deadline first (then creation, then order id)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "payment_reminders" not in tables:
        raise UserError("the warehouse has no payment_reminders table yet: run `qc rebuild` with this chat-qc first")
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    frame = con.sql(
        """SELECT r.close_deadline, r.order_id, r.shop, r.buyer, r.created_at, r.amount, r.status,
                  coalesce(
                      (SELECT m.agent FROM messages m WHERE m.shop = r.shop AND m.buyer = r.buyer
                         AND m.role = 'agent' AND m.agent IS NOT NULL AND m.sent_at <= r.created_at
                       ORDER BY m.sent_at DESC, m.source_line DESC LIMIT 1),
                      (SELECT m.agent FROM messages m WHERE m.shop = r.shop AND m.buyer = r.buyer
                         AND m.role = 'agent' AND m.agent IS NOT NULL AND m.sent_at > r.created_at AND m.sent_at < ?
                       ORDER BY m.sent_at, m.source_line LIMIT 1)) AS served_by,
                  r.reminded_at, r.reminded_by, r.reminders, r.reminding_agents
           FROM payment_reminders r
           WHERE r.created_at < ? AND r.close_deadline > ? AND (r.paid_at IS NULL OR r.paid_at >= ?)
             AND NOT regexp_matches(coalesce(r.status, ''), ?)
           ORDER BY r.close_deadline, r.created_at, r.order_id""",
        params=[end, end, start, end, CLOSED_STATUS],
    ).pl()
    if mask:
        frame = frame.with_columns(mask_nick_expr(pl.col("buyer")).alias("buyer"))
    return frame.select(COLUMNS)


def write_open_orders(frame: pl.DataFrame, path: Path) -> Path:
    """The list as `path`: .csv (the report CSV writer) or .xlsx."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError(f"--out {path}: expected a .csv or .xlsx file name")
    try:
        if suffix == ".csv":
            return write_file(path, csv_bytes(frame))
        return _write_xlsx(frame, path)
    except WRITE_ERRORS as exc:
        raise write_error(path, exc) from None


def _write_xlsx(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.writing")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = wb.add_format({"bold": True, "bg_color": "#F6F8FA", "border": 1})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("催付")
    for col, name in enumerate(frame.columns):
        ws.write_string(0, col, name, bold)
        ws.set_column(col, col, 19 if frame.schema[name] == pl.Datetime("us") else 16)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(row):
            if value is None:
                ws.write_blank(r, col, None)
            elif isinstance(value, dt.datetime):
                ws.write_datetime(r, col, value, when)
            elif isinstance(value, (int, float)) or hasattr(value, "as_tuple"):
                ws.write_number(r, col, float(value))
            else:
                ws.write_string(r, col, neutralise(str(value)))
    ws.freeze_panes(1, 0)
    try:
        wb.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
