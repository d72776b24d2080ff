"""The report pages as a reader's browser draws them: headless Chromium opens them from disk, offline.

Needs /usr/bin/chromium and a CJK font (``scripts/install_browser.sh``) and the ``playwright`` package,
which drives the system browser; no browser is downloaded. Set QC_SKIP_BROWSER=1 to skip.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from qc_pipeline.reports import write_reports
from tests.report_fixtures import AGENTS, XIAOYA, build

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WEEK = "2026-W47"

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


def _open(browser, path: Path, shot: Path):
    """Open a page from disk with every non-file request refused; returns the page and what went wrong."""
    context = browser.new_context(viewport={"width": 1680, "height": 1000}, locale="zh-CN")
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
    chart = page.locator('div[data-trend="qc_score_avg"] svg').bounding_box()
    assert chart and chart["width"] > 200 and chart["height"] > 100
    assert (tmp_path / "summary.png").stat().st_size > 10_000

    # Follow the summary's link, as a supervisor would, to the agent's page.
    page.locator(f'section#ranking tr[data-agent="{XIAOYA}"] a').click()
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
