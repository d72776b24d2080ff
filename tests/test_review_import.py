"""`qc import-review`: the round trip (sample, fill as a reviewer would, import), files that are refused
whole with one line per bad row, and appeals: an overturned flag no longer deducts."""
from __future__ import annotations

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from tests.review_fixtures import columns, copy_db, fill, review_rows, sample_db  # noqa: F401 (fixture)

runner = CliRunner()


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def rows(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def workbook(sample_db, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("review-import") / "review.xlsx"
    assert qc("sample-review", "--week", "2026-W47", "--db", sample_db, "--out", out).exit_code == 0
    return out


@pytest.fixture()
def sampled(sample_db, workbook, tmp_path):  # noqa: F811
    """A fresh copy of the warehouse (no reviews) and the week's review workbook."""
    return tmp_path, copy_db(sample_db, tmp_path), workbook


def _judge(values):
    """Flags of SVC-SLANG are not violations; every session row is confirmed, but the first unflagged one,
    where a hedging violation was missed."""
    if values["item"] == "flag":
        return ("not_violation" if values["rule_id"] == "SVC-SLANG" else "confirmed", None)
    return ("confirmed", None)


def test_round_trip_stores_every_verdict_with_its_flag_and_session(sampled):
    root, db, out = sampled
    written = review_rows(out)
    first_unflagged = next(r["item_id"] for r in written if r["stratum"] == "unflagged")

    def judge(values):
        if values["item_id"] == first_unflagged:
            return ("漏检", "hedging")  # Chinese spellings are read too
        return _judge(values)

    filled = fill(out, root / "filled.xlsx", judge)
    result = qc("import-review", filled, "--db", db)
    assert result.exit_code == 0, result.output
    stored = rows(db, "SELECT item, coalesce(flag_id, session_id), verdict, category, reviewer, stratum FROM reviews "
                      "WHERE kind = 'review'")
    assert len(stored) == len(written)
    by_id = {r[1]: r for r in stored}
    for w in written:
        item, _, verdict, category, reviewer, stratum = by_id[w["item_id"]]
        assert (item, reviewer, stratum) == (w["item"], "质检A", w["stratum"])
        if w["item"] == "flag":
            assert category == w["category"]
            assert verdict == ("not_violation" if w["rule_id"] == "SVC-SLANG" else "confirmed")
    assert by_id[first_unflagged][2:4] == ("missed_violation", "hedging")
    # The same file again: recognised, nothing doubled.
    again = qc("import-review", filled, "--db", db)
    assert again.exit_code == 0 and "imported before" in again.output
    assert rows(db, "SELECT count(*) FROM reviews")[0][0] == len(written)


def _edit(path, target, sheet, changes):
    """`changes`: [(row, key, value)] on `sheet` (row 1-based as the spreadsheet shows it)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    col = columns(ws)
    for row, key, value in changes:
        ws.cell(row, col[key]).value = value
    wb.save(target)
    return target


def _flag_row(path):
    return next(i for i, r in enumerate(review_rows(path), start=2) if r["item"] == "flag")


@pytest.mark.parametrize("case, says", [
    ("unknown_flag", "unknown flag id 'F0000000000000000'"),
    ("unknown_session", "unknown session id 'no-such-session'"),
    ("bad_verdict", "verdict 'maybe': expected confirmed or not_violation for a flag"),
    ("missed_on_flag", "verdict 'missed_violation': expected confirmed or not_violation"),
    ("no_category", "missed_category '': expected one of"),
    ("no_reviewer", "no reviewer"),
    ("formula", "holds a formula"),
    ("duplicate", "judged again by '质检A' (first in row"),
    ("bad_decision", "decision 'maybe': expected upheld or overturned"),
    ("unknown_appeal", "unknown flag id 'Fffffffffffffffff'"),
])
def test_a_bad_row_is_reported_with_sheet_and_row_and_nothing_of_the_file_lands(sampled, case, says):
    root, db, out = sampled
    filled = fill(out, root / "filled.xlsx", _judge)
    flag_row = _flag_row(filled)
    session_row = 2
    sheet, changes = "review", []
    if case == "unknown_flag":
        changes = [(flag_row, "item_id", "F0000000000000000")]
    elif case == "unknown_session":
        changes = [(session_row, "item_id", "no-such-session")]
    elif case == "bad_verdict":
        changes = [(flag_row, "verdict", "maybe")]
    elif case == "missed_on_flag":
        changes = [(flag_row, "verdict", "missed_violation")]
    elif case == "no_category":
        changes = [(session_row, "verdict", "missed_violation")]
    elif case == "no_reviewer":
        changes = [(flag_row, "reviewer", None)]
    elif case == "formula":
        changes = [(flag_row, "comment", '=HYPERLINK("http://evil","x")')]
    elif case == "duplicate":
        wb = openpyxl.load_workbook(filled)
        ws = wb["review"]
        ws.append([c.value for c in ws[flag_row]])
        wb.save(filled)
    elif case in ("bad_decision", "unknown_appeal"):
        sheet = "appeals"
        flag_id = review_rows(filled)[flag_row - 2]["item_id"]
        changes = [(2, "flag_id", "Fffffffffffffffff" if case == "unknown_appeal" else flag_id),
                   (2, "decision", "maybe" if case == "bad_decision" else "overturned"), (2, "decided_by", "组长")]
    bad = _edit(filled, root / "bad.xlsx", sheet, changes) if changes else filled
    good = fill(out, root / "good.xlsx", _judge, reviewer="质检B")
    result = qc("import-review", bad, good, "--db", db)
    assert result.exit_code == 2, result.output
    lines = [l for l in result.output.splitlines() if says in l]
    assert lines, result.output
    assert f"sheet '{sheet}' row" in lines[0] and "Traceback" not in result.output
    # Nothing of the bad file; the good file beside it is imported whole.
    assert rows(db, "SELECT DISTINCT reviewer FROM reviews") == [("质检B",)]
    assert rows(db, "SELECT count(*) FROM reviews WHERE source_path = ?", [str(bad)])[0][0] == 0


def test_a_text_that_looks_like_a_formula_is_kept_as_text(sampled):
    root, db, out = sampled
    filled = fill(out, root / "filled.xlsx", _judge)
    wb = openpyxl.load_workbook(filled)
    ws = wb["review"]
    cell = ws.cell(_flag_row(filled), columns(ws)["comment"])
    cell.value, cell.data_type = "=1+1 looks odd", "s"
    wb.save(filled)
    assert qc("import-review", filled, "--db", db).exit_code == 0
    assert rows(db, "SELECT comment FROM reviews WHERE comment IS NOT NULL") == [("=1+1 looks odd",)]


def test_a_file_judging_what_the_warehouse_holds_already_is_refused(sampled):
    root, db, out = sampled
    first = fill(out, root / "first.xlsx", _judge)
    assert qc("import-review", first, "--db", db).exit_code == 0
    second = fill(out, root / "second.xlsx", lambda v: ("confirmed", None))  # other bytes, same reviewer
    result = qc("import-review", second, "--db", db)
    assert result.exit_code == 2 and "already judged by '质检A'" in result.output


@pytest.mark.parametrize("args, says", [
    (["review.csv"], "not an .xlsx workbook"),
    (["missing.xlsx"], "no such file"),
])
def test_arguments_are_checked_before_the_warehouse(tmp_path, args, says):
    db = tmp_path / "qc.duckdb"
    result = qc("import-review", *[tmp_path / a for a in args], "--db", db)
    assert result.exit_code == 2 and says in result.output
    assert not db.exists()


def test_an_overturned_appeal_stops_deducting_and_the_adjusted_figures_sit_beside_the_machines(sampled):
    root, db, out = sampled
    flag = next(r for r in review_rows(out) if r["item"] == "flag" and r["points"])
    other = next(r for r in review_rows(out) if r["item"] == "flag" and r["item_id"] != flag["item_id"])
    filled = fill(out, root / "filled.xlsx", lambda v: None, appeals=[
        {"flag_id": flag["item_id"], "appellant": flag["agent"], "reason": "客户先问的", "decision": "撤销",
         "decided_by": "组长"},
        {"flag_id": other["item_id"], "decision": "upheld", "decided_by": "组长"},
        {"flag_id": other["item_id"], "reason": "pending"},  # no decision yet: not imported
    ])
    # The pending row names the same flag as the upheld one, by another (empty) decider: not a duplicate.
    result = qc("import-review", filled, "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 appeals pending" in result.output
    machine = rows(db, "SELECT score, compliance, auto_failed FROM session_scores WHERE session_id = ?",
                   [flag["session_id"]])[0]
    adjusted = rows(db, "SELECT score, adjusted_score, compliance, adjusted_compliance, overturned_flags "
                        "FROM adjusted_scores")
    assert len(adjusted) == 1
    score, adj_score, compliance, adj_compliance, n = adjusted[0]
    assert (score, compliance) == machine[:2] and n == 1
    assert adj_compliance == min(100.0, compliance + flag["points"]) or machine[2]
    assert adj_score > score
    week = rows(db, "SELECT qc_score_avg, qc_score_adjusted_avg, overturned_flags FROM adjusted_agent_week "
                    "WHERE agent = ? AND week = ?", [flag["agent"], flag["week"]])[0]
    machine_avg = rows(db, "SELECT qc_score_avg FROM agent_week WHERE agent = ? AND week = ?",
                       [flag["agent"], flag["week"]])[0][0]
    assert week[0] == machine_avg and week[1] > week[0] and week[2] == 1
    # The machine's own tables are untouched; a rebuild keeps the adjustment.
    assert rows(db, "SELECT score FROM session_scores WHERE session_id = ?", [flag["session_id"]])[0][0] == score
    assert qc("rebuild", "--db", db).exit_code == 0
    assert rows(db, "SELECT adjusted_score FROM adjusted_scores") == [(adj_score,)]
