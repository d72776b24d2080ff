"""The monthly report (新客服考核期为一个月; pay follows monthly KPIs): ``reports/<month>/`` holds
``summary.html`` (every agent of the month), ``agents/<agent>.html``, ``qc-<month>.xlsx`` (one row per agent
with agent_month's own column names, for a payroll sheet to take), ``agent_month.csv`` and ``summary.md``.

Every figure is agent_month's, read as stored; the pages only present them. The flagged messages an agent
page lists are masked like the weekly pages'.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter

from qc_pipeline.conductor.scope import month_weeks
from qc_pipeline.errors import UserError
from qc_pipeline.reports.figures import COUNT, MONEY, PCT, RATE, SCORE, SECONDS, data_value, fmt, plain
from qc_pipeline.reports.html import environment
from qc_pipeline.reports.labels import LANGS, Labels
from qc_pipeline.reports.markdown import md_escape
from qc_pipeline.reports.masking import mask_nick, mask_text
from qc_pipeline.reports.naming import account, agent_file_names, shown_agent
from qc_pipeline.reports.staging import is_staging, staged_folder
from qc_pipeline.reports.weekly_tables import write_csv
from qc_pipeline.reports.xlsx_cells import SheetWriter, formats
from qc_pipeline.reports.workbook import _created
from qc_pipeline.store.schema import FLAG_MESSAGE_JOIN

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
AGENT_MONTH_CSV = "agent_month.csv"
# The flagged messages an agent page lists (the month's worst first); the rest are in the warehouse.
FLAGS_SHOWN = 50

# The figures of the pages, by section, with how each is formatted (agent_month's columns).
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "response": (
        ("sessions", COUNT), ("rounds", COUNT), ("first_rounds", COUNT), ("first_median_s", SECONDS),
        ("first_p90_s", SECONDS), ("first_within_target_pct", PCT), ("follow_median_s", SECONDS),
        ("follow_p90_s", SECONDS), ("follow_within_target_pct", PCT), ("unanswered_rounds", COUNT),
        ("avg_wait_capped_s", SECONDS),
    ),
    "conversion": (
        ("inquiries", COUNT), ("ordering_buyers", COUNT), ("paying_buyers", COUNT), ("conversion_rate", RATE),
        ("sales_amount", MONEY), ("aov", MONEY), ("refund_amount", MONEY), ("refund_orders", COUNT),
        ("assists", COUNT),
    ),
    "quality": (
        ("scored_sessions", COUNT), ("qc_score_avg", SCORE), ("auto_failed_sessions", COUNT), ("flags_total", COUNT),
        ("flags_critical", COUNT), ("flags_major", COUNT), ("flags_minor", COUNT), ("violation_sessions", COUNT),
        ("violation_session_pct", PCT),
    ),
    "kpis": (
        ("consulted_buyers", COUNT), ("received_buyers", COUNT), ("reply_rate_pct", PCT), ("answer_ratio", SCORE),
        ("avg_response_s", SECONDS), ("paid_orders", COUNT), ("refund_rate_pct", PCT), ("items_per_buyer", SCORE),
        ("final_paid_pct", PCT), ("next_day_paid_pct", PCT), ("aftersale_sessions", COUNT),
        ("aftersale_first_5min_pct", PCT), ("reopened_cases", COUNT),
    ),
    "standard": (
        ("promises", COUNT), ("promises_kept", COUNT), ("promises_kept_pct", PCT),
        ("promise_keep_median_s", SECONDS), ("reminders_sent", COUNT), ("reminded_paid", COUNT),
        ("reminder_success_pct", PCT), ("reminder_recovered_amount", MONEY),
    ),
}
# The team table's columns.
SUMMARY_KEYS = (
    ("sessions", COUNT), ("first_median_s", SECONDS), ("first_within_target_pct", PCT),
    ("follow_within_target_pct", PCT), ("unanswered_rounds", COUNT), ("inquiries", COUNT),
    ("conversion_rate", RATE), ("sales_amount", MONEY), ("qc_score_avg", SCORE), ("flags_total", COUNT),
)
# The weekly breakdown on an agent page: agent_week's rows of the month's ISO weeks.
WEEK_KEYS = (("sessions", COUNT), ("first_within_target_pct", PCT), ("conversion_rate", RATE),
             ("qc_score_avg", SCORE), ("flags_total", COUNT))
# Workbook number formats by column (anything else numeric is a count); percentages stay 0-100 as stored.
_DECIMAL = "0.00"


def check_month(month: str, option: str = "--month") -> str:
    """`month` when it reads YYYY-MM (a real month), else the one-line error."""
    if not _MONTH.match(month or ""):
        raise UserError(f"{option} {month!r}: expected a month like 2026-11")
    return month


def held_months(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The months agent_month holds; None where there is no such table (a warehouse or lake written before
    it existed, opened read-only)."""
    try:
        return [m for (m,) in con.execute("SELECT DISTINCT month FROM agent_month ORDER BY month").fetchall()]
    except duckdb.CatalogException:
        return None


