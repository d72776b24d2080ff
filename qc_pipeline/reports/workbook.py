"""The week's workbook: the summary, week-over-week, trend, the flags, and one sheet per agent.

Written in xlsxwriter's constant-memory mode: each sheet is streamed row by row to a temporary file, so the
workbook never sits in memory whole. Lists are capped (``limits``) far below Excel's row limit; the week's
full lists are the CSV files beside the workbook.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter
import xlsxwriter.utility

from qc_pipeline.reports import limits
from qc_pipeline.reports.figures import COUNT, FIGURES, MONEY, PCT, RATE, SCORE, SECONDS, SUMMARY_KEYS
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.naming import agent_sheet_names
from qc_pipeline.reports.detail import SessionView
from qc_pipeline.reports.standard import SHEET_COLUMNS, sheet_header, sheet_shown
from qc_pipeline.reports.views import AgentView, SummaryView
from qc_pipeline.reports.xlsx_cells import SheetWriter, formats
from qc_pipeline.store.schema import FLAG_CATEGORIES


def _created(generated_at: dt.datetime) -> dt.datetime:
    # xlsxwriter stamps the value as UTC ("...Z"), so an aware time is converted first.
    if generated_at.tzinfo is not None:
        generated_at = generated_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return generated_at.replace(microsecond=0)


def write_workbook(
    path: Path, summary: SummaryView, agents: list[AgentView], flags: pl.DataFrame, flags_total: int, T: Labels,
    masked: bool, generated_at: dt.datetime, lists: dict[str, str] | None = None,
    agent_week: pl.DataFrame | None = None, targets: dict[str, tuple[int, int]] | None = None,
    first_share: float | None = None,
) -> Path:
    """``flags`` are the flags the pages show (of ``flags_total``); ``lists`` names the files beside the
    workbook that hold what the sheets leave out. With ``agent_week`` (the week's rows) and ``targets``
    (role: first and follow-up response targets), a KPI sheet holds every figure of every agent;
    ``first_share`` is the 首响达标率 the standard asks for (0-100)."""
    # xlsxwriter gives the zip entries of the temporary files a fixed timestamp: same data, same bytes.
    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    lists = lists or {}
    wb.set_properties({
        "title": f"{T.ui.summary_title} {summary.week}",
        "created": _created(generated_at),
        "comments": T.ui.masked_note if masked else T.ui.unmasked_banner,
    })
    f = formats(wb, T.units.seconds)
    reserved = {T.ui.summary_sheet, T.ui.wow_sheet, T.ui.trend_sheet, T.ui.flags_sheet, T.ui.kpi_sheet,
                T.standard.sheet}
    sheet_names = agent_sheet_names([a.row.account for a in agents], reserved)

    _summary_sheet(SheetWriter(wb, T.ui.summary_sheet, f), summary, T, masked)
    if agent_week is not None:
        _kpi_sheet(SheetWriter(wb, T.ui.kpi_sheet, f), agent_week, targets or {}, T, _tone_formats(wb), first_share)
    _wow_sheet(SheetWriter(wb, T.ui.wow_sheet, f), summary, T)
    _trend_sheet(SheetWriter(wb, T.ui.trend_sheet, f), summary, T)
    _flags_sheet(SheetWriter(wb, T.ui.flags_sheet, f), flags, flags_total, T, lists.get("flags", ""))
    if summary.standard is not None:
        _standard_sheet(SheetWriter(wb, T.standard.sheet, f), summary.standard.sheet, T, lists.get("standard", ""))
    for view in sorted(agents, key=lambda a: (a.row.rank, a.row.account)):
        _agent_sheet(SheetWriter(wb, sheet_names[view.row.account], f), view, T, masked, lists)
    wb.close()
    return path


def _banner(s: SheetWriter, row: int, T: Labels, masked: bool) -> None:
    if masked:
        s.title(row, T.ui.masked_note, "note")
    else:
        s.title(row, T.ui.unmasked_banner, "alert")


def _summary_sheet(s: SheetWriter, view: SummaryView, T: Labels, masked: bool) -> None:
    s.title(0, f"{T.ui.summary_title} {view.week}")
    _banner(s, 1, T, masked)
    head = [T.ui.rank, T.ui.agent, T.ui.agent_name, T.ui.agent_role] + [T.figures[k] for k in SUMMARY_KEYS] + [T.ui.band]
    s.header(3, 0, head)
    s.ws.autofilter(3, 0, 3 + max(len(view.agents), 1), len(head) - 1)
    row = 4
    for a in view.agents:
        s.number(row, 0, a.rank, COUNT)
        s.text(row, 1, a.label)
        s.text(row, 2, a.name)
        s.text(row, 3, a.role_label)
        for i, key in enumerate(SUMMARY_KEYS):
            s.number(row, 4 + i, a.cells[key].value, FIGURES[key].kind)
        s.text(row, 4 + len(SUMMARY_KEYS), a.band_label)
        row += 1

    row += 1
    s.title(row, T.ui.shop_table, "section")
    shop_keys = list(view.shops[0]["cells"]) if view.shops else []
    s.header(row + 1, 0, [T.ui.shop] + [T.figures[k] for k in shop_keys])
    row += 2
    for shop in view.shops:
        s.text(row, 0, shop["shop"])
        for i, key in enumerate(shop_keys):
            s.number(row, 1 + i, shop["cells"][key].value, FIGURES[key].kind)
        row += 1

    row += 1
    s.title(row, T.ui.band_distribution, "section")
    s.header(row + 1, 0, [T.ui.band, T.ui.agents_count])
    row += 2
    for b in view.bands:
        s.text(row, 0, b["label"])
        s.number(row, 1, b["count"], COUNT)
        row += 1

    row += 1
    s.title(row, T.ui.flags_by_category, "section")
    s.header(row + 1, 0, [T.ui.agent] + [T.of("categories", c) for c in FLAG_CATEGORIES] + [T.ui.total])
    row += 2
    for m in view.flag_matrix:
        s.text(row, 0, m["label"])
        for i, c in enumerate(FLAG_CATEGORIES):
            s.number(row, 1 + i, m["counts"][c], COUNT)
        s.number(row, 1 + len(FLAG_CATEGORIES), m["total"], COUNT)
        row += 1
    if view.auto_flags:
        s.text(row, 0, T.ui.auto_reply_flags)
        for i, c in enumerate(FLAG_CATEGORIES):
            s.number(row, 1 + i, view.auto_flags.get(c, 0), COUNT)
        s.number(row, 1 + len(FLAG_CATEGORIES), sum(view.auto_flags.values()), COUNT)
    s.finish(freeze_row=4, freeze_col=2)


def _wow_sheet(s: SheetWriter, view: SummaryView, T: Labels) -> None:
    s.title(0, f"{T.ui.wow_title} {view.week} / {view.previous_week}")
    if not view.has_previous:
        s.title(1, T.ui.no_previous_week.format(week=view.previous_week), "note")
        s.finish()
        return
    s.header(2, 0, [T.ui.agent, T.ui.figure, T.ui.value, T.ui.previous_week, T.ui.change])
    row = 3
    for a in view.agents:
        for key in SUMMARY_KEYS:
            cell = a.cells[key]
            kind = FIGURES[key].kind
            s.text(row, 0, a.label)
            s.text(row, 1, T.figures[key])
            s.number(row, 2, cell.value, kind)
            s.number(row, 3, cell.previous, kind)
            s.number(row, 4, cell.delta.value if cell.delta else None, kind)
            row += 1
    s.finish(freeze_row=3, freeze_col=2)


def _trend_sheet(s: SheetWriter, view: SummaryView, T: Labels) -> None:
    s.title(0, f"{T.ui.trend_title} ({', '.join(view.trend_weeks)})")
    keys = list(view.trend)
    s.header(2, 0, [T.ui.week, T.ui.agent] + [T.figures[k] for k in keys])
    row = 3
    for agent in sorted({name for series in view.trend.values() for name, _ in series}):
        for w_index, week in enumerate(view.trend_weeks):
            values = {k: dict(view.trend[k]).get(agent, [None] * len(view.trend_weeks))[w_index] for k in keys}
            if all(v is None for v in values.values()):
                continue
            s.text(row, 0, week)
            s.text(row, 1, agent)
            for i, k in enumerate(keys):
                s.number(row, 2 + i, values[k], FIGURES[k].kind)
            row += 1
    s.finish(freeze_row=3, freeze_col=2)


_FLAG_HEAD = ("session_score", "session", "sent_at", "agent", "speaker", "rule", "category", "severity", "matched",
              "message", "explanation")


def _flag_header(T: Labels) -> list[str]:
    names = {"session_score": T.ui.session_score, "session": T.ui.session, "sent_at": T.ui.sent_at,
             "agent": T.ui.agent, "speaker": T.ui.speaker, "rule": T.ui.rule, "category": T.ui.category,
             "severity": T.ui.severity, "matched": T.ui.matched, "message": T.ui.message,
             "explanation": T.ui.explanation}
    return [names[k] for k in _FLAG_HEAD]


# The flag list's columns, as held in ``Details.flags``, in sheet order.
_FLAG_FIELDS = ("session_score", "session_id", "sent_at", "agent", "role", "rule_id", "category_label",
                "severity_label", "matched", "message", "explanation")
# How each of them is written.
_FLAG_CELLS = {"session_score": SCORE, "sent_at": "moment", "message": "wrap", "explanation": "wrap",
               **{c: "text" for c in ("session_id", "agent", "role", "rule_id", "category_label", "severity_label",
                                      "matched")}}


def _flags_sheet(s: SheetWriter, flags: pl.DataFrame, total: int, T: Labels, list_name: str) -> None:
    s.header(0, 0, _flag_header(T))
    shown = flags.head(min(limits.SHEET_FLAGS, limits.EXCEL_MAX_ROWS - 2))
    roles = shown["role"].drop_nulls().unique().to_list()
    cells = shown.select(_FLAG_FIELDS).with_columns(
        pl.col("role").replace_strict({r: T.of("speaker", r) for r in roles}, default=None, return_dtype=pl.String)
        .fill_null(T.of("speaker", None)))
    s.table(1, cells, _FLAG_CELLS)
    row = 1 + shown.height
    if total > shown.height:
        s.title(row, T.ui.rows_shown.format(shown=shown.height, total=total, file=list_name), "note")
    s.finish(freeze_row=1, freeze_col=0)
    s.ws.autofilter(0, 0, max(shown.height, 1), len(_FLAG_HEAD) - 1)


# How each column of the 服务规范 sheet is written (reports/standard.py SHEET_COLUMNS); the rest is text.
_STANDARD_CELLS = {"at": "moment", "deadline": "moment", "done_at": "moment", "paid_at": "moment",
                   "wait_s": SECONDS, "amount": MONEY, "reminders": COUNT, "reminding_agents": COUNT}


def _standard_sheet(s: SheetWriter, frame: pl.DataFrame, T: Labels, list_name: str) -> None:
    """The week's promises, handovers, reminded orders and remarks, one row each (masked as the pages are),
    one header row at the top and an autofilter over the table: a supervisor filters by kind, agent or
    status. At most ``limits.SHEET_STANDARD`` rows, those that need attention first, and then a line naming
    the file that lists them all (standard.csv)."""
    s.header(0, 0, sheet_header(T))
    shown = sheet_shown(frame, min(limits.SHEET_STANDARD, limits.EXCEL_MAX_ROWS - 2))
    s.table(1, shown.select(SHEET_COLUMNS),
            {c: _STANDARD_CELLS.get(c, "wrap" if c == "text" else "text") for c in SHEET_COLUMNS})
    if frame.height > shown.height:
        s.title(1 + shown.height, T.standard.sheet_rows_shown.format(shown=shown.height, total=frame.height,
                                                                     file=list_name), "note")
    s.finish(freeze_row=1, freeze_col=0)
    s.ws.autofilter(0, 0, max(shown.height, 1), len(SHEET_COLUMNS) - 1)


def _agent_sheet(s: SheetWriter, view: AgentView, T: Labels, masked: bool, lists: dict[str, str]) -> None:
    a = view.row
    s.title(0, f"{a.label} · {view.week}")
    _banner(s, 1, T, masked)
    s.header(2, 0, [T.ui.figure, T.ui.value, T.ui.target, T.ui.previous_week, T.ui.change])
    row = 3
    for keys in view.sections.values():
        for key in keys:
            cell, kind = a.cells[key], FIGURES[key].kind
            s.text(row, 0, T.figures[key])
            s.number(row, 1, cell.value, kind)
            if cell.target is not None:
                # In the figure's own unit: seconds for a wait, a percentage for 首响达标率.
                s.number(row, 2, cell.target, kind)
            s.number(row, 3, cell.previous, kind)
            s.number(row, 4, cell.delta.value if cell.delta else None, kind)
            row += 1
    s.text(row, 0, T.ui.band)
    s.text(row, 1, a.band_label)
    row += 2

    s.title(row, T.ui.distribution_title, "section")
    s.header(row + 1, 0, [T.ui.bin, T.ui.count])
    row += 2
    for b in view.distribution:
        s.text(row, 0, b["label"])
        s.number(row, 1, b["count"], COUNT)
        row += 1
    row += 1

    s.title(row, T.ui.daily_title, "section")
    s.header(row + 1, 0, [T.ui.day, T.ui.daily_rounds, T.ui.daily_first_rounds, T.ui.daily_first_median,
                          T.ui.daily_within, T.ui.daily_unanswered])
    row += 2
    for d in view.daily:
        s.moment(row, 0, d["day"])
        s.number(row, 1, d["rounds"], COUNT)
        s.number(row, 2, d["first_rounds"], COUNT)
        s.number(row, 3, d["first_median_s"], SECONDS)
        s.number(row, 4, d["first_within_target_pct"], PCT)
        s.number(row, 5, d["unanswered_rounds"], COUNT)
        row += 1
    row += 1

    s.title(row, T.ui.conversion_chart, "section")
    s.header(row + 1, 0, [T.ui.week, T.figures["conversion_rate"], T.ui.band])
    row += 2
    for h in view.conversion_history:
        s.text(row, 0, h["week"])
        s.number(row, 1, h["rate"], RATE)
        s.text(row, 2, T.of("bands", h["band"]))
        row += 1
    row += 1

    shown = view.sessions[: limits.SHEET_WORST_SESSIONS]
    row = _sessions_table(s, row, shown, T)
    if view.session_count > len(shown):
        s.title(row, T.ui.rows_shown.format(shown=len(shown), total=view.session_count,
                                            file=lists.get("sessions", "")), "note")
    s.finish(freeze_row=3, freeze_col=1)


def _sessions_table(s: SheetWriter, row: int, sessions: list[SessionView], T: Labels) -> int:
    s.title(row, T.ui.sessions_title, "section")
    s.header(row + 1, 0, [T.ui.session, T.ui.score, T.ui.auto_failed, T.ui.responsiveness, T.ui.compliance,
                          T.ui.outcome, T.ui.buyer, T.ui.sent_at, T.ui.deductions])
    row += 2
    for sv in sessions:
        s.text(row, 0, sv.session_id)
        s.number(row, 1, sv.score, SCORE)
        s.boolean(row, 2, sv.auto_failed)
        s.number(row, 3, sv.responsiveness, SCORE)
        s.number(row, 4, sv.compliance, SCORE)
        s.number(row, 5, sv.outcome, SCORE)
        s.text(row, 6, sv.buyer)
        s.moment(row, 7, sv.started_at_value)
        s.text(row, 8, "\n".join(f"−{d['points']:g} {d['category_label']}: {d['reason']}" for d in sv.deductions))
        row += 1
    return row


# The HTML pages' colours (templates/_style.html), as fills a spreadsheet keeps when it is sorted or edited.
_TONES = {"ok": ("#1a7f37", "#dafbe1"), "warn": ("#9a6700", "#fff8c5"), "bad": ("#b42318", "#ffebe9"),
          "band-fail": ("#b42318", "#ffebe9"), "band-pass": ("#7d4e00", "#fff8c5"),
          "band-good": ("#0550ae", "#ddf4ff"), "band-excellent": ("#116329", "#dafbe1")}


def _tone_formats(wb) -> dict:
    return {tone: wb.add_format({"font_color": fg, "bg_color": bg}) for tone, (fg, bg) in _TONES.items()}


def _kind(column: str, dtype: pl.DataType) -> str | None:
    """How a column is written: its figure's kind, else read from its name and type; None for text."""
    if column in FIGURES:
        return FIGURES[column].kind
    if column.endswith("_pct"):
        return PCT
    if column.endswith("_s"):
        return SECONDS
    if column.endswith("amount"):
        return MONEY
    if dtype.is_integer():
        return COUNT
    if dtype.is_numeric():
        return SCORE
    return None


def _kpi_sheet(s: SheetWriter, frame: pl.DataFrame, targets: dict[str, tuple[int, int]], T: Labels,
               tones: dict, first_share: float | None = None) -> None:
    """Every agent_week figure of every agent, one header row at the top, an autofilter over the whole table
    (a supervisor sorts by any KPI), and the pages' colours as conditional formats: against each row's own
    response targets (pre-sale and after-sale differ), on auto-fails, critical flags and unanswered rounds,
    and on the conversion band."""
    text_cols = ["shop", "agent", "agent_name", "agent_role"]
    skip = {"week", *text_cols, "band"}
    numeric = [c for c in frame.columns if c not in skip and frame.schema[c] != pl.String and _kind(c, frame.schema[c])]
    columns = [*text_cols, "band", "first_target_s", "follow_target_s", *numeric]

    def label(column: str) -> str:
        return T.figures[column] if column in FIGURES else T.of("columns", column)

    s.header(0, 0, [label(c) for c in columns])
    rows = frame.sort(["shop", "agent"]).rows(named=True)
    for r_index, row in enumerate(rows, start=1):
        first, follow = targets.get(row.get("agent_role") or "", (None, None))
        values = {**row, "first_target_s": first, "follow_target_s": follow,
                  "agent_role": T.of("roles", row.get("agent_role")) if row.get("agent_role") else None,
                  "band": T.of("bands", row["band"]) if row.get("band") else None}
        for c_index, column in enumerate(columns):
            if column in ("shop", "agent", "agent_name", "agent_role", "band"):
                s.text(r_index, c_index, values[column])
            elif column in ("first_target_s", "follow_target_s"):
                s.number(r_index, c_index, values[column], SECONDS)
            else:
                s.number(r_index, c_index, values[column], _kind(column, frame.schema[column]))
    last = max(len(rows), 1)
    s.finish(freeze_row=1, freeze_col=2)
    s.ws.autofilter(0, 0, last, len(columns) - 1)
    where = {c: i for i, c in enumerate(columns)}

    def ref(column: str, row: int = 1, absolute_col: bool = True) -> str:
        col = xlsxwriter.utility.xl_col_to_name(where[column])
        return f"{'$' if absolute_col else ''}{col}{row + 1}"

    def rule(column: str, formula: str, tone: str) -> None:
        if column in where:
            s.ws.conditional_format(1, where[column], last, where[column],
                                    {"type": "formula", "criteria": formula, "format": tones[tone]})

    for column, target, p90 in (("first_median_s", "first_target_s", False), ("first_p90_s", "first_target_s", True),
                                ("follow_median_s", "follow_target_s", False), ("follow_p90_s", "follow_target_s", True)):
        if column not in where:
            continue
        value, limit = ref(column), ref(target)
        rule(column, f'=AND(ISNUMBER({value}),ISNUMBER({limit}),{value}>{limit})', "warn" if p90 else "bad")
        rule(column, f'=AND(ISNUMBER({value}),ISNUMBER({limit}),{value}<={limit})', "ok")
    for column, tone in (("auto_failed_sessions", "bad"), ("flags_critical", "bad"), ("unanswered_rounds", "warn"),
                         ("flags_major", "warn"), ("flags_minor", "warn")):
        if column in where:
            rule(column, f"=AND(ISNUMBER({ref(column)}),{ref(column)}>0)", tone)
    if first_share is not None and "first_within_target_pct" in where:
        # written as a fraction (Excel's %), the share the standard asks for as one too
        value, share = ref("first_within_target_pct"), first_share / 100
        rule("first_within_target_pct", f"=AND(ISNUMBER({value}),{value}<{share})", "bad")
        rule("first_within_target_pct", f"=AND(ISNUMBER({value}),{value}>={share})", "ok")
    for band in ("fail", "pass", "good", "excellent"):
        text = T.of("bands", band).replace('"', '""')
        rule("band", f'={ref("band")}="{text}"', f"band-{band}")
