"""The review workbook: one row per flag and per sampled session, drop-downs for the verdicts, an
appeals sheet, the masked transcripts. Every text cell is written as text that can never become a
formula (`xlsx_cells.neutralise`); the import reads the sheets back by their header keys."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from qc_pipeline.review.verdicts import DECISIONS, FLAG_VERDICTS, SESSION_VERDICTS
from qc_pipeline.reports.xlsx_cells import neutralise

REVIEW_SHEET = "review"
APPEALS_SHEET = "appeals"
TRANSCRIPTS_SHEET = "transcripts"
ABOUT_SHEET = "about"
# (key, Chinese label): the header reads "key（label）"; the import matches the key.
REVIEW_COLUMNS = (
    ("item_id", "编号"), ("item", "类型"), ("week", "周"), ("shop", "店铺"), ("agent", "客服"), ("session_id", "会话"),
    ("stratum", "抽样层"), ("stratum_sessions", "层内会话数"), ("sent_at", "时间"), ("rule_id", "规则"),
    ("category", "类别"), ("severity", "严重度"), ("points", "扣分"), ("matched", "命中"), ("message", "消息/会话"),
    ("verdict", "结论"), ("missed_category", "漏检类别"), ("reviewer", "质检员"), ("comment", "备注"),
)
APPEAL_COLUMNS = (
    ("flag_id", "违规编号"), ("appellant", "申诉客服"), ("reason", "申诉理由"), ("decision", "裁定"),
    ("decided_by", "裁定人"), ("comment", "备注"),
)
# Blank appeal rows offered with the drop-down (more can be added below them).
APPEAL_ROWS = 200
TRANSCRIPT_COLUMNS = ("session_id", "pos", "sent_at", "speaker", "text", "flag_ids")


def header(key: str, label: str) -> str:
    return f"{key}（{label}）"


@dataclass
class ReviewRow:
    item_id: str
    item: str               # flag | session
    week: str
    shop: str
    agent: str
    session_id: str
    stratum: str
    stratum_sessions: int
    sent_at: dt.datetime | None
    rule_id: str = ""
    category: str = ""
    severity: str = ""
    points: float | None = None
    matched: str = ""
    message: str = ""


def _text(ws, row: int, col: int, value) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None)
    else:
        ws.write_string(row, col, neutralise(str(value)))


def write_review_workbook(path: Path, rows: list[ReviewRow], transcripts: list[dict], categories: list[str],
                          about: list[tuple[str, str]], generated_at: dt.datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"title": "chat-qc review", "created": generated_at.replace(tzinfo=None)})
    bold = wb.add_format({"bold": True, "bg_color": "#F6F8FA", "border": 1, "text_wrap": True, "valign": "top"})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    fill = wb.add_format({"bg_color": "#FFF8C5", "locked": False})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    ws = wb.add_worksheet(REVIEW_SHEET)
    for col, (key, label) in enumerate(REVIEW_COLUMNS):
        ws.write_string(0, col, header(key, label), bold)
    keys = [k for k, _ in REVIEW_COLUMNS]
    verdict_col, missed_col = keys.index("verdict"), keys.index("missed_category")
    for r, item in enumerate(rows, start=1):
        for col, key in enumerate(keys[:verdict_col]):
            value = getattr(item, key)
            if key == "sent_at" and value is not None:
                ws.write_datetime(r, col, value, when)
            elif key in ("points", "stratum_sessions") and value is not None:
                ws.write_number(r, col, float(value))
            else:
                _text(ws, r, col, value)
        for col in range(verdict_col, len(keys)):
            ws.write_blank(r, col, None, fill)
        allowed = FLAG_VERDICTS if item.item == "flag" else SESSION_VERDICTS
        ws.data_validation(r, verdict_col, r, verdict_col, {
            "validate": "list", "source": list(allowed), "error_title": "verdict",
            "error_message": "、".join(allowed)})
        if item.item == "session" and categories:
            ws.data_validation(r, missed_col, r, missed_col, {"validate": "list", "source": categories})
    widths = {"item_id": 19, "session_id": 20, "agent": 22, "message": 60, "matched": 16, "comment": 30,
              "sent_at": 19, "reviewer": 12, "verdict": 16, "missed_category": 16}
    for col, key in enumerate(keys):
        ws.set_column(col, col, widths.get(key, 11), wrap if key == "message" else None)
    ws.freeze_panes(1, 1)
    ws.autofilter(0, 0, max(len(rows), 1), len(keys) - 1)

    ap = wb.add_worksheet(APPEALS_SHEET)
    for col, (key, label) in enumerate(APPEAL_COLUMNS):
        ap.write_string(0, col, header(key, label), bold)
        ap.set_column(col, col, 30 if key in ("reason", "comment") else 19)
    decision_col = [k for k, _ in APPEAL_COLUMNS].index("decision")
    ap.data_validation(1, decision_col, APPEAL_ROWS, decision_col, {"validate": "list", "source": list(DECISIONS)})
    ap.freeze_panes(1, 0)

    ts = wb.add_worksheet(TRANSCRIPTS_SHEET)
    for col, key in enumerate(TRANSCRIPT_COLUMNS):
        ts.write_string(0, col, key, bold)
    for r, line in enumerate(transcripts, start=1):
        _text(ts, r, 0, line["session_id"])
        ts.write_number(r, 1, line["pos"])
        if line["sent_at"] is not None:
            ts.write_datetime(r, 2, line["sent_at"], when)
        _text(ts, r, 3, line["speaker"])
        _text(ts, r, 4, line["text"])
        _text(ts, r, 5, line["flag_ids"])
    ts.set_column(0, 0, 20)
    ts.set_column(2, 2, 19)
    ts.set_column(3, 3, 22)
    ts.set_column(4, 4, 70, wrap)
    ts.set_column(5, 5, 19)
    ts.freeze_panes(1, 0)

    ab = wb.add_worksheet(ABOUT_SHEET)
    for r, (key, value) in enumerate(about):
        ab.write_string(r, 0, neutralise(key), bold)
        ab.write_string(r, 1, neutralise(value))
    ab.set_column(0, 0, 22)
    ab.set_column(1, 1, 90, wrap)
    wb.close()
    return path