@dataclass
class Cell:
    key: str
    label: str
    text: str
    value: object


@dataclass
class AgentMonth:
    row: dict
    file_name: str
    cells: dict[str, Cell]
    sections: dict[str, list[Cell]] = field(default_factory=dict)
    weeks: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    flags_total: int = 0

    @property
    def label(self) -> str:
        return shown_agent(self.row["shop"], self.row["agent"])


def _label(T: Labels, key: str) -> str:
    return T.figures.get(key) or T.columns.get(key) or T.month_figures.get(key) or key


def _cells(row: dict, keys, T: Labels) -> dict[str, Cell]:
    return {k: Cell(k, _label(T, k), fmt(kind, plain(row.get(k)), T), plain(row.get(k))) for k, kind in keys}


def _weeks(con, month: str, T: Labels) -> dict[tuple[str, str], list[dict]]:
    weeks = month_weeks(month)
    rows = con.execute(
        "SELECT week, shop, agent, " + ", ".join(k for k, _ in WEEK_KEYS)
        + " FROM agent_week WHERE week IN (SELECT unnest($weeks)) ORDER BY week", {"weeks": weeks}).fetchall()
    out: dict[tuple[str, str], list[dict]] = {}
    for week, shop, agent, *values in rows:
        out.setdefault((shop, agent), []).append(
            {"week": week, "cells": [Cell(k, _label(T, k), fmt(kind, plain(v), T), plain(v))
                                     for (k, kind), v in zip(WEEK_KEYS, values)]})
    return out


def _flags(con, month: str, mask: bool, T: Labels) -> tuple[dict[tuple[str, str], list[dict]], dict]:
    """The month's flagged human-agent messages per (shop, agent), gravest first, masked."""
    rows = con.execute(
        f"""WITH f AS (
               SELECT f.shop, f.agent, f.msg_id, f.sent_at, f.buyer,
                      string_agg(DISTINCT f.category, ', ' ORDER BY f.category) AS categories,
                      min(CASE f.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 ELSE 2 END) AS rank
               FROM flags f
               WHERE f.role = 'agent' AND strftime(f.sent_at, '%Y-%m') = $month
               GROUP BY ALL)
           SELECT f.shop, f.agent, f.sent_at, f.buyer, f.categories, f.rank, m.text,
                  count(*) OVER (PARTITION BY f.shop, f.agent) AS total,
                  row_number() OVER (PARTITION BY f.shop, f.agent ORDER BY f.rank, f.sent_at, f.msg_id) AS n
           FROM f JOIN messages m ON {FLAG_MESSAGE_JOIN}
           QUALIFY n <= $shown
           ORDER BY f.shop, f.agent, n""", {"month": month, "shown": FLAGS_SHOWN}).fetchall()
    severities = ("critical", "major", "minor")
    out: dict[tuple[str, str], list[dict]] = {}
    totals: dict[tuple[str, str], int] = {}
    for shop, agent, sent_at, buyer, categories, rank, text, total, _ in rows:
        nicks = [buyer] if buyer else []
        out.setdefault((shop, agent), []).append({
            "sent_at": sent_at.strftime("%Y-%m-%d %H:%M:%S"),
            "buyer": mask_nick(buyer) if mask else buyer,
            "categories": ", ".join(T.of("categories", c) for c in categories.split(", ")),
            "severity": T.of("severities", severities[rank] if rank < 3 else None),
            "text": mask_text(text, nicks) if mask else text,
        })
        totals[(shop, agent)] = total
    return out, totals


def _views(con, month: str, T: Labels, mask: bool) -> tuple[pl.DataFrame, list[AgentMonth]]:
    table = con.sql("SELECT * FROM agent_month WHERE month = $month ORDER BY shop, agent",
                    params={"month": month}).pl()
    names = agent_file_names([account(shop, agent) for shop, agent in table.select("shop", "agent").iter_rows()])
    weeks = _weeks(con, month, T)
    flags, totals = _flags(con, month, mask, T)
    views = []
    for row in table.iter_rows(named=True):
        key = (row["shop"], row["agent"])
        view = AgentMonth(row, names[account(*key)], _cells(row, SUMMARY_KEYS, T))
        view.sections = {s: list(_cells(row, keys, T).values()) for s, keys in SECTIONS.items()}
        view.weeks = weeks.get(key, [])
        view.flags, view.flags_total = flags.get(key, []), totals.get(key, 0)
        views.append(view)
    return table, views


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _common(T: Labels, month: str, masked: bool, stamp: str, meta: dict) -> dict:
    return {"T": T, "week": month, "month": month, "masked": masked, "generated_at": stamp, "meta": meta,
            "data_value": data_value}


