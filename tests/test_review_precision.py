"""Per-rule precision with Wilson intervals, miss rates from the unflagged sample and Cohen's kappa, against
values worked out by hand; and the weekly summary's "needs tuning"."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.review.precision import agreements, cohen_kappa, miss_rates, rule_precision, wilson
from qc_pipeline.store.schema import DERIVED_TABLES, SOURCE_TABLES
from tests.review_fixtures import copy_db, fill, sample_db  # noqa: F401 (fixture)

runner = CliRunner()
WEEK = "2026-W47"


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_wilson_interval_matches_the_worked_values():
    # p = 2/5, z = 1.96: centre (0.4 + 0.38415) / 1.76829 = 0.44345, half 0.32583.
    lo, hi = wilson(2, 5)
    assert lo == pytest.approx(0.11762, abs=1e-4) and hi == pytest.approx(0.76928, abs=1e-4)
    lo, hi = wilson(10, 10)
    assert lo == pytest.approx(0.72247, abs=1e-4) and hi == pytest.approx(1.0)
    assert wilson(0, 0) == (None, None)
    lo, hi = wilson(0, 4)
    assert lo == 0.0 and hi == pytest.approx(0.48986, abs=1e-4)


def test_cohen_kappa_matches_the_worked_value():
    a = list("CCCCCCNNNN")
    b = list("CCCCCNNNNC")
    # observed 0.8; chance 0.6·0.6 + 0.4·0.4 = 0.52; kappa (0.8 - 0.52) / 0.48.
    assert cohen_kappa(a, b) == pytest.approx(0.28 / 0.48)
    assert cohen_kappa(list("CC"), list("CC")) is None  # chance agreement certain: undefined
    assert cohen_kappa(list("CN"), list("NC")) == pytest.approx(-1.0)


def _warehouse():
    con = duckdb.connect()
    for name in ("reviews", "agent_week", "flags"):
        con.execute({**SOURCE_TABLES, **DERIVED_TABLES}[name])
    con.execute("INSERT INTO agent_week (week, shop, agent) VALUES (?, '店', '店:甲')", [WEEK])
    return con


def _review(con, n, item_id, verdict, *, item="flag", rule="R-A", category="hedging", reviewer="甲",
            stratum=None, size=None, kind="review", at=None):
    con.execute("""INSERT INTO reviews (review_id, kind, item, flag_id, session_id, rule_id, shop, week, agent,
                   stratum, stratum_sessions, verdict, category, reviewer, "at", source_path, source_sha256, sheet,
                   source_row) VALUES (?, ?, ?, ?, ?, ?, '店', ?, '店:甲', ?, ?, ?, ?, ?, ?, 'f.xlsx', 'sha', 'review', ?)""",
                [f"r{n}", kind, item, item_id if item == "flag" else None, item_id if item == "session" else f"s-{item_id}",
                 rule if item == "flag" else None, WEEK, stratum, size, verdict, category, reviewer,
                 at or dt.datetime(2026, 11, 20, 10, 0) + dt.timedelta(seconds=n), n])


def test_precision_per_rule_counts_each_flag_once_by_its_latest_review():
    con = _warehouse()
    n = 0
    # R-A: 5 flags reviewed, 2 confirmed (one of them first judged wrong, then corrected later).
    for i, verdict in enumerate(["confirmed", "confirmed", "not_violation", "not_violation", "not_violation"]):
        n += 1
        _review(con, n, f"FA{i}", verdict)
    n += 1
    _review(con, n, "FA1", "not_violation", at=dt.datetime(2026, 11, 19))  # older: overridden by the later one
    # R-B: 4 of 4 confirmed; an appeal overturning one does not count.
    for i in range(4):
        n += 1
        _review(con, n, f"FB{i}", "confirmed", rule="R-B", category="slang")
    n += 1
    _review(con, n, "FB0", "not_violation", rule="R-B", category="slang", kind="appeal")
    table = {r["rule_id"]: r for r in rule_precision(con, [WEEK], 0.8, 5, {"R-C": "abuse"}).to_dicts()}
    a, b, c = table["R-A"], table["R-B"], table["R-C"]
    assert (a["reviewed"], a["confirmed"], a["precision"]) == (5, 2, 0.4)
    assert a["precision_lo"] == pytest.approx(0.11762, abs=1e-4) and a["precision_hi"] == pytest.approx(0.76928, abs=1e-4)
    assert a["needs_tuning"] is True
    # 100 % but only 4 reviewed: under min_reviewed, so not judged.
    assert (b["reviewed"], b["confirmed"], b["precision"], b["needs_tuning"]) == (4, 4, 1.0, False)
    assert (c["reviewed"], c["precision"], c["needs_tuning"], c["category"]) == (0, None, False, "abuse")


def test_miss_rate_from_the_unflagged_sample_and_the_sessions_it_stands_for():
    con = _warehouse()
    verdicts = ["missed_violation", "missed_violation"] + ["confirmed"] * 6
    for i, verdict in enumerate(verdicts):
        _review(con, i + 1, f"s{i}", verdict, item="session", category="hedging" if verdict != "confirmed" else None,
                stratum="unflagged", size=40)
    # A flagged session with a missed violation is not part of the miss estimate.
    _review(con, 20, "s-flagged", "missed_violation", item="session", category="hedging", stratum="flagged", size=3)
    rates = {r["category"]: r for r in miss_rates(con, [WEEK], ["hedging", "slang"]).to_dicts()}
    h = rates["hedging"]
    assert (h["unflagged_reviewed"], h["missed"], h["miss_rate"]) == (8, 2, 0.25)
    lo, hi = wilson(2, 8)
    assert (h["miss_rate_lo"], h["miss_rate_hi"]) == (lo, hi)
    assert h["estimated_missed"] == pytest.approx(10.0)  # 2 of 8 sampled, of 40 unflagged sessions
    assert (rates["slang"]["missed"], rates["slang"]["miss_rate"]) == (0, 0.0)


def test_kappa_per_category_for_two_reviewers_on_the_same_flags():
    con = _warehouse()
    a = list("CCCCCCNNNN")
    b = list("CCCCCNNNNC")
    words = {"C": "confirmed", "N": "not_violation"}
    n = 0
    for i, (x, y) in enumerate(zip(a, b)):
        for reviewer, label in (("甲", x), ("乙", y)):
            n += 1
            _review(con, n, f"F{i}", words[label], reviewer=reviewer)
    # A flag only one of them judged is not compared.
    _review(con, 99, "F-alone", "confirmed", reviewer="甲")
    found = [k for k in agreements(con, [WEEK], ["hedging", "slang"]) if k.item == "flag"]
    assert len(found) == 1
    k = found[0]
    assert (k.category, k.reviewer_a, k.reviewer_b, k.items, k.agreement) == ("hedging", "乙", "甲", 10, 0.8)
    assert k.kappa == pytest.approx(0.28 / 0.48)


def test_rules_precision_and_the_weekly_summary_show_what_needs_tuning(sample_db, tmp_path):  # noqa: F811
    db = copy_db(sample_db, tmp_path)
    out = tmp_path / "review.xlsx"
    assert qc("sample-review", "--week", WEEK, "--db", db, "--out", out, "--per-agent", "20").exit_code == 0

    def judge(values):
        wrong = values["item"] == "flag" and values["rule_id"] == "SVC-SLANG"
        return ("not_violation" if wrong else "confirmed", None)

    filled = fill(out, tmp_path / "filled.xlsx", judge)
    second = fill(out, tmp_path / "second.xlsx", lambda v: ("confirmed", None), reviewer="质检B")
    # 质检A's verdicts come in the later file, so they are each flag's latest review.
    assert qc("import-review", second, filled, "--db", db).exit_code == 0
    config = tmp_path / "qc.toml"
    config.write_text("[review]\nmin_reviewed = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "precision", "--db", str(db), "--config", str(config)], terminal_width=200)
    assert result.exit_code == 0, result.output
    slang = next(l for l in result.output.splitlines() if "SVC-SLANG" in l)
    assert "0%" in slang and "needs tuning" in slang
    assert "Cohen" in result.output and "质检A / 质检B" in result.output.replace("质检B / 质检A", "质检A / 质检B")
    assert qc("report", "--week", WEEK, "--db", db, "--out", tmp_path / "r", "--config", config).exit_code == 0
    page = (tmp_path / "r" / WEEK / "summary.html").read_text(encoding="utf-8")
    assert 'data-needs-tuning="SVC-SLANG"' in page and 'data-needs-tuning="AD-EXTREME"' not in page
    assert "SVC-SLANG 0%" in (tmp_path / "r" / WEEK / "summary.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, says", [
    (["--weeks", "0"], "--weeks: must be at least 1"),
    (["--week", "W47"], "expected an ISO week"),
])
def test_precision_arguments_are_checked(tmp_path, args, says):
    result = qc("rules", "precision", "--db", tmp_path / "none.duckdb", *args)
    assert result.exit_code == 2 and says in result.output
    assert not (tmp_path / "none.duckdb").exists()
