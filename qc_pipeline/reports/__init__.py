"""Weekly reports: what QC specialists, supervisors and the team open each week.

``write_reports`` leaves in ``<out_dir>/<week>/``: ``summary.html`` (team), ``agents/<agent>.html`` (one per
agent), ``sessions.parquet``, ``flags.csv`` and ``standard.csv`` (the week's full lists), ``qc-<week>.xlsx`` and
``summary.md``.
Every figure is read from the warehouse as stored. The work grows with the number of agents: sessions
are aggregated, ranked and limited in SQL, and text is masked column-wise.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from qc_pipeline.config import ROLES, load_config
from qc_pipeline.errors import UserError
from qc_pipeline.reports.agent_trend import agent_trends
from qc_pipeline.reports.data import load_week
from qc_pipeline.reports.detail import build_details
from qc_pipeline.reports.explanations import rule_explanations
from qc_pipeline.reports import drill, drill_pages
from qc_pipeline.reports.html import SessionBodies, render_agent, render_list, render_summary
from qc_pipeline.reports.labels import LANGS, Labels
from qc_pipeline.reports.markdown import render_markdown
from qc_pipeline.reports.naming import account, account_sql, agent_file_names
from qc_pipeline.reports.views import agent_views, summary_view
from qc_pipeline.reports.staging import is_staging, staged_folder
from qc_pipeline.reports.standard import SHEET_COLUMNS, build_standard
from qc_pipeline.reports.weekly_tables import (AGENT_WEEK_CSV, STALE_AUTO_REPLIES_CSV, agent_week_frame,
                                               stale_auto_replies_frame, write_csv, write_parquet)
from qc_pipeline.reports.workbook import write_workbook
from qc_pipeline.review.report import review_section

log = logging.getLogger(__name__)

SESSIONS_LIST = "sessions.parquet"
FLAGS_CSV = "flags.csv"
STANDARD_CSV = "standard.csv"

__all__ = ["write_reports"]


@contextmanager
def _phase(name: str):
    # Seconds per phase at debug level: what to look at when a week's reports get slow.
    start = time.perf_counter()
    yield
    log.debug("reports: %s %.3f s", name, time.perf_counter() - start)


def _stamp(generated_at: dt.datetime) -> str:
    text = generated_at.strftime("%Y-%m-%d %H:%M")
    return f"{text} {generated_at.strftime('%z')}".strip() if generated_at.tzinfo else text


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation, the same file on every OS
    return path


def _pack_names(week: str, agent_week: bool) -> set[str]:
    names = {"summary.html", "agents", drill.FOLDER, SESSIONS_LIST, FLAGS_CSV, STANDARD_CSV, f"qc-{week}.xlsx",
             "summary.md", STALE_AUTO_REPLIES_CSV}
    return names | {AGENT_WEEK_CSV} if agent_week else names


def write_reports(
    con: duckdb.DuckDBPyConnection,
    week: str,
    out_dir: Path,
    lang: str = "zh",
    mask: bool = True,
    generated_at: dt.datetime | None = None,
    config=None,
    agent_week: bool = False,
) -> list[Path]:
    """Write the week's reports (with ``agent_week``, also ``agent_week.csv``) and return their paths.
    Each agent page links to its cases of the week's case library whose page is in ``<week>/cases/``.

    The pack is written into a temporary folder and moved into place (``staging``): the week's folder holds
    the whole new pack or, when writing fails, the previous one. Raises UserError for a week the warehouse
    lacks and for a folder that cannot be written (one line naming the path)."""
    if lang not in LANGS:
        raise UserError(f"--lang {lang!r}: reports are written in {' or '.join(LANGS)}")
    if config is None:
        config = load_config()
    generated_at = generated_at or dt.datetime.now().astimezone().replace(microsecond=0)
    bands = config.conversion["bands"]
    T = Labels(lang, {b["name"]: b["label"] for b in bands if b.get("label")})
    # The histogram splits at each role's first-response target, so the SQL buckets need them all.
    roles = set(ROLES) | {r for (r,) in con.execute(
        "SELECT DISTINCT agent_role FROM agent_week WHERE week = ? AND agent_role IS NOT NULL", [week]).fetchall()}
    with _phase("figures"):
        data = load_week(con, week, {config.target_seconds(role, True) for role in sorted(roles)})
    stamp = _stamp(generated_at)
    with _phase("sessions and flags"):
        details = build_details(con, week, T, mask, rule_explanations(config, lang))

    folder = Path(out_dir) / week
    file_names = agent_file_names([account(r["shop"], r["agent"]) for r in data.agents])
    with _phase("views"):
        summary = summary_view(data, config, T, file_names)
        summary.review = review_section(con, week, config)
        agents = agent_views(data, config, T, file_names, details)
        drill_pages.attach_links(summary.agents, details)
        drill_pages.attach_links([view.row for view in agents], details)
        drill_pages.attach_attention(summary.attention, file_names)
        summary.total_links = drill_pages.team_links(summary.totals)
        list_pages = drill_pages.list_pages(details, file_names, T)
        by_agent = _cases_by_agent(con, week, lang, Path(out_dir) / week / "cases")
        for view in agents:
            view.cases = by_agent.get(view.row.account, [])
    with _phase("service standard"):
        summary.standard = build_standard(con, week, data.agents, T, mask, config.promise_due_hours,
                                          config.target_seconds(config.default_role, True))
        for view in agents:
            view.standard = summary.standard.by_agent.get(view.row.account)
        trends = agent_trends(data.history, week, T)

    lists = {"sessions": SESSIONS_LIST, "flags": FLAGS_CSV, "standard": STANDARD_CSV}
    week_rows = agent_week_frame(con, week)
    owned = _pack_names(week, agent_week)
    with staged_folder(folder, lambda name: name in owned or is_staging(name)) as stage:
        with _phase("html"):
            written = [_write_text(stage / "summary.html", render_summary(summary, T, mask, stamp, data.versions,
                                                                                  lists))]
            bodies = SessionBodies(T)
            for view in agents:
                html = render_agent(view, T, bands, mask, stamp, data.versions, lists,
                                    trends.get((view.row.shop, view.row.agent)), bodies)
                written.append(_write_text(stage / "agents" / view.row.file_name, html))
            for page in list_pages:
                where = (stage / drill.FOLDER / page.name / page.agent_file if page.agent
                         else stage / drill.FOLDER / f"{page.name}.html")
                written.append(_write_text(where, render_list(page, T, mask, stamp, data.versions, week, lists, bodies)))
        with _phase("lists"):
            written.append(write_parquet(details.session_list, stage / SESSIONS_LIST))
            written.append(write_csv(details.flags, stage / FLAGS_CSV))
            written.append(write_csv(summary.standard.sheet.select(SHEET_COLUMNS), stage / STANDARD_CSV))
            written.append(write_csv(stale_auto_replies_frame(con, week, mask), stage / STALE_AUTO_REPLIES_CSV))
        with _phase("workbook"):
            targets = {role: (config.target_seconds(role, True), config.target_seconds(role, False))
                       for role in sorted(roles)}
            written.append(write_workbook(stage / f"qc-{week}.xlsx", summary, agents, details.shown_flags,
                                          details.flags.height, T, mask, generated_at, lists,
                                          agent_week=week_rows, targets=targets,
                                          first_share=config.first_within_target_share))
        written.append(_write_text(stage / "summary.md", render_markdown(summary, T, mask, stamp)))
        if agent_week:
            written.append(write_csv(week_rows, stage / AGENT_WEEK_CSV))
    return [folder / p.relative_to(stage) for p in written]


def _cases_by_agent(con: duckdb.DuckDBPyConnection, week: str, lang: str, folder: Path) -> dict[str, list[dict]]:
    """account (naming.account) -> the week's cases of the case library (good first, by rank) whose page is in ``folder``,
    each with its page: a case the table holds but no page shows (the library not written, or written
    from another selection) is not linked."""
    from qc_pipeline.cases.labels import category

    rows = con.execute(f"SELECT case_id, kind, category, {account_sql()} AS account, session_id, score FROM cases "
                       "WHERE week = ? AND agent IS NOT NULL ORDER BY account, kind DESC, rank", [week]).fetchall()
    out: dict[str, list[dict]] = {}
    for case_id, kind, cat, key, session_id, score in rows:
        page = folder / f"{case_id}.html"
        if not page.is_file() or f'data-session="{session_id}"' not in page.read_text(encoding="utf-8"):
            continue
        out.setdefault(key, []).append({"case_id": case_id, "kind": kind, "category": category(cat, lang),
                                          "session_id": session_id, "score": score,
                                          "href": f"../cases/{case_id}.html"})
    return out
