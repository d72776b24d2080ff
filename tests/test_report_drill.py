"""Drill-down on the sample's weekly pack: every count on the summary and the agent pages leads to a page
listing the sessions behind it, as many as the count says (agent_week's figure); the lists hold the
rounds and violations the sample generator planted; every listed session leads to its masked transcript
with its deductions; agent pages link to their cases."""
from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import run_week
from qc_pipeline.reports import drill, limits
from qc_pipeline.sample import generate_sample
from qc_pipeline.store.warehouse import open_warehouse

WEEK = "2026-W47"
LINK = re.compile(r'<a href="([^"]+)" data-drill="([a-z_]+)" data-drill-count="(\d+)">([^<]*)</a>')
ROW = re.compile(r'<tr id="r-([^"]+)" data-session="\1" data-n="(\d+)"><td(?: title="[^"]*")?>(?:<a href="([^"]+)")?')


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("drill")
    truth = generate_sample(root / "logs", seed=7)
    con = open_warehouse(root / "qc.duckdb")
    run_week(con, [root / "logs"], load_config(), root / "reports", week=WEEK, parts=("cases",))
    yield truth, con, root / "reports" / WEEK
    con.close()


TEAM_ROW = re.compile(r'<tr data-agent="([^"]+)" data-rows="(\d+)" data-n="(\d+)"><td class="nowrap"><a href="([^"]+)">')


def holds(path: Path) -> tuple[int, int]:
    """(sessions, their count) a list page holds: its rows, or on the team's page its agents' totals."""
    team = TEAM_ROW.findall(path.read_text(encoding="utf-8"))
    if team:
        return sum(int(r) for _, r, _, _ in team), sum(int(n) for _, _, n, _ in team)
    listed = rows_of(path)
    return len(listed), sum(n for _, n, _ in listed)


def rows_of(path: Path) -> list[tuple[str, int, str]]:
    """(session_id, n, href) of each row of a list page."""
    return [(sid, int(n), html.unescape(href or "")) for sid, n, href in ROW.findall(path.read_text(encoding="utf-8"))]


def target(page: Path, href: str) -> tuple[Path, str]:
    path, _, anchor = html.unescape(href).partition("#")
    return (page.parent / unquote(path)).resolve() if path else page, anchor


def week_rows(con) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM agent_week WHERE week = ?", [WEEK])
    names = [d[0] for d in cur.description]
    return {r[names.index("agent")]: dict(zip(names, r)) for r in cur.fetchall()}


def expected(key: str, row: dict) -> int:
    """What a figure's list holds, from agent_week alone."""
    if key == "first_within_target_pct":
        return round(row["first_rounds"] * (1 - row[key] / 100))
    if key == "follow_within_target_pct":
        return round((row["rounds"] - row["first_rounds"]) * (1 - row[key] / 100))
    return row[key]


def links(path: Path) -> list[tuple[str, str, int, str]]:
    return [(html.unescape(h), k, int(n), html.unescape(t)) for h, k, n, t in LINK.findall(path.read_text(encoding="utf-8"))]


def test_every_count_links_to_a_page_holding_that_many(pack):
    _, con, folder = pack
    stored = week_rows(con)
    pages = [folder / "summary.html", *sorted((folder / "agents").glob("*.html"))]
    followed = Counter()
    for page in pages:
        agent = None if page.name == "summary.html" else re.search(
            r'<h1 data-agent="([^"]+)">', page.read_text(encoding="utf-8")).group(1)
        for href, key, count, text in links(page):
            path, _ = target(page, href)
            assert path.exists(), (page.name, href)
            rows, total = holds(path)
            measure = drill.LINKS[key][1]
            assert (rows if measure == "rows" else total) == count, (page.name, key)
            if key.endswith("_pct"):
                assert text.endswith("%")
            else:
                assert text == str(count)
            owner = re.search(r"<h1 data-list=\"[a-z_]+\">[^·]+· ([^<]+)</h1>", path.read_text(encoding="utf-8")).group(1)
            if agent is not None:
                assert owner == agent and count == expected(key, stored[agent]), (agent, key)
            followed[key] += 1
    # Every kind of link is there, and the summary's team totals add up the agents'.
    assert set(followed) == set(drill.LINKS)
    summary = folder / "summary.html"
    for href, key, count, _ in links(summary):
        if href.startswith(f"{drill.FOLDER}/") and href.count("/") == 1:  # a team total
            assert count == sum(r[key] or 0 for r in stored.values()), key


