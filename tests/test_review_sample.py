"""`qc sample-review`: a reproducible stratified sample per agent-week, written as a review workbook with
drop-downs and an HTML page, both masked; and the sampling plan's arithmetic."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.review.sample import Plan, draw, quotas
from tests.review_fixtures import copy_db, review_rows, sample_db  # noqa: F401 (fixture)

runner = CliRunner()
PLAN = Plan({"auto_failed": 1.0, "flagged": 0.5, "unflagged": 0.1}, per_agent=5, seed=7)


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def _sessions(n_auto=2, n_flagged=6, n_clean=30, agent="店:甲"):
    rows = []
    for i in range(n_auto + n_flagged + n_clean):
        rows.append({"session_id": f"{agent}-s{i:03d}", "shop": "店", "week": "2026-W47", "agent": agent,
                     "auto_failed": i < n_auto, "flags": 1 if i < n_auto + n_flagged else 0})
    return pl.DataFrame(rows)


def test_quotas_round_up_each_stratum_and_cap_flagged_plus_unflagged():
    assert quotas(6, 30, Plan({"auto_failed": 1, "flagged": 0.5, "unflagged": 0.1}, 10, 7)) == (3, 3)
    # Over the cap: split in proportion, one unflagged session kept for the miss estimate.
    assert quotas(20, 1, Plan({"auto_failed": 1, "flagged": 1.0, "unflagged": 1.0}, 4, 7)) == (3, 1)
    assert quotas(0, 0, PLAN) == (0, 0)
    assert quotas(3, 0, Plan({"auto_failed": 1, "flagged": 0.01, "unflagged": 0.01}, 5, 7)) == (1, 0)


def test_draw_takes_every_auto_failed_session_and_the_plan_of_the_others():
    picked = draw(pl.concat([_sessions(), _sessions(agent="店:乙", n_auto=0, n_flagged=1, n_clean=3)]), PLAN)
    counts = dict(picked.filter(pl.col("agent") == "店:甲").group_by("stratum").len().iter_rows())
    assert counts == {"auto_failed": 2, "flagged": 3, "unflagged": 2}  # 5 = 3 + 2 (ceil 0.1 × 30 = 3, capped)
    assert dict(picked.filter(pl.col("agent") == "店:乙").group_by("stratum").len().iter_rows()) == {
        "flagged": 1, "unflagged": 1}
    sizes = dict(picked.filter(pl.col("agent") == "店:甲").select("stratum", "stratum_sessions").unique().iter_rows())
    assert sizes == {"auto_failed": 2, "flagged": 6, "unflagged": 30}


def test_draw_is_reproducible_whatever_the_row_order_and_changes_with_the_seed():
    sessions = _sessions()
    first = draw(sessions, PLAN)["session_id"].to_list()
    assert draw(sessions.sample(fraction=1.0, shuffle=True, seed=3), PLAN)["session_id"].to_list() == first
    other = draw(sessions, Plan(PLAN.rates, PLAN.per_agent, seed=8))["session_id"].to_list()
    assert other != first


@pytest.fixture(scope="module")
def sampled(sample_db, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("sample-review")
    db = copy_db(sample_db, root)
    out = root / "review-W47.xlsx"
    result = qc("sample-review", "--week", "2026-W47", "--db", db, "--out", out)
    return root, db, out, result


def test_sample_review_writes_a_workbook_with_a_row_per_flag_and_per_session(sampled):
    root, db, out, result = sampled
    assert result.exit_code == 0, result.output
    rows = review_rows(out)
    sessions = [r for r in rows if r["item"] == "session"]
    flags = [r for r in rows if r["item"] == "flag"]
    assert sessions and flags
    assert {r["stratum"] for r in sessions} == {"auto_failed", "flagged", "unflagged"}
    # Every flag row names a sampled session; every auto-failed session of the week is in the sample.
    assert {r["session_id"] for r in flags} <= {r["session_id"] for r in sessions}
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    auto = {r[0] for r in con.execute(
        "SELECT session_id FROM session_scores WHERE week = '2026-W47' AND auto_failed AND agent IS NOT NULL").fetchall()}
    flag_count = con.execute(
        "SELECT count(*) FROM flags WHERE session_id IN (SELECT unnest(?))", [[r["session_id"] for r in sessions]]
    ).fetchall()[0][0]
    con.close()
    assert auto == {r["session_id"] for r in sessions if r["stratum"] == "auto_failed"}
    assert len(flags) == flag_count
    assert all(re.fullmatch(r"F[0-9a-f]{16}", r["item_id"]) for r in flags)


def test_the_verdict_columns_carry_drop_downs(sampled):
    _, _, out, _ = sampled
    wb = openpyxl.load_workbook(out)
    lists = [dv.formula1 for dv in wb["review"].data_validations.dataValidation]
    assert '"confirmed,not_violation"' in lists and '"confirmed,missed_violation"' in lists
    assert any("extreme_word" in f for f in lists)  # the missed category
    assert any('"upheld,overturned"' == dv.formula1 for dv in wb["appeals"].data_validations.dataValidation)


def test_the_same_seed_writes_the_same_sample(sampled, tmp_path):
    root, db, out, _ = sampled
    again = tmp_path / "again.xlsx"
    assert qc("sample-review", "--week", "2026-W47", "--db", db, "--out", again).exit_code == 0
    assert [r["item_id"] for r in review_rows(again)] == [r["item_id"] for r in review_rows(out)]
    other = tmp_path / "other.xlsx"
    assert qc("sample-review", "--week", "2026-W47", "--db", db, "--out", other, "--seed", "8").exit_code == 0
    assert [r["item_id"] for r in review_rows(other)] != [r["item_id"] for r in review_rows(out)]


def test_transcripts_and_pages_are_masked_and_escaped(sampled):
    import duckdb

    root, db, out, _ = sampled
    con = duckdb.connect(str(db), read_only=True)
    buyers = [r[0] for r in con.execute("SELECT DISTINCT buyer FROM sessions WHERE week = '2026-W47'").fetchall()]
    phones = [r[0] for r in con.execute(
        r"SELECT regexp_extract(text, '1[3-9]\d{9}') FROM messages WHERE regexp_matches(text, '1[3-9]\d{9}')").fetchall()]
    con.close()
    with zipfile.ZipFile(out) as z:
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    for text in (shared, page):
        assert not [b for b in buyers if len(b) > 2 and b in text]
        assert not [p for p in phones if p in text]
    assert "<script" not in page and "Content-Security-Policy" in page


def test_workbook_text_is_never_a_formula(tmp_path):
    import datetime as dt

    from qc_pipeline.review.workbook import ReviewRow, write_review_workbook

    row = ReviewRow(item_id="F" + "0" * 16, item="flag", week="2026-W47", shop="店", agent="店:甲",
                    session_id="s1", stratum="flagged", stratum_sessions=3, sent_at=dt.datetime(2026, 11, 18),
                    matched='=HYPERLINK("http://x")', message="+1 @SUM(1)")
    path = write_review_workbook(tmp_path / "r.xlsx", [row], [], ["slang"], [("k", "=1+1")], dt.datetime(2026, 11, 20))
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("args, says", [
    (["--week", "2026-47"], "expected an ISO week"),
    (["--week", "2026-W30"], "not in the warehouse"),
    (["--week", "2026-W47", "--out", "review.csv"], ".xlsx"),
])
def test_user_mistakes_are_one_line_and_exit_2(sampled, tmp_path, args, says):
    _, db, _, _ = sampled
    result = qc("sample-review", "--db", db, *args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_a_missing_warehouse_is_refused_before_anything_is_created(tmp_path):
    db = tmp_path / "none.duckdb"
    result = qc("sample-review", "--week", "2026-W47", "--db", db, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 2 and "no warehouse" in result.output
    assert not db.exists() and not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("command", [["sample-review"], ["import-review"], ["rules", "precision"], ["rules", "diff"]])
def test_every_review_command_has_help(command):
    result = qc(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 4
