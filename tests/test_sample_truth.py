"""The pipeline recovers exactly the ground truth the sample generator planted."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.sample import generate_sample
from qc_pipeline.store.warehouse import open_warehouse, scalar

REPO = Path(__file__).resolve().parents[1]


def ts(text):
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def run_pipeline(inputs, db, files=None):
    con = open_warehouse(db)
    config = load_config()
    report = ingest_paths(con, inputs, config, files=files)
    rebuild(con, config)
    return con, report


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    truth = generate_sample(root / "logs", seed=7)
    con, report = run_pipeline([root / "logs"], root / "qc.duckdb")
    yield truth, con, report, root
    con.close()


def test_file_row_accounting_matches_truth(sample):
    truth, con, _, root = sample
    got = {
        Path(path).name: (read, loaded, dup, quar)
        for path, read, loaded, dup, quar in con.execute(
            "SELECT path, rows_read, rows_loaded, rows_duplicate, rows_quarantined FROM ingested_files"
        ).fetchall()
    }
    want = {
        name: (f["rows_read"], f["rows_loaded"], f["rows_duplicate"], f["rows_quarantined"])
        for name, f in truth["files"].items()
    }
    assert got == want
    for read, loaded, dup, quar in got.values():
        assert read == loaded + dup + quar


def test_messages_and_quarantine_match_truth(sample):
    truth, con, _, _ = sample
    assert scalar(con, "SELECT count(*) FROM messages") == truth["messages_total"]
    assert scalar(con, "SELECT count(*) FROM quarantine") == len(truth["quarantined"])
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    for planted in truth["quarantined"]:
        assert any(planted["reason"] in r for r in reasons), planted


def test_sessions_match_truth(sample):
    truth, con, _, _ = sample
    got = sorted(
        con.execute(
            "SELECT shop, buyer, started_at, ended_at, n_buyer_msgs, n_agent_msgs FROM sessions"
        ).fetchall()
    )
    want = sorted(
        (s["shop"], s["buyer"], ts(s["started_at"]), ts(s["ended_at"]), s["n_buyer_msgs"], s["n_agent_msgs"])
        for s in truth["sessions"]
    )
    assert got == want


ROUND_FIELDS = ("round_no", "is_first", "agent", "agent_role", "clock_start", "replied_at", "wait_seconds",
                "target_seconds", "met_target", "unanswered", "week")


def test_every_round_matches_truth(sample):
    truth, con, _, _ = sample
    rows = con.execute(
        "SELECT r.shop, r.buyer, r.started_at, " + ", ".join(f"r.{f}" for f in ROUND_FIELDS) +
        " FROM rounds r"
    ).fetchall()
    got = {(shop, buyer, started): dict(zip(ROUND_FIELDS, rest)) for shop, buyer, started, *rest in rows}
    assert len(got) == len(rows) == len(truth["rounds"])
    for planted in truth["rounds"]:
        key = (planted["shop"], planted["buyer"], ts(planted["started_at"]))
        assert key in got, f"planted round missing: {planted}"
        row = got[key]
        want = {f: planted[f] for f in ROUND_FIELDS}
        want["clock_start"], want["replied_at"] = ts(want["clock_start"]), ts(want["replied_at"])
        assert row == want, f"{planted.get('case')}: {key}"


def test_planted_cases_are_all_present(sample):
    truth, _, _, _ = sample
    cases = {c for r in truth["rounds"] for c in r.get("cases", [])} | {
        c for s in truth["sessions"] for c in s.get("cases", [])
    }
    for case in ("off_shift_next_morning", "cross_midnight", "transfer", "three_before_reply",
                 "unanswered_last", "equal_timestamp", "gap_exact_threshold", "gap_just_under", "auto_reply_first"):
        assert case in cases


AGENT_WEEK_FIELDS = ("sessions", "rounds", "first_rounds", "first_median_s", "first_p90_s", "first_within_target_pct",
                     "follow_median_s", "follow_p90_s", "follow_within_target_pct", "unanswered_rounds",
                     "avg_wait_capped_s")


def test_agent_week_matches_truth(sample):
    truth, con, _, _ = sample
    rows = con.execute(
        "SELECT week, shop, agent, " + ", ".join(AGENT_WEEK_FIELDS) + " FROM agent_week WHERE rounds > 0"
    ).fetchall()
    got = {(w, s, a): dict(zip(AGENT_WEEK_FIELDS, rest)) for w, s, a, *rest in rows}
    want = {(r["week"], r["shop"], r["agent"]): {f: r[f] for f in AGENT_WEEK_FIELDS} for r in truth["agent_week"]}
    assert got.keys() == want.keys()
    for key, figures in want.items():
        for field, value in figures.items():
            if value is None:
                assert got[key][field] is None, (key, field)
            else:
                assert got[key][field] == pytest.approx(value, abs=1e-9), (key, field)


def test_reingest_adds_nothing_and_counts_duplicates(sample, tmp_path):
    truth, con, report, root = sample
    db = tmp_path / "again.duckdb"
    con2, first = run_pipeline([root / "logs"], db)
    before = scalar(con2, "SELECT count(*) FROM messages")
    second = ingest_paths(con2, [root / "logs"], load_config())
    assert scalar(con2, "SELECT count(*) FROM messages") == before
    assert second.total("rows_loaded") == 0
    assert second.total("rows_duplicate") == first.total("rows_loaded") + first.total("rows_duplicate")
    assert scalar(con2, "SELECT count(*) FROM quarantine") == len(truth["quarantined"])
    con2.close()


def test_results_do_not_depend_on_ingest_order(sample, tmp_path):
    truth, con, report, root = sample
    files = sorted((root / "logs").iterdir(), reverse=True)
    con2, _ = run_pipeline([], tmp_path / "reversed.duckdb", files=[(p, None) for p in files])
    query = "SELECT shop, buyer, started_at, agent, wait_seconds, unanswered FROM rounds ORDER BY ALL"
    assert con2.execute(query).fetchall() == con.execute(query).fetchall()
    con2.close()


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    generate_sample(tmp_path / "fresh", seed=7)
    shipped = REPO / "sample_logs"
    fresh = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    assert fresh == sorted(p.name for p in shipped.iterdir() if p.name != "README.md")
    for name in fresh:
        assert (tmp_path / "fresh" / name).read_bytes() == (shipped / name).read_bytes(), name