def test_a_figure_of_zero_leads_nowhere(pack):
    _, con, folder = pack
    stored = week_rows(con)
    zero = [(a, k) for a, r in stored.items() for k in drill.LINKS if k in r and expected(k, r) == 0]
    assert zero
    names = _agent_pages(folder)
    for agent, key in zero:
        assert key not in {k for _, k, _, _ in links(names[agent])}, (agent, key)


def _session_keys(con) -> dict[tuple[str, str, dt.datetime], str]:
    return {(shop, buyer, started): sid for sid, shop, buyer, started in con.execute(
        "SELECT session_id, shop, buyer, started_at FROM sessions").fetchall()}


def _agent_list(folder: Path, name: str, file_name: str) -> dict[str, int]:
    path = folder / drill.FOLDER / name / file_name
    return {sid: n for sid, n, _ in rows_of(path)} if path.exists() else {}


def test_round_lists_hold_the_planted_rounds(pack):
    truth, con, folder = pack
    sessions = _session_keys(con)
    files = {a: p.name for a, p in _agent_pages(folder).items()}
    for name, planted in (("unanswered", lambda r: r["unanswered"]),
                          ("first_missed", lambda r: r["is_first"] and not r["met_target"]),
                          ("follow_missed", lambda r: not r["is_first"] and not r["met_target"])):
        want: dict[str, Counter] = {}
        for r in truth["rounds"]:
            if r["week"] != WEEK or not r["agent"] or not planted(r):
                continue
            started = dt.datetime.fromisoformat(r["session_started_at"])
            want.setdefault(r["agent"], Counter())[sessions[(r["shop"], r["buyer"], started)]] += 1
        assert want, name
        for agent, file_name in files.items():
            assert _agent_list(folder, name, file_name) == dict(want.get(agent, {})), (name, agent)


def test_the_violations_list_holds_the_planted_violations(pack):
    truth, con, folder = pack
    files = {a: p.name for a, p in _agent_pages(folder).items()}
    # The planted violation's message: its session holds the agent's message at that time.
    spans = con.execute("SELECT session_id, shop, buyer, started_at, ended_at FROM sessions").fetchall()
    want: dict[str, Counter] = {}
    for v in truth["violations"]:
        sent = dt.datetime.fromisoformat(v["sent_at"])
        if f"{sent:%G-W%V}" != WEEK:
            continue
        sid = next(s for s, shop, buyer, a, b in spans if shop == v["shop"] and buyer == v["buyer"] and a <= sent <= b)
        want.setdefault(v["agent"], Counter())[(sid, v["sent_at"], v["category"])] += 1
    per_session = {agent: Counter(sid for sid, _, _ in c) for agent, c in want.items()}
    assert per_session
    for agent, file_name in files.items():
        assert _agent_list(folder, "violations", file_name) == dict(per_session.get(agent, {})), agent


def _agent_pages(folder: Path) -> dict[str, Path]:
    return {re.search(r'<h1 data-agent="([^"]+)">', p.read_text(encoding="utf-8")).group(1): p
            for p in (folder / "agents").glob("*.html")}


def test_listed_sessions_lead_to_their_masked_transcript_with_deductions(pack):
    truth, con, folder = pack
    nicks = {s["buyer"] for s in truth["sessions"] if len(s["buyer"]) > 3}
    checked = 0
    for path in sorted((folder / drill.FOLDER).glob("*/*.html")):
        text = path.read_text(encoding="utf-8")
        listed = rows_of(path)
        shown = limits.WORST_SESSIONS_SHOWN if path.parent.name == drill.WORST else limits.LIST_TRANSCRIPTS
        assert [h for _, _, h in listed[:shown]] == [f"#s-{sid}" for sid, _, _ in listed[:shown]], path
        assert all(h == "" for _, _, h in listed[shown:]), path
        for sid, _, href in listed[:shown]:
            block = text.split(f'id="s-{sid}"', 1)[1].split('<div class="flag-session', 1)[0]
            deductions = con.execute("SELECT count(*) FROM score_deductions WHERE session_id = ?", [sid]).fetchone()[0]
            assert block.count("<li>−") == deductions, (path.name, sid)
            assert '<ol class="context">' in block
            checked += 1
        for nick in nicks:
            assert nick not in text, (path, nick)
    assert checked > 20