def _markdown(month: str, views: list[AgentMonth], T: Labels, mask: bool, stamp: str) -> str:
    head = [T.ui.agent, T.ui.agent_name] + [_label(T, k) for k, _ in SUMMARY_KEYS]
    lines = [f"# {T.monthly.summary_title} {month}", "", T.ui.masked_note if mask else T.ui.unmasked_banner, "",
             T.monthly.month_note, "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in views:
        cells = [md_escape(v.label), md_escape(v.row.get("agent_name") or "")]
        cells += [v.cells[k].text for k, _ in SUMMARY_KEYS]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"{T.ui.generated_at}: {stamp}", ""]
    return "\n".join(lines)


def write_payroll_workbook(path: Path, month: str, table: pl.DataFrame, T: Labels, masked: bool,
                           generated_at: dt.datetime) -> Path:
    """One header row of agent_month's column names, then one row per agent: plain cells, real numbers, no
    merged cells, text neutralised, so that a payroll sheet can look an agent up by column name."""
    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    wb.set_properties({"title": f"{T.monthly.summary_title} {month}", "created": _created(generated_at),
                       "comments": T.ui.masked_note if masked else T.ui.unmasked_banner})
    f = formats(wb, T.units.seconds)
    f["decimal"] = wb.add_format({"num_format": _DECIMAL})
    s = SheetWriter(wb, T.monthly.payroll_sheet, f)
    s.header(0, 0, table.columns)
    for r, row in enumerate(table.iter_rows(), start=1):
        for c, (name, value) in enumerate(zip(table.columns, row)):
            dtype = table.schema[name]
            if isinstance(value, str) or dtype == pl.String:
                s.text(r, c, value)
            elif value is None:
                s.ws.write_blank(r, c, None)
            else:
                style = "decimal" if dtype.is_float() else MONEY if isinstance(dtype, pl.Decimal) else COUNT
                s.ws.write_number(r, c, float(value), f[style])
                s._width(c, len(f"{float(value):,.2f}"))
    s.finish(freeze_row=1, freeze_col=3)
    about = SheetWriter(wb, T.monthly.about_sheet, f)
    about.title(0, f"{T.monthly.summary_title} {month}")
    about.title(1, T.ui.masked_note if masked else T.ui.unmasked_banner, "note" if masked else "alert")
    about.text(2, 0, T.monthly.workbook_note)
    about.text(3, 0, T.monthly.month_note)
    about.finish()
    wb.close()
    return path


def write_month_reports(con: duckdb.DuckDBPyConnection, month: str, out_dir: Path, lang: str = "zh",
                        mask: bool = True, generated_at: dt.datetime | None = None, config=None) -> list[Path]:
    """Write ``<out_dir>/<month>/`` and return the paths. Raises UserError for a malformed month, one the
    warehouse does not hold, and a folder that cannot be written."""
    if lang not in LANGS:
        raise UserError(f"--lang {lang!r}: reports are written in {' or '.join(LANGS)}")
    check_month(month)
    held = held_months(con)
    if held is None:
        raise UserError(f"--month {month}: this warehouse has no monthly figures yet (written before agent_month "
                        "existed); run `qc rebuild` to compute them")
    if month not in held:
        raise UserError(f"--month {month}: not in the warehouse (it holds {', '.join(held) or 'no months'})")
    generated_at = generated_at or dt.datetime.now().astimezone().replace(microsecond=0)
    stamp = generated_at.strftime("%Y-%m-%d %H:%M")
    bands = config.conversion["bands"] if config is not None else []
    T = Labels(lang, {b["name"]: b["label"] for b in bands if b.get("label")})
    meta = dict(con.execute("SELECT key, value FROM meta WHERE key LIKE '%_version'").fetchall())
    table, views = _views(con, month, T, mask)
    env = environment()
    owned = {"summary.html", "agents", f"qc-{month}.xlsx", "summary.md", AGENT_MONTH_CSV}
    folder = Path(out_dir) / month
    with staged_folder(folder, lambda name: name in owned or is_staging(name)) as stage:
        common = _common(T, month, mask, stamp, meta)
        written = [_write_text(stage / "summary.html", env.get_template("month_summary.html").render(
            views=views, keys=SUMMARY_KEYS, label=lambda k: _label(T, k), **common))]
        for view in views:
            written.append(_write_text(stage / "agents" / view.file_name, env.get_template("month_agent.html").render(
                view=view, week_keys=WEEK_KEYS, label=lambda k: _label(T, k), shown=FLAGS_SHOWN, **common)))
        written.append(write_payroll_workbook(stage / f"qc-{month}.xlsx", month, table, T, mask, generated_at))
        written.append(write_csv(table, stage / AGENT_MONTH_CSV))
        written.append(_write_text(stage / "summary.md", _markdown(month, views, T, mask, stamp)))
    return [folder / p.relative_to(stage) for p in written]


__all__ = ["check_month", "write_month_reports", "write_payroll_workbook", "SECTIONS"]
