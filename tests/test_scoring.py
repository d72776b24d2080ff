"""The QC scorecard on hand-built sessions, rounds and flags."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from qc_pipeline.errors import UserError
from qc_pipeline.scoring.scorecard import load_scorecard
from qc_pipeline.scoring.sessions import score_sessions

T0 = dt.datetime(2026, 11, 16, 10, 0, 0)
SESSIONS = pl.DataFrame({"session_id": ["s1", "s2", "s3"], "primary_agent": ["A", "A", "B"], "started_at": [T0] * 3})
ROUNDS = pl.DataFrame({
    "session_id": ["s1", "s2", "s2", "s3"], "round_no": [1, 1, 2, 1], "is_first": [True, True, False, True],
    "wait_seconds": [10.0, 45.0, None, 20.0], "target_seconds": [30, 30, 180, 30],
    "met_target": [True, False, False, True], "unanswered": [False, False, True, False],
    "first_msg_id": ["m1", "m2", "m3", "m4"],
})
FLAG_SCHEMA = {"session_id": pl.Utf8, "msg_id": pl.Utf8, "rule_id": pl.Utf8, "category": pl.Utf8,
               "severity": pl.Utf8, "matched": pl.Utf8, "role": pl.Utf8, "sent_at": pl.Datetime("us"),
               "start": pl.Int32}


def flags(*rows):
    return pl.DataFrame([dict(zip(FLAG_SCHEMA, r)) for r in rows], schema=FLAG_SCHEMA)


OUTCOMES = pl.DataFrame({"session_id": ["s1", "s2"], "converted": [True, False]})


def test_scores_and_deductions_explain_every_point():
    card = load_scorecard()
    f = flags(("s1", "m9", "HEDGE", "hedging", "minor", "可能", "agent", T0, 3),
              ("s1", "m8", "HEDGE", "hedging", "minor", "也许", "auto", T0, 0))  # auto-replies don't count
    scores, deductions = score_sessions(SESSIONS, ROUNDS, f, OUTCOMES, card)
    by_id = {r["session_id"]: r for r in scores.iter_rows(named=True)}
    # s1: responsiveness 100, compliance 90, outcome 100 -> (40*100 + 40*90 + 20*100) / 100
    assert by_id["s1"]["score"] == pytest.approx(96.0)
    # s2: first missed (-40) and unanswered (-50) -> 10; compliance 100; outcome 40 -> (400+4000+800)/100
    assert (by_id["s2"]["responsiveness"], by_id["s2"]["outcome"]) == (10.0, 40.0)
    assert by_id["s2"]["score"] == pytest.approx(52.0)
    # s3: no outcome (not presale): weights renormalise over responsiveness and compliance
    assert by_id["s3"]["outcome"] is None and by_id["s3"]["score"] == 100.0
    s2 = deductions.filter(pl.col("session_id") == "s2").sort("msg_id", nulls_last=True)
    assert s2["points"].to_list() == [40.0, 50.0, 60.0]
    assert s2["msg_id"].to_list() == ["m2", "m3", None]
    assert "45 秒" in s2["reason"][0] and "未获人工回复" in s2["reason"][1]
    # every lost point is a deduction row: category score = 100 - sum of its deductions
    lost = deductions.filter((pl.col("session_id") == "s1") & (pl.col("category") == "compliance"))["points"].sum()
    assert by_id["s1"]["compliance"] == 100 - lost


def test_critical_flag_fails_the_session_unless_turned_off(tmp_path):
    f = flags(("s3", "m4", "AD-EXTREME", "extreme_word", "critical", "最好", "agent", T0, 5))
    scores, deductions = score_sessions(SESSIONS, ROUNDS, f, OUTCOMES, load_scorecard())
    s3 = scores.filter(pl.col("session_id") == "s3").row(0, named=True)
    assert s3["auto_failed"] is True and s3["score"] == 0.0
    assert "auto_fail" in deductions.filter(pl.col("session_id") == "s3")["category"].to_list()

    custom = tmp_path / "card.toml"
    custom.write_text("auto_fail_on_critical = false\n[compliance]\ncritical = 50\n", encoding="utf-8")
    card = load_scorecard(custom)
    scores, _ = score_sessions(SESSIONS, ROUNDS, f, OUTCOMES, card)
    s3 = scores.filter(pl.col("session_id") == "s3").row(0, named=True)
    assert s3["auto_failed"] is False and s3["score"] == pytest.approx(75.0)
    assert card.version != load_scorecard().version


def test_bad_scorecard_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[compliance]\nsevere = 3\n", encoding="utf-8")
    with pytest.raises(UserError, match="compliance.severe"):
        load_scorecard(bad)


def test_a_rule_weight_multiplies_its_compliance_deduction(tmp_path):
    """`weight` in a rule file weighs that rule's deductions (severity points × weight)."""
    import csv

    from qc_pipeline.config import load_config
    from qc_pipeline.pipeline import ingest_paths, rebuild
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard
    from qc_pipeline.store.warehouse import open_warehouse

    chats = tmp_path / "chats.csv"
    with chats.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["shop", "buyer", "agent", "role", "sent_at", "text"])
        w.writerow(["甲店", "买家", "甲店:小雅", "buyer", "2026-11-16 10:00:00", "有优惠吗"])
        w.writerow(["甲店", "买家", "甲店:小雅", "agent", "2026-11-16 10:00:10", "yyds，老铁放心拍"])
    heavy = tmp_path / "heavy.yaml"
    heavy.write_text("rules:\n  - {id: SVC-SLANG, weight: 3}\n", encoding="utf-8")
    minor = load_scorecard().points("compliance", "minor")
    config = load_config()
    points = {}
    for name, files in (("plain", []), ("heavy", [heavy])):
        con = open_warehouse(tmp_path / f"{name}.duckdb")
        ingest_paths(con, [chats], config)
        rebuild(con, config, load_ruleset(files))
        points[name] = con.execute(
            "SELECT points FROM score_deductions WHERE category = 'compliance' ORDER BY points").fetchall()
        con.close()
    assert points["plain"] and all(p == (minor,) for p in points["plain"])
    assert points["heavy"] == [(3 * minor,)] * len(points["plain"])
