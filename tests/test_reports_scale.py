"""Reports whose size follows the agents, not the sessions: the few sessions worth reading per agent,
bounded sheets, and the week's full lists beside the workbook; the versions the week was built with."""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict

import openpyxl
import polars as pl
import pytest

from qc_pipeline.reports import limits, write_reports
from qc_pipeline.reports.masking import mask_nick
from qc_pipeline.reports.naming import agent_file_names
from qc_pipeline.reports.weekly_tables import write_agent_week_csv
from tests.report_fixtures import AGENTS, PHONE, XIAOYA, build, read_page, warehouse  # noqa: F401 (fixture)

WEEK = "2026-W47"
GENERATED = dt.datetime(2026, 11, 23, 8, 0)


@pytest.fixture(scope="module")
def folder(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    write_reports(warehouse.con, WEEK, out, generated_at=GENERATED)
    return out / WEEK


def _facts(con) -> dict[str, dict]:
    """Per session of the week, computed the plain way from the tables."""
    out = {}
    for sid, agent, score, failed, buyer in con.execute(
        "SELECT s.session_id, s.agent, s.score, s.auto_failed, ss.buyer FROM session_scores s "
        "JOIN sessions ss USING (session_id) WHERE s.week = ?", [WEEK]).fetchall():
        out[sid] = {"agent": agent, "score": score, "auto_failed": failed, "buyer": buyer, "rounds": 0,
                    "unanswered": 0, "waits": [], "flags": 0, "auto_flags": 0, "deductions": 0}
    for sid, wait, unanswered in con.execute(
            "SELECT session_id, wait_seconds, unanswered FROM rounds WHERE week = ?", [WEEK]).fetchall():
        out[sid]["rounds"] += 1
        out[sid]["unanswered"] += unanswered
        if not unanswered:
            out[sid]["waits"].append(wait)
    for sid, role in con.execute("SELECT session_id, role FROM flags WHERE week = ?", [WEEK]).fetchall():
        out[sid]["flags" if role == "agent" else "auto_flags"] += 1
    for (sid,) in con.execute("SELECT session_id FROM score_deductions").fetchall():
        if sid in out:
            out[sid]["deductions"] += 1
    return out


def test_session_list_holds_every_session_with_its_facts(warehouse, folder):
    listed = pl.read_parquet(folder / "sessions.parquet")
    truth = _facts(warehouse.con)
    assert sorted(listed["session_id"]) == sorted(truth)
    for row in listed.iter_rows(named=True):
        t = truth[row["session_id"]]
        assert (row["agent"], row["score"], row["auto_failed"]) == (t["agent"], t["score"], t["auto_failed"])
        assert (row["rounds"], row["unanswered_rounds"]) == (t["rounds"], t["unanswered"])
        assert row["max_wait_s"] == (max(t["waits"]) if t["waits"] else None)
        assert (row["flags"], row["auto_flags"], row["deductions"]) == (t["flags"], t["auto_flags"], t["deductions"])
        assert row["buyer"] == mask_nick(t["buyer"])


def test_flag_list_holds_every_flag_masked_and_neutralised(warehouse, folder):
    with open(folder / "flags.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stored = warehouse.con.execute("SELECT rule_id FROM flags WHERE week = ? ORDER BY rule_id", [WEEK]).fetchall()
    assert sorted(r["rule_id"] for r in rows) == [r for (r,) in stored]
    assert all(r["message"] for r in rows)  # each flag found its message (joined on its id and time)
    text = (folder / "flags.csv").read_text(encoding="utf-8-sig")
    assert PHONE not in text and "13812345678" not in text
    off = next(r for r in rows if r["rule_id"] == "OFF-PLATFORM-001")
    assert off["matched"] == "加我微信138****5678" and off["message"].startswith("'+1 ")
    assert next(r for r in rows if r["rule_id"] == "AD-EXTREME-001")["message"].startswith("'=HYPERLINK")
    scores = [float(r["session_score"]) for r in rows]
    assert scores == sorted(scores)  # lowest session score first


def _expected_reading(con) -> dict[str, dict[str, list[str]]]:
    facts = _facts(con)
    by_agent: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    flagged = {(a, s) for a, s in con.execute(
        "SELECT DISTINCT agent, session_id FROM flags WHERE week = ?", [WEEK]).fetchall()}
    for agent, sid in flagged:
        by_agent[agent]["flagged"].append(((facts[sid]["score"],), sid))
    for sid, f in facts.items():
        most = max(f["waits"]) if f["waits"] else None
        if f["auto_failed"]:
            by_agent[f["agent"]]["auto_failed"].append(((f["score"],), sid))
        if f["unanswered"]:
            by_agent[f["agent"]]["unanswered"].append(((-f["unanswered"], -(most or 0)), sid))
        if most is not None:
            by_agent[f["agent"]]["slowest"].append(((-most,), sid))
        if not f["auto_failed"]:
            by_agent[f["agent"]]["best"].append(((-f["score"], -f["rounds"]), sid))
    return {a: {k: [sid for _, sid in sorted(v)][: limits.READING[k]] for k, v in kinds.items()}
            for a, kinds in by_agent.items()}


def test_sessions_worth_reading_are_the_first_of_each_kind(warehouse, folder):
    expected = _expected_reading(warehouse.con)
    names = agent_file_names(list(AGENTS))
    for agent in AGENTS:
        page = read_page(folder / "agents" / names[agent])
        html = (folder / "agents" / names[agent]).read_text(encoding="utf-8")
        index = {a["data-kind"]: a for t, a in page.tags if t == "li" and "data-kind" in a}
        for kind, ids in expected.get(agent, {}).items():
            item = html.split(f'<li data-kind="{kind}"')[1].split("</li>")[0]
            assert [part.split('"')[0] for part in item.split('href="#s-')[1:]] == ids, (agent, kind)
            assert int(index[kind]["data-total"]) >= len(ids)
        shown = [a["data-session"] for t, a in page.tags if t == "div" and "data-kind" in a]
        wanted = list(dict.fromkeys(s for k in limits.READING for s in expected.get(agent, {}).get(k, [])))
        assert shown == wanted, agent  # each once, under the first kind it fits


def test_limits_bound_pages_and_sheets_while_the_lists_stay_whole(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "READING", {k: 1 for k in limits.READING})
    monkeypatch.setattr(limits, "WORST_SESSIONS_SHOWN", 2)
    monkeypatch.setattr(limits, "SHEET_WORST_SESSIONS", 1)
    monkeypatch.setattr(limits, "SHEET_FLAGS", 2)
    monkeypatch.setattr(limits, "TRANSCRIPT_LINES", 1)
    monkeypatch.setattr(limits, "CONTEXT", 0)
    write_reports(warehouse.con, WEEK, tmp_path, generated_at=GENERATED)
    folder = tmp_path / WEEK
    page_path = folder / "agents" / agent_file_names(list(AGENTS))[XIAOYA]
    page, html = read_page(page_path), page_path.read_text(encoding="utf-8")
    assert len([a for t, a in page.tags if t == "div" and a.get("data-kind") == "flagged"]) == 1
    assert len([a for t, a in page.tags if t == "tr" and "data-session" in a]) == 2
    assert "显示最差的 2 个，共 5 个" in html
    assert "省略" in html  # transcripts cut to their first line and the flagged message
    wb = openpyxl.load_workbook(folder / f"qc-{WEEK}.xlsx")
    flags = [r for r in wb["违规明细"].iter_rows(min_row=2, values_only=True) if r[0] is not None or r[5]]
    stored = warehouse.con.execute("SELECT count(*) FROM flags WHERE week = ?", [WEEK]).fetchall()[0][0]
    assert len([r for r in flags if r[5]]) == 2
    assert any(isinstance(r[0], str) and f"共 {stored} 行" in r[0] and "flags.csv" in r[0] for r in flags)
    sheet = [r[0] for r in wb["小雅"].iter_rows(values_only=True) if isinstance(r[0], str)]
    assert any("共 5 行" in v and "sessions.parquet" in v for v in sheet)
    assert pl.read_parquet(folder / "sessions.parquet").height == len(_facts(warehouse.con))
    with open(folder / "flags.csv", encoding="utf-8-sig") as fh:
        assert sum(1 for _ in fh) - 1 == stored


def _footer(path) -> str:
    return path.read_text(encoding="utf-8").split("<footer>")[1].split("</footer>")[0]


def test_footer_shows_the_versions_the_week_was_built_with(tmp_path):
    built = build(tmp_path / "p.duckdb")
    con = built.con
    # The warehouse may already create it (the conductor's bookkeeping); the reports read it by column name.
    con.execute("CREATE TABLE IF NOT EXISTS partitions (shop VARCHAR, week VARCHAR, stale BOOLEAN, "
                "config_version VARCHAR, rule_version VARCHAR, scorecard_version VARCHAR, built_at TIMESTAMP)")
    write_reports(con, WEEK, tmp_path / "empty", generated_at=GENERATED)
    footer = _footer(tmp_path / "empty" / WEEK / "summary.html")
    assert "rules-2026.11" in footer and "scorecard-1" in footer  # no partition yet: the meta table's
    con.execute("INSERT INTO partitions (shop, week, stale, rule_version, config_version, scorecard_version, built_at) "
                "VALUES ('店A', ?, false, 'rules-9', 'cfg-3', 'card-2', now()), "
                "('店B', ?, false, 'rules-8', 'cfg-3', 'card-2', now()), "
                "('店C', ?, true, NULL, NULL, NULL, NULL), "
                "('店A', '2026-W46', false, 'rules-1', 'cfg-1', 'card-1', now())", [WEEK, WEEK, WEEK])
    write_reports(con, WEEK, tmp_path / "built", generated_at=GENERATED)
    footer = _footer(tmp_path / "built" / WEEK / "summary.html")
    assert "规则版本: rules-8 / rules-9" in footer and "配置版本: cfg-3" in footer and "评分卡版本: card-2" in footer
    assert "rules-2026.11" not in footer and "rules-1" not in footer
    con.close()


def test_agent_week_csv_neutralises_formulas(tmp_path):
    built = build(tmp_path / "f.duckdb", weeks=(WEEK,))
    built.con.execute("UPDATE agent_week SET agent_name = '=cmd|x' WHERE agent = ?", [XIAOYA])
    path = write_agent_week_csv(built.con, tmp_path / "out", WEEK)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        names = {r["agent"]: r["agent_name"] for r in csv.DictReader(fh)}
    assert names[XIAOYA] == "'=cmd|x"
    built.con.close()
