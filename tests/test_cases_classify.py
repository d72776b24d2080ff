"""The case criteria and rank terms on session facts with the edge values a week holds: nulls, a zero
target, no score. Expected values are worked out by hand from criteria.toml's definitions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from qc_pipeline.cases.select import classify, pick
from qc_pipeline.cases.settings import load_criteria

BASE = {
    "shop": "s1", "agent": "a1", "score": 95.0, "started_at": dt.datetime(2026, 11, 17, 10), "first_wait_s": 10.0,
    "first_target_s": 30.0, "first_unanswered": False, "replies_on_target": True, "presale": True,
    "aftersale": False, "ordered": True, "converted": True, "order_amount": Decimal("250.00"), "all_flags": 0,
    "critical_flags": 0, "arguing_flags": 0, "other_flags": 0, "left_unanswered": False,
    "resolve_phrase": None, "thanks_phrase": None, "any_thanks": None,
}
SESSIONS = {
    # clean, converted, fast: good; fast = 1 - 10/30, amount 250/500, thanks
    "good": {"any_thanks": "谢谢"},
    # the same with no QC score: not converted-good (a missing score is below min_score), not a case
    "no-score": {"score": None},
    # a zero target cannot be beaten: fast_first_reply is 0
    "zero-target": {"first_target_s": 0.0},
    # no first wait known: fast 0; no order amount: 0
    "no-wait": {"first_wait_s": None, "order_amount": None},
    # a critical flag and a slow reply to a buyer who left: bad, both categories, critical first
    "critical-slow": {"critical_flags": 1, "all_flags": 2, "other_flags": 1, "first_wait_s": 330.0,
                      "ordered": False, "converted": False, "score": 40.0},
    # left unanswered, score unknown: shortfall 0
    "unanswered": {"left_unanswered": True, "score": None, "ordered": False, "converted": False,
                   "presale": False, "aftersale": True},
    # after-sale resolved and thanked
    "resolved": {"presale": False, "aftersale": True, "converted": False, "ordered": False,
                 "resolve_phrase": "给您退款", "thanks_phrase": "谢谢", "any_thanks": "谢谢", "score": 88.0},
}


@pytest.fixture(scope="module")
def judged():
    rows = [{**BASE, **extra, "session_id": sid} for sid, extra in SESSIONS.items()]
    facts = pl.DataFrame(rows, schema_overrides={"order_amount": pl.Decimal(18, 2)})
    criteria = load_criteria()
    return criteria, {r["session_id"]: r for r in classify(facts, criteria).iter_rows(named=True)}


def test_which_sessions_are_cases_and_under_what(judged):
    _, rows = judged
    assert set(rows) == {"good", "zero-target", "no-wait", "critical-slow", "unanswered", "resolved"}
    assert {s: (r["kind"], r["matched"]) for s, r in rows.items()} == {
        "good": ("good", ["presale_converted"]),
        "zero-target": ("good", ["presale_converted"]),
        "no-wait": ("good", ["presale_converted"]),
        "critical-slow": ("bad", ["critical_flag", "slow_lost_sale"]),
        "unanswered": ("bad", ["unanswered"]),
        "resolved": ("good", ["aftersale_resolved"]),
    }
    assert rows["critical-slow"]["category"] == "critical_flag"


def test_rank_scores_follow_the_weights(judged):
    _, rows = judged
    # qc 95 + 20 × round(1 - 10/30, 4) + 20 × 0.5 + 10 × 1
    assert rows["good"]["rank_score"] == round(95 + 20 * 0.6667 + 20 * 0.5 + 10, 2)
    assert rows["zero-target"]["_good_fast_first_reply"] == 0.0
    assert rows["no-wait"]["_good_fast_first_reply"] == 0.0 and rows["no-wait"]["_good_order_amount"] == 0.0
    # 100 × 1 critical + 15 × 1 other + 10 × min(5 min late, 10) + 30 lost sale + 50 × 0.6 shortfall
    assert rows["critical-slow"]["rank_score"] == round(100 + 15 + 10 * 5.0 + 30 + 50 * 0.6, 2)
    assert rows["unanswered"]["_bad_score_shortfall"] == 0.0 and rows["unanswered"]["rank_score"] == 50.0


def test_pick_keeps_the_order_and_the_per_agent_limit(judged):
    criteria, rows = judged
    frame = pl.DataFrame(list(rows.values()))
    good = pick(frame, "good", 10, 0, set(), criteria)
    assert [c.session_id for c in good][0] == "good"
    assert [c.session_id for c in pick(frame, "good", 10, 1, set(), criteria)] == ["good"]
    # The limit is per shop's agent: another shop's a1 is another agent.
    two_shops = frame.with_columns(pl.when(pl.col("session_id") == "good").then(pl.lit("s2"))
                                   .otherwise(pl.col("shop")).alias("shop"))
    assert len(pick(two_shops, "good", 10, 1, set(), criteria)) == 2
    assert "good" not in [c.session_id for c in pick(frame, "good", 10, 0, {"good"}, criteria)]
    top = good[0]
    assert top.terms["buyer_thanks"] == 1.0 and top.contributions()[0][0] == "qc_score"
