"""The service-standard tables on the sample equal truth.json exactly: every promise, every reminded order,
every handover and every stale auto-reply, and the planted cases come out as docs/metrics.md says."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.sample import generate_sample, plan_sample
from qc_pipeline.sample.conversation import PlanError
from qc_pipeline.sample.standard_truth import check_standard
from tests.test_sample_truth import run_pipeline

MAIN = "星河服饰旗舰店"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample_standard")
    truth = generate_sample(root / "logs", seed=7)
    con, _ = run_pipeline([root / "logs"], root / "qc.duckdb")
    yield truth, con
    con.close()


def fmt(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def table(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [{k: fmt(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def keyed(rows: list[dict], fields: tuple[str, ...]) -> Counter:
    return Counter(tuple(r[f] for f in fields) for r in rows)


def tagged(rows: list[dict], case: str) -> list[dict]:
    return [r for r in rows if r.get("case") == case or case in r.get("cases", ())]


def name(account: str | None) -> str | None:
    return account.split(":")[1] if account else None


# --- promises -----------------------------------------------------------------------------------

PROMISE_FIELDS = ("shop", "buyer", "agent", "promised_at", "due", "status", "kept_by", "kept_at", "keep_seconds",
                  "lexicon_id", "week")


def test_promises_table_is_the_truth(sample):
    truth, con = sample
    got = table(con, "SELECT * FROM promises")
    assert keyed(got, PROMISE_FIELDS) == keyed(truth["promises"], PROMISE_FIELDS)


def test_planted_promises(sample):
    truth, con = sample
    rows = {(r["buyer"], r["promised_at"]): r for r in table(con, "SELECT * FROM promises")}

    def one(case):
        (planted,) = tagged(truth["promises"], case)
        return rows[(planted["buyer"], planted["promised_at"])]

    # The holding line (还在查，请稍等~) and the second promise keep nothing: the 10:27 answer keeps both.
    same = [rows[(r["buyer"], r["promised_at"])] for r in tagged(truth["promises"], "promise_kept_same_session")
            if r["buyer"] == "wenwen_hz"]
    assert [(r["status"], r["kept_at"][11:]) for r in same] == [("kept", "10:27:00")] * 2
    r = one("promise_kept_by_colleague")
    assert (r["status"], name(r["agent"]), name(r["kept_by"])) == ("kept", "小满", "小雅")
    r = one("promise_kept_at_due")
    assert (r["status"], r["keep_seconds"], r["kept_at"]) == ("kept", 86400.0, r["due"])
    r = one("promise_late")
    assert (r["status"], r["keep_seconds"]) == ("late", 86401.0)
    r = one("promise_broken")
    assert (r["status"], r["kept_at"]) == ("broken", None)
    r = one("promise_open")
    assert (r["status"], r["kept_at"]) == ("open", None)
    assert r["due"] > truth["chat_qc_truth"]["last_day"] + " 23:59:59"


def test_agent_week_promise_and_reminder_counts_are_the_truth(sample):
    truth, con = sample
    want: Counter = Counter()
    for p in truth["promises"]:
        want[(p["week"], p["shop"], p["agent"], "promises")] += 1
        want[(p["week"], p["shop"], p["agent"], "promises_kept")] += p["status"] == "kept"
    for o in truth["payment_reminders"]:
        want[(o["week"], o["shop"], o["reminded_by"], "reminders_sent")] += 1
        want[(o["week"], o["shop"], o["reminded_by"], "reminded_paid")] += o["paid_after_reminder"]
    got: Counter = Counter()
    for r in table(con, "SELECT week, shop, agent, promises, promises_kept, reminders_sent, reminded_paid "
                        "FROM agent_week"):
        for column in ("promises", "promises_kept", "reminders_sent", "reminded_paid"):
            got[(r["week"], r["shop"], r["agent"], column)] += r[column] or 0
    assert +got == +want and want


# --- payment reminders --------------------------------------------------------------------------

REMINDER_FIELDS = ("order_id", "shop", "buyer", "created_at", "close_deadline", "paid_at", "status", "reminded_at",
                   "reminded_by", "reminders", "reminding_agents", "paid_after_reminder", "week")


def test_reminded_orders_are_the_truth(sample):
    truth, con = sample
    got = table(con, "SELECT * FROM payment_reminders WHERE reminders > 0")
    assert keyed(got, REMINDER_FIELDS) == keyed(truth["payment_reminders"], REMINDER_FIELDS)


def test_every_order_that_waited_for_payment_has_a_row(sample):
    truth, con = sample
    waited = {o["order_id"] for o in truth["orders"] if o["paid_at"] is None or o["paid_at"] > o["created_at"]}
    got = [r["order_id"] for r in table(con, "SELECT order_id FROM payment_reminders")]
    assert sorted(got) == sorted(waited)
    (instant,) = [o for o in truth["orders"] if "paid_at_creation" in o["cases"]]
    assert instant["paid_at"] == instant["created_at"] and instant["order_id"] not in got


def test_planted_reminders(sample):
    truth, con = sample
    rows = {r["order_id"]: r for r in table(con, "SELECT * FROM payment_reminders")}

    def one(case):
        (planted,) = tagged(truth["payment_reminders"], case)
        return rows[planted["order_id"]]

    r = one("reminded_then_paid")
    assert (name(r["reminded_by"]), r["reminders"], r["paid_after_reminder"]) == ("小雅", 1, True)
    r = one("reminded_closed_unpaid")
    assert (r["status"], r["paid_at"], r["paid_after_reminder"]) == ("交易关闭", None, False)
    r = one("double_chased")
    assert (name(r["reminded_by"]), r["reminders"], r["reminding_agents"], r["paid_after_reminder"]) == (
        "小雅", 2, 2, True)
    r = one("reminder_at_deadline")
    assert (r["reminded_at"], r["reminders"]) == (r["close_deadline"], 1)


# --- handovers ----------------------------------------------------------------------------------

HANDOVER_FIELDS = ("shop", "buyer", "round_no", "started_at", "left_by", "shift_name", "shift_ended_at", "next_shift",
                   "next_shift_started_at", "answered_at", "answered_by", "wait_after_shift_start_s", "status", "week")


def test_handovers_table_is_the_truth(sample):
    truth, con = sample
    got = table(con, "SELECT * FROM handovers")
    assert keyed(got, HANDOVER_FIELDS) == keyed(truth["handovers"], HANDOVER_FIELDS)


def test_planted_handovers(sample):
    truth, con = sample
    rows = {(r["buyer"], r["started_at"]): r for r in table(con, "SELECT * FROM handovers")}

    def one(case):
        (planted,) = tagged(truth["handovers"], case)
        return rows[(planted["buyer"], planted["started_at"])]

    r = one("cross_midnight")
    assert (r["shift_name"], r["shift_ended_at"][11:], name(r["left_by"]), name(r["answered_by"]),
            r["wait_after_shift_start_s"]) == ("晚班", "00:30:00", "小鹿", "小雅", 40.0)
    r = one("reply_after_shift_end")  # answered at 00:40, before the early shift came on
    assert (r["shift_name"], r["answered_at"][11:], r["wait_after_shift_start_s"]) == ("晚班", "00:40:00", 0.0)
    r = one("handover_at_shift_change")  # answered in the very second of the shift end
    assert (r["shift_name"], r["next_shift"], r["answered_at"], name(r["left_by"]), name(r["answered_by"]),
            r["wait_after_shift_start_s"]) == ("早班", "晚班", r["shift_ended_at"], "阿杰", "小鹿", 0.0)
    r = one("handover_unanswered")
    assert (r["status"], name(r["left_by"]), r["answered_at"]) == ("unanswered", "小雅", None)
    # A round that starts after the shift end (gap_spans_off_duty, 08:45) or exactly on it
    # (shift_end_boundary, 00:30:00) waited at no shift end.
    for case in ("gap_spans_off_duty", "shift_end_boundary"):
        buyers = {r["buyer"] for r in truth["rounds"] if case in r["cases"]}
        assert buyers and not {b for b, _ in rows} & buyers, case


# --- stale auto-replies -------------------------------------------------------------------------

STALE_FIELDS = ("shop", "buyer", "agent", "sent_at", "text", "lexicon_id", "announced_end", "week")


def test_stale_auto_replies_table_is_the_truth(sample):
    truth, con = sample
    got = table(con, "SELECT * FROM stale_auto_replies")
    assert keyed(got, STALE_FIELDS) == keyed(truth["stale_auto_replies"], STALE_FIELDS)


def test_planted_stale_auto_replies(sample):
    truth, con = sample
    got = {(r["buyer"], r["sent_at"][:10]): (r["lexicon_id"], r["announced_end"])
           for r in table(con, "SELECT * FROM stale_auto_replies")}
    assert got == {
        ("miumiu_77", "2026-11-13"): ("event.double11", "2026-11-11"),
        ("aqua_lin", "2026-11-21"): ("until.deadline_word", "2026-11-20"),
    }
    # The same texts before and on their day (11-10, 11-11; 11-20) are not stale.
    fresh = {(s["buyer"], s["started_at"][:10]) for s in truth["sessions"]
             if "auto_reply_date_not_passed" in s["cases"]}
    assert fresh == {("miumiu_77", "2026-11-10"), ("miumiu_77", "2026-11-11"), ("aqua_lin", "2026-11-20")}


# --- the generator keeps the truth exact --------------------------------------------------------

@pytest.fixture()
def plan():
    return plan_sample(seed=7)


def test_plan_refuses_promise_wording_outside_the_planted_texts(plan):
    check_standard(plan.sessions, load_config())
    msg = next(m for s in plan.sessions if not s.cases for m in s.msgs if m.role == "agent")
    msg.text = "我帮您查一下，稍后给您答复"
    with pytest.raises(PlanError, match="reads as promise"):
        check_standard(plan.sessions, load_config())


def test_plan_refuses_a_dated_auto_reply_outside_the_planted_texts(plan):
    msg = next(m for s in plan.sessions if not s.cases for m in s.msgs if m.role == "auto")
    msg.text = "[自动回复]双11期间客服会按顺序回复您"
    with pytest.raises(PlanError, match="reads as auto_date"):
        check_standard(plan.sessions, load_config())


def test_plan_refuses_a_planted_promise_that_does_not_come_out_as_planned(plan):
    msg = next(m for s in plan.sessions for m in s.msgs if m.case == "promise_late")
    msg.expect = "kept"
    with pytest.raises(PlanError, match="planned kept, the definitions give late"):
        check_standard(plan.sessions, load_config())
