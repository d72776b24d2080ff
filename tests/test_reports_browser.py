"""The report pages as a reader's browser draws them: headless Chromium opens them from disk, offline.

Needs /usr/bin/chromium and a CJK font (``scripts/install_browser.sh``) and the ``playwright`` package,
which drives the system browser; no browser is downloaded. Set QC_SKIP_BROWSER=1 to skip.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from qc_pipeline.cases import build_cases, write_cases
from qc_pipeline.config import load_config
from qc_pipeline.reports import drill, write_reports
from tests.report_fixtures import AGENTS, XIAOMEI, XIAOYA, agent_week_rows, build

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WEEK = "2026-W47"
LAPTOP, PHONE = 1400, 390
# How the page reports sideways scrolling of its body: wider content than the window.
SCROLL_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"

pytestmark = pytest.mark.skipif(os.environ.get("QC_SKIP_BROWSER") == "1", reason="QC_SKIP_BROWSER=1")


def _require_browser():
    # A missing browser is a broken test machine, not a reason to pass quietly.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh (or set QC_SKIP_BROWSER=1)",
                    pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[test]' (or set QC_SKIP_BROWSER=1)",
                    pytrace=False)
    return sync_playwright


def _open(browser, path: Path, shot: Path, width: int = 1680):
    """Open a page from disk with every non-file request refused; returns the page and what went wrong."""
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="zh-CN")
    problems: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                  else (problems.append(f"request: {route.request.url}"), route.abort()))
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(path.as_uri(), wait_until="load")
    page.screenshot(path=str(shot), full_page=True)
    return page, problems


def test_pages_render_offline_with_their_figures(tmp_path):
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=20_000)
        try:
            _check_pages(browser, tmp_path)
        finally:
            browser.close()


def _check_pages(browser, tmp_path: Path) -> None:
    built = build(tmp_path / "qc.duckdb")
    write_reports(built.con, WEEK, tmp_path / "reports", generated_at=dt.datetime(2026, 11, 23, 8, 0))
    xiaoya = built.con.execute(
        "SELECT first_median_s, qc_score_avg FROM agent_week WHERE week = ? AND agent = ?", [WEEK, XIAOYA]
    ).fetchone()
    built.con.close()
    folder = tmp_path / "reports" / WEEK

    page, problems = _open(browser, folder / "summary.html", tmp_path / "summary.png")
    assert problems == []
    body = page.inner_text("body")
    for agent in AGENTS:
        assert agent in body
        assert page.locator(f'tr[data-agent="{agent}"]').first.is_visible()
    median = page.locator(f'section#ranking tr[data-agent="{XIAOYA}"] td[data-figure="first_median_s"]')
    assert median.inner_text().startswith(f"{xiaoya[0]:.1f} 秒")
    score = page.locator(f'section#ranking tr[data-agent="{XIAOYA}"] td[data-figure="qc_score_avg"]')
    assert score.inner_text().startswith(f"{xiaoya[1]:.1f}")
    assert "客服排名" in body and "历史趋势" in body
    chart = page.locator('div[data-trend="qc_score_avg"][data-role="presale"] svg').bounding_box()
    assert chart and chart["width"] > 200 and chart["height"] > 100
    assert (tmp_path / "summary.png").stat().st_size > 10_000

    # Follow the summary's link, as a supervisor would, to the agent's page.
    page.locator(f'section#ranking tr[data-agent="{XIAOYA}"] td.agent-cell a').click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == XIAOYA
    page.screenshot(path=str(tmp_path / "agent.png"), full_page=True)
    assert problems == []
    text = page.inner_text("body")
    assert "<script>alert(1)</script>" in text  # chat markup shown as text, not run
    assert page.locator('td[data-figure="first_median_s"]').inner_text().startswith(f"{xiaoya[0]:.1f} 秒")
    marks = page.locator("mark").all_inner_texts()
    assert "加我微信138****5678" in marks and "最好" in marks
    assert page.locator("#unmasked").count() == 0
    assert (tmp_path / "agent.png").stat().st_size > 10_000


def _below_target(rows: list[dict], share: float) -> set[str]:
    """The agents who missed a target this week, from agent_week alone."""
    return {r["agent"] for r in rows
            if r["auto_failed_sessions"] or r["unanswered_rounds"]
            or (r["first_within_target_pct"] is not None and r["first_within_target_pct"] < share)
            or (r["agent_role"] == "presale" and r["conversion_band"] == "fail")}


def _follow_counts(page, folder: Path, source: Path, width: int, shot: Path) -> int:
    """Open every count link of ``source`` (a[data-drill]) and check that the page it leads to fits the
    window and holds as many sessions (or their rounds, messages) as the link says. Returns the links."""
    page.goto(source.as_uri())
    found = page.locator("a[data-drill]").evaluate_all(
        "els => els.map(e => [e.href, e.dataset.drill, Number(e.dataset.drillCount)])")
    for i, (href, key, count) in enumerate(found):
        page.goto(href)
        page.wait_for_load_state("load")
        if i == 0:
            page.screenshot(path=str(shot), full_page=True)
        scroll, inner = page.evaluate(SCROLL_WIDTH)
        assert scroll <= inner, href
        rows = page.locator("table.drill tr[data-session]").evaluate_all("els => els.map(e => Number(e.dataset.n))")
        # The team's page lists the agents with their sessions and count, each leading to the agent's list.
        agents = page.locator("table.drill-agents tr[data-agent]").evaluate_all(
            "els => els.map(e => [Number(e.dataset.rows), Number(e.dataset.n)])")
        held = (sum(r for r, _ in agents), sum(n for _, n in agents)) if agents else (len(rows), sum(rows))
        assert (held[0] if drill.LINKS[key][1] == "rows" else held[1]) == count, (href, key)
        assert page.locator("table.drill tr[data-session], table.drill-agents tr[data-agent]").first.is_visible()
    return len(found)


@pytest.mark.parametrize("width", [LAPTOP, PHONE])
def test_pages_fit_a_laptop_and_a_phone(tmp_path, width):
    sync_playwright = _require_browser()
    built = build(tmp_path / "qc.duckdb")
    config = load_config()
    build_cases(built.con, WEEK)
    write_cases(built.con, WEEK, tmp_path / "reports" / WEEK / "cases")
    write_reports(built.con, WEEK, tmp_path / "reports", generated_at=dt.datetime(2026, 11, 23, 8, 0), config=config)
    rows = agent_week_rows(built.con, WEEK)
    has_cases = {a for (a,) in built.con.execute("SELECT DISTINCT agent FROM cases WHERE week = ?", [WEEK]).fetchall()}
    built.con.close()
    assert has_cases
    expected = _below_target(rows, config.first_within_target_share)
    assert expected  # the fixture's week has agents below target: the check below can fail
    folder = tmp_path / "reports" / WEEK
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=20_000)
        try:
            page, problems = _open(browser, folder / "summary.html", tmp_path / f"summary-{width}.png", width)
            scroll, inner = page.evaluate(SCROLL_WIDTH)
            assert scroll <= inner == width  # the body never scrolls sideways; wide tables scroll in their box
            shown = set(page.locator("#attention li[data-attention]").evaluate_all(
                "els => els.map(e => e.dataset.attention)"))
            assert shown == expected
            assert page.locator("#attention li[data-attention]").first.is_visible()
            if width == LAPTOP:
                # The sort key and the auto-fails sit on screen in every ranking table, no scrolling needed.
                for key in ("qc_score_avg", "auto_failed_sessions"):
                    for box in page.locator(f'table.agents td[data-figure="{key}"]').evaluate_all(
                            "els => els.map(e => e.getBoundingClientRect().right)"):
                        assert box <= width
                tables = page.locator("table.agents").evaluate_all(
                    "els => els.map(e => e.parentElement.scrollWidth <= e.parentElement.clientWidth)")
                assert tables == [True, True]  # the whole ranking fits at 1,400 px
            else:
                # On a phone the ranking scrolls inside its own box, its agent column first and in view.
                box = page.locator(f'table.agents tr[data-agent="{XIAOYA}"] td.agent-cell').bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert problems == []

            for agent in (XIAOYA, XIAOMEI):
                page.goto((folder / "summary.html").as_uri())
                page.locator(f'section#ranking tr[data-agent="{agent}"] td.agent-cell a').click()
                page.wait_for_load_state("load")
                assert page.locator("h1").inner_text() == agent
                name = "presale" if agent == XIAOYA else "aftersale"
                page.screenshot(path=str(tmp_path / f"agent-{name}-{width}.png"), full_page=True)
                scroll, inner = page.evaluate(SCROLL_WIDTH)
                assert scroll <= inner, agent
                assert (page.locator("section#conversion").count() == 1) == (agent == XIAOYA)
            assert problems == []

            # Every count of the summary and of an agent page leads to the sessions behind it.
            assert _follow_counts(page, folder, folder / "summary.html", width, tmp_path / f"list-team-{width}.png") >= 4
            agent_page = next(p for p in (folder / "agents").glob("*.html")
                              if f'<h1 data-agent="{XIAOYA}">' in p.read_text(encoding="utf-8"))
            assert _follow_counts(page, folder, agent_page, width, tmp_path / f"list-agent-{width}.png") >= 2
            # An agent page links to the agent's cases; the case page fits the window too.
            page.goto(agent_page.as_uri())
            assert (page.locator("#cases a").count() > 0) == (XIAOYA in has_cases)
            if XIAOYA in has_cases:
                page.locator("#cases a").first.click()
                page.wait_for_load_state("load")
                page.screenshot(path=str(tmp_path / f"case-{width}.png"), full_page=True)
                scroll, inner = page.evaluate(SCROLL_WIDTH)
                assert scroll <= inner and "/cases/" in page.url
            assert problems == []
        finally:
            browser.close()
    for shot in tmp_path.glob("*.png"):
        assert shot.stat().st_size > 10_000, shot.name