def test_team_lists_lead_to_the_agents_lists(pack):
    _, _, folder = pack
    for path in sorted((folder / drill.FOLDER).glob("*.html")):
        team = TEAM_ROW.findall(path.read_text(encoding="utf-8"))
        assert team, path
        for agent, rows, n, href in team:
            page, _ = target(path, href)
            assert f"· {agent}</h1>" in page.read_text(encoding="utf-8")
            assert holds(page) == (int(rows), int(n))


def test_agent_pages_link_their_cases_and_score_table_to_transcripts(pack):
    _, con, folder = pack
    pages = _agent_pages(folder)
    cases = con.execute("SELECT agent, case_id FROM cases WHERE week = ? AND agent IS NOT NULL", [WEEK]).fetchall()
    assert cases
    for agent, page in pages.items():
        text = page.read_text(encoding="utf-8")
        linked = re.findall(r'<li data-case="([^"]+)" data-kind="[a-z]+"><a href="([^"]+)">', text)
        assert sorted(c for c, _ in linked) == sorted(c for a, c in cases if a == agent), agent
        for case_id, href in linked:
            assert target(page, href)[0] == (folder / "cases" / f"{case_id}.html").resolve()
            assert target(page, href)[0].exists()
        for sid, href in re.findall(r'<tr data-session="([^"]+)"><td><a href="([^"]+)">', text):
            path, anchor = target(page, href)
            assert anchor == f"s-{sid}" and f'id="s-{sid}"' in path.read_text(encoding="utf-8")


def test_a_report_without_the_case_library_links_no_cases(pack, tmp_path):
    from qc_pipeline.reports import write_reports

    _, con, _ = pack
    write_reports(con, WEEK, tmp_path, generated_at=dt.datetime(2026, 11, 23, 8, 0))
    for page in (tmp_path / WEEK / "agents").glob("*.html"):
        assert 'data-case="' not in page.read_text(encoding="utf-8")


def test_trend_charts_are_per_role_with_the_role_target_and_the_agents_furthest_from_it(pack):
    """The summary's trends: per role, each figure's median beside the agents furthest from the target
    this week (from agent_week), the role's target as a line; no conversion chart for after-sale."""
    _, con, folder = pack
    text = (folder / "summary.html").read_text(encoding="utf-8")
    section = text.split('<section id="trend">')[1].split("</section>")[0]
    stored = week_rows(con)
    roles = {r["agent_role"] for r in stored.values()}
    assert set(re.findall(r'data-trend-role="([a-z]+)"', section)) == roles
    config = load_config()
    for role in roles:
        members = [r for r in stored.values() if r["agent_role"] == role]
        for key, lower in (("first_median_s", True), ("first_within_target_pct", False), ("qc_score_avg", False)):
            chart = section.split(f'<div data-trend="{key}" data-role="{role}">')[1].split("</svg>")[0]
            legend = re.findall(r'class="legend-label" text-anchor="start">([^<]+)</text>', chart)
            known = [r for r in members if r[key] is not None]
            worst = sorted(known, key=lambda r: (-r[key] if lower else r[key], r["agent"]))[:limits.TREND_AGENTS]
            assert legend[1:] == [html.escape(r["agent"]) for r in worst], (role, key)
            target = re.findall(r'class="target-line-label" text-anchor="end">([^<]+)</text>', chart)
            if key == "first_median_s":
                assert target == [f"目标 {config.target_seconds(role, True)}秒"], role
            elif key == "first_within_target_pct":
                assert target == [f"目标 {config.first_within_target_share:g}%"]
            else:
                assert target == []
        assert (f'<div data-trend="conversion_rate" data-role="{role}">' in section) == (role == "presale")


def test_a_session_across_sunday_midnight_is_listed_in_the_week_of_its_round(tmp_path):
    """A session scored in W46 whose agent breaks a rule and leaves a round unanswered after midnight:
    W47's lists hold it, naming the week that shows it, and the reports are written."""
    from qc_pipeline.pipeline import rebuild
    from qc_pipeline.reports import write_reports
    from qc_pipeline.store.partitions import mark_stale
    from tests.builders import A, SHOP, load_messages, message_frame

    con = open_warehouse(tmp_path / "qc.duckdb")
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't')", [A])
    load_messages(con, message_frame([
        ("night_owl", "buyer", "2026-11-22 23:50:00", A, "在吗，这件有货吗"),
        ("night_owl", "agent", "2026-11-22 23:50:20", A, "有的亲"),
        ("night_owl", "buyer", "2026-11-23 00:05:00", A, "那能便宜点吗"),
        ("night_owl", "agent", "2026-11-23 00:05:30", A, "这是全网最低价了，yyds"),
        ("night_owl", "buyer", "2026-11-23 00:07:00", A, "好吧，什么时候发货"),
        ("early", "buyer", "2026-11-24 10:00:00", A, "你好"),
        ("early", "agent", "2026-11-24 10:00:10", A, "您好，在的"),
    ]))
    mark_stale(con, {(SHOP, "2026-W47"), (SHOP, "2026-W48")})
    rebuild(con, load_config())
    sid, scored = con.execute("SELECT session_id, week FROM session_scores WHERE session_id IN "
                              "(SELECT session_id FROM sessions WHERE buyer = 'night_owl')").fetchone()
    assert scored == "2026-W47"  # Sunday 2026-11-22 is the last day of W47
    week = con.execute("SELECT DISTINCT week FROM rounds WHERE session_id = ? AND week <> ?", [sid, scored]).fetchall()
    assert week == [("2026-W48",)]
    write_reports(con, "2026-W48", tmp_path / "out", generated_at=dt.datetime(2026, 11, 30, 8, 0))
    folder = tmp_path / "out" / "2026-W48"
    pages = list((folder / drill.FOLDER).glob("*/*.html"))
    listed = [p for p in pages if sid in p.read_text(encoding="utf-8")]
    assert {p.parent.name for p in listed} >= {"violations", "unanswered"}
    for page in listed:
        text = page.read_text(encoding="utf-8")
        row = text.split(f'<tr id="r-{sid}"')[1].split("</tr>")[0]
        assert "2026-W47" in row and f'id="s-{sid}"' not in text
    con.close()


def test_agent_pages_link_only_cases_whose_page_shows_that_session(pack, tmp_path):
    """Another selection after the pages were written (qc cases): a report links the cases the folder's
    pages show, never a page of another session or one that is gone."""
    from qc_pipeline.cases import build_cases
    from qc_pipeline.reports import write_reports

    _, con, folder = pack
    out = tmp_path / "out"
    (out / WEEK).mkdir(parents=True)
    import shutil
    shutil.copytree(folder / "cases", out / WEEK / "cases")
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (out / WEEK / "cases").glob("*.html")}
    build_cases(con, WEEK, top=2)
    picked = dict(con.execute("SELECT case_id, session_id FROM cases WHERE week = ?", [WEEK]).fetchall())
    write_reports(con, WEEK, out, generated_at=dt.datetime(2026, 11, 23, 8, 0))
    linked = {c for p in (out / WEEK / "agents").glob("*.html")
              for c in re.findall(r'<li data-case="([^"]+)"', p.read_text(encoding="utf-8"))}
    assert linked == {c for c, sid in picked.items() if c in pages and f'data-session="{sid}"' in pages[c]}
    assert len(linked) < len(picked) + len(pages)


def test_list_pages_made_in_small_batches_are_the_same_pages(pack, tmp_path, monkeypatch):
    """The list pages are made a batch of rows at a time (memory); the batch size changes no byte."""
    from qc_pipeline.reports import drill_pages, write_reports

    _, con, _ = pack
    at = dt.datetime(2026, 11, 23, 8, 0)
    write_reports(con, WEEK, tmp_path / "whole", generated_at=at)
    monkeypatch.setattr(drill_pages, "BATCH_ROWS", 1)
    write_reports(con, WEEK, tmp_path / "small", generated_at=at)
    whole = {p.relative_to(tmp_path / "whole"): p.read_bytes() for p in (tmp_path / "whole").rglob("*.html")}
    small = {p.relative_to(tmp_path / "small"): p.read_bytes() for p in (tmp_path / "small").rglob("*.html")}
    assert len([p for p in whole if drill.FOLDER in p.parts]) > 20
    assert small == whole
