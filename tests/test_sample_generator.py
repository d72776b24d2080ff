"""The synthetic sample: deterministic bytes, exact and self-consistent truth, every planted case."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import statistics
from decimal import Decimal

import numpy as np
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.sample import bulk_messages, generate_sample, plan_sample
from qc_pipeline.sample.conversation import PlanError
from qc_pipeline.sample.conversion_truth import MODES, Outcome, replies_of
from qc_pipeline.sample.order_plan import check_outcomes
from qc_pipeline.sample.shops import agent_roles
from qc_pipeline.sample.orders import REPORT_COLUMNS
from qc_pipeline.sample.texts import forbidden_words_in
from qc_pipeline.sample.violations import VIOLATION_BANK
from qc_pipeline.sessions.onduty import DutyCalendar

TIME = "%Y-%m-%d %H:%M:%S"
EPOCH = dt.datetime(1970, 1, 1)
PLANTED_TAGS = (
    "off_shift_next_morning", "cross_midnight", "shift_end_boundary", "reply_after_shift_end", "transfer",
    "transfer_to_aftersale", "three_before_reply", "unanswered_last", "equal_timestamp", "gap_exact_threshold",
    "gap_just_under", "gap_spans_off_duty", "auto_reply_first", "auto_reply_only", "multi_session_buyer",
    "slow_reply", "wait_over_cap", "aftersale_first_within_target", "aftersale_first_missed", "identical_lines",
    "overlap_duplicate", "agent_opens", "system_message", "week_boundary", "rows_out_of_order",
    "unanswered_text_inferred_before", "unanswered_text_inferred_after", "short_time_line", "consecutive_days",
    "ordered_before_second_chat", "ordered_before_chat",
)
ORDER_TAGS = (
    "transfer_credit", "two_agents", "paid_day3", "paid_after_week", "paid_at_week_end", "closed_unpaid", "refunded",
    "multi_order", "other_shop", "window_edge", "ordered_before_chat", "consecutive_days",
    "ordered_before_second_chat", "repeat_buyer", "silent_auto_only", "silent_no_chat", "no_chat_unpaid",
    "week_boundary",
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return out, generate_sample(out, seed=7)


@pytest.fixture(scope="module")
def plan():
    return plan_sample(seed=7)


def ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TIME)


def on_duty_s(calendar: DutyCalendar, times: list[dt.datetime]) -> np.ndarray:
    us = np.array([(t - EPOCH) // dt.timedelta(microseconds=1) for t in times], dtype=np.int64)
    return calendar.on_duty_clock(us) / 1_000_000


def rounds_tagged(truth: dict, tag: str) -> list[dict]:
    return [r for r in truth["rounds"] if tag in r["cases"]]


def sessions_tagged(truth: dict, tag: str) -> list[dict]:
    return [s for s in truth["sessions"] if tag in s["cases"]]


def session_of(truth: dict, r: dict) -> dict:
    return next(s for s in truth["sessions"]
                if (s["shop"], s["buyer"], s["started_at"]) == (r["shop"], r["buyer"], r["session_started_at"]))


# --- files ---------------------------------------------------------------------------------------

def test_same_seed_writes_the_same_bytes(sample, tmp_path):
    out, _ = sample
    generate_sample(tmp_path, seed=7)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_another_seed_writes_other_conversations(sample, tmp_path):
    out, _ = sample
    generate_sample(tmp_path, seed=8)
    assert (tmp_path / "chats_presale.csv").read_bytes() != (out / "chats_presale.csv").read_bytes()


def test_sample_stays_small(sample):
    out, _ = sample
    assert sum(p.stat().st_size for p in out.iterdir()) <= 5 * 1024 * 1024


def test_truth_file_holds_the_returned_truth(sample):
    out, truth = sample
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    assert truth["chat_qc_truth"]["version"] == 1
    assert truth["chat_qc_truth"]["weeks"] == ["2026-W46", "2026-W47"]
    assert truth["config"]["idle_seconds"] == 1800


def test_every_export_is_in_truth(sample):
    out, truth = sample
    assert sorted(truth["files"]) == sorted(p.name for p in out.iterdir() if p.name != "truth.json")


def test_row_accounting_adds_up(sample):
    _, truth = sample
    for name, f in truth["files"].items():
        assert f["rows_read"] == f["rows_loaded"] + f["rows_duplicate"] + f["rows_quarantined"], name
    chat = [f for f in truth["files"].values() if f["kind"] == "chat"]
    assert truth["messages_total"] == sum(f["rows_loaded"] for f in chat)
    in_sessions = sum(s["n_buyer_msgs"] + s["n_agent_msgs"] + s["n_auto_msgs"] + s["n_system_msgs"]
                      for s in truth["sessions"])
    assert truth["messages_total"] == in_sessions
    for name, f in truth["files"].items():
        assert f["rows_quarantined"] == sum(q["file"] == name for q in truth["quarantined"])
    assert sum(f["rows_duplicate"] for f in chat) > 0
    assert {q["reason"] for q in truth["quarantined"]} == {"unreadable time", "unknown role", "empty buyer"}


def test_record_counts_match_the_files(sample):
    out, truth = sample
    files = truth["files"]
    for name, encoding in (("chats_presale.csv", "utf-8"), ("chats_aftersale_gbk.csv", "gbk")):
        rows = list(csv.reader(io.StringIO((out / name).read_bytes().decode(encoding), newline="")))
        assert rows[0] == ["shop", "buyer", "agent", "role", "sent_at", "text"]
        assert len(rows) - 1 == files[name]["rows_read"]
        for q in (q for q in truth["quarantined"] if q["file"] == name):
            assert rows[q["line"] - 1] == q["row"]
    header = re.compile(r"^(\S+?) ?\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}$")
    plain = (out / "qianniu_desktop_tb_maomao88.txt").read_bytes().decode("utf-8")
    assert "\r\n" in plain and "\n" not in plain.replace("\r\n", "")
    lines = plain.split("\r\n")
    assert sum(bool(header.match(x)) and "-->" not in x for x in lines) == files[
        "qianniu_desktop_tb_maomao88.txt"]["rows_read"]
    assert any("-->" in x for x in lines) and any(x.endswith("撤回了一条消息") for x in lines) and "已读" in lines
    bracketed = (out / "qianniu_desktop_sunny_lili.txt").read_bytes().decode("gbk")
    assert len(re.findall(r"^\[[^\]]+\] \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\r$", bracketed, re.M)) == files[
        "qianniu_desktop_sunny_lili.txt"]["rows_read"]
    for name in ("qianniu_web_jenny_w.txt", "qianniu_web_yunduo_mama.txt"):
        blocks = (out / name).read_text(encoding="utf-8").strip("\n").split("\n\n")
        assert len(blocks) == files[name]["rows_read"]


def test_canonical_csv_lists_some_rows_out_of_order(sample):
    out, _ = sample
    rows = list(csv.DictReader(io.StringIO((out / "chats_presale.csv").read_text(encoding="utf-8"))))
    backwards = sum(
        1 for a, b in zip(rows, rows[1:])
        if (a["shop"], a["buyer"]) == (b["shop"], b["buyer"]) and a["sent_at"] > b["sent_at"]
    )
    assert backwards > 0


def test_order_report_has_the_seller_center_layout(sample):
    out, truth = sample
    text = (out / "orders_report.csv").read_bytes().decode("gbk")
    lines = text.split("\r\n")[:-1]
    header = next(csv.reader([lines[0]]))
    assert tuple(header) == REPORT_COLUMNS and len(header) == 46
    assert "订单付款时间 " in header and "收货地址 " in header
    assert len(lines) - 1 == len(truth["orders"]) == truth["files"]["orders_report.csv"]["rows_read"]
    assert all(re.match(r'^="\d{19}",', line) for line in lines[1:])
    assert "元" in text and "交易关闭" in text
    unpaid = [o for o in truth["orders"] if o["paid_at"] is None]
    assert unpaid and all(o["amount"] == "0.00" for o in unpaid)
    chatted = {(s["shop"], s["buyer"]) for s in truth["sessions"]}
    assert sum((o["shop"], o["buyer"]) in chatted for o in truth["orders"]) > len(truth["orders"]) / 2


# --- truth consistency ---------------------------------------------------------------------------

def test_waits_are_on_duty_seconds(sample):
    _, truth = sample
    calendar = DutyCalendar.from_shifts(load_config().shifts)
    answered = [r for r in truth["rounds"] if not r["unanswered"]]
    started = on_duty_s(calendar, [ts(r["started_at"]) for r in answered])
    replied = on_duty_s(calendar, [ts(r["replied_at"]) for r in answered])
    assert [r["wait_seconds"] for r in answered] == list(replied - started)
    starts_us = np.array([(ts(r["started_at"]) - EPOCH) // dt.timedelta(microseconds=1) for r in truth["rounds"]])
    clock = [EPOCH + dt.timedelta(microseconds=int(u)) for u in calendar.next_on_duty(starts_us)]
    assert [r["clock_start"] for r in truth["rounds"]] == [c.strftime(TIME) for c in clock]


def test_round_fields_follow_the_definitions(sample):
    _, truth = sample
    config = load_config()
    roles = {a["agent"]: a["role"] for a in truth["agents"]}
    for r in truth["rounds"]:
        assert r["is_first"] == (r["round_no"] == 1)
        assert r["agent_role"] == roles[r["agent"]]
        assert r["target_seconds"] == config.target_seconds(r["agent_role"], r["is_first"])
        assert r["met_target"] == (not r["unanswered"] and r["wait_seconds"] <= r["target_seconds"])
        assert r["unanswered"] == (r["replied_at"] is None) == (r["wait_seconds"] is None)
        year, week, _ = ts(r["started_at"]).isocalendar()
        assert r["week"] == f"{year}-W{week:02d}"
    for s in truth["sessions"]:
        rounds = [r for r in truth["rounds"] if (r["shop"], r["buyer"], r["session_started_at"]) ==
                  (s["shop"], s["buyer"], s["started_at"])]
        assert [r["round_no"] for r in rounds] == list(range(1, s["n_rounds"] + 1))
        assert all(not r["unanswered"] for r in rounds[:-1])


def test_sessions_split_exactly_at_the_idle_gap(plan):
    calendar = DutyCalendar.from_shifts(load_config().shifts)
    by_buyer: dict[tuple, list] = {}
    for session in plan.sessions:
        gaps = np.diff(on_duty_s(calendar, [m.at for m in session.msgs]))
        assert (gaps >= 0).all() and (gaps < 1800).all(), session.buyer
        by_buyer.setdefault((session.shop, session.buyer), []).append(session)
    for sessions in by_buyer.values():
        sessions.sort(key=lambda s: s.started_at)
        for before, after in zip(sessions, sessions[1:]):
            gap = np.diff(on_duty_s(calendar, [before.ended_at, after.started_at]))[0]
            assert gap >= 1800, after.buyer


def test_agent_week_agrees_with_numpy(sample):
    _, truth = sample
    cap = truth["config"]["wait_cap_seconds"]
    for row in truth["agent_week"]:
        mine = [r for r in truth["rounds"] if (r["week"], r["shop"], r["agent"]) == (row["week"], row["shop"], row["agent"])]
        assert row["rounds"] == len(mine)
        assert row["unanswered_rounds"] == sum(r["unanswered"] for r in mine)
        assert row["sessions"] == len({r["session_started_at"] + r["buyer"] for r in mine})
        for prefix, first in (("first", True), ("follow", False)):
            part = [r for r in mine if r["is_first"] == first]
            waits = [r["wait_seconds"] for r in part if not r["unanswered"]]
            if waits:
                assert row[f"{prefix}_median_s"] == pytest.approx(float(np.median(waits)))
                assert row[f"{prefix}_p90_s"] == pytest.approx(float(np.percentile(waits, 90)))
            else:
                assert row[f"{prefix}_median_s"] is None and row[f"{prefix}_p90_s"] is None
            if part:
                share = 100 * np.mean([r["met_target"] for r in part])
                assert row[f"{prefix}_within_target_pct"] == pytest.approx(share)
        capped = [cap if r["unanswered"] else min(r["wait_seconds"], cap) for r in mine]
        assert row["avg_wait_capped_s"] == pytest.approx(statistics.mean(capped))


def test_a_realistic_volume(sample):
    _, truth = sample
    per_week = {}
    for s in truth["sessions"]:
        week = "{}-W{:02d}".format(*ts(s["started_at"]).isocalendar()[:2])
        per_week[week] = per_week.get(week, 0) + 1
    assert all(200 <= n <= 600 for n in per_week.values())
    presale = {a["agent"] for a in truth["agents"] if a["role"] == "presale" and a["shop"] == "星河服饰旗舰店"}
    aftersale = {a["agent"] for a in truth["agents"] if a["role"] == "aftersale" and a["shop"] == "星河服饰旗舰店"}
    assert 3 <= len(presale) <= 4 and len(aftersale) == 2
    assert {"presale", "aftersale"} <= {s["kind"] for s in truth["sessions"]}


def test_agent_texts_avoid_flagged_words(plan):
    for session in plan.sessions:
        for m in session.msgs:
            if m.role in ("agent", "auto"):
                assert not forbidden_words_in(m.text), m.text


def test_violation_bank_is_off_unless_asked(plan):
    flagged = plan_sample(seed=7, violations=True)
    assert flagged.violations and not plan.violations
    assert [(m.uid, m.at) for s in flagged.sessions for m in s.msgs] == [
        (m.uid, m.at) for s in plan.sessions for m in s.msgs]
    for v in flagged.violations:
        assert v["category"] in VIOLATION_BANK and all(w in v["text"] for w in v["words"])


# --- planted cases -------------------------------------------------------------------------------

def test_every_planted_case_is_in_truth(sample):
    _, truth = sample
    for tag in PLANTED_TAGS:
        entry = truth["cases"].get(tag, {"sessions": [], "rounds": []})
        assert entry["sessions"] or entry["rounds"], tag


def test_off_shift_and_midnight_waits(sample):
    _, truth = sample

    def one(tag, started_suffix):
        return next(r for r in rounds_tagged(truth, tag) if r["started_at"].endswith(started_suffix))

    r = one("off_shift_next_morning", "03:10:00")
    assert (r["clock_start"][11:], r["replied_at"][11:], r["wait_seconds"], r["met_target"]) == (
        "08:30:00", "08:31:10", 70, False)
    assert session_of(truth, r)["n_rounds"] == 2  # the morning question continues the night's session
    r = one("cross_midnight", "00:29:30")
    assert (r["clock_start"], r["replied_at"][11:], r["wait_seconds"]) == (r["started_at"], "08:30:40", 70)
    r = one("shift_end_boundary", "00:30:00")
    assert (r["clock_start"][11:], r["wait_seconds"], r["met_target"]) == ("08:30:00", 25, True)
    r = one("reply_after_shift_end", "00:25:00")
    assert (r["replied_at"][11:], r["wait_seconds"]) == ("00:40:00", 300)
    r = one("off_shift_met_target", "07:55:00")
    assert (r["wait_seconds"], r["met_target"]) == (20, True)
    r = one("gap_spans_off_duty", "08:45:00")
    assert r["round_no"] == 3 and session_of(truth, r)["started_at"].endswith("00:18:00")


def test_idle_gap_thresholds(sample):
    _, truth = sample
    first, second = sorted(sessions_tagged(truth, "gap_exact_threshold"), key=lambda s: s["started_at"])
    assert first["buyer"] == second["buyer"]
    assert (ts(second["started_at"]) - ts(first["ended_at"])).total_seconds() == 1800
    (r,) = rounds_tagged(truth, "gap_just_under")
    s = session_of(truth, r)
    assert r["round_no"] == 2 and r["started_at"].endswith("15:59:59") and s["ended_at"] > r["started_at"]


def test_three_lines_before_a_reply_are_one_round_timed_from_the_first(sample):
    _, truth = sample
    planted = [r for r in rounds_tagged(truth, "three_before_reply") if r["buyer"] == "tb8812_77"]
    assert [(r["n_buyer_msgs"], r["wait_seconds"], r["met_target"]) for r in planted] == [
        (3, 35, False), (3, 200, False)]


def test_equal_timestamp_is_a_zero_wait(sample):
    _, truth = sample
    (r,) = rounds_tagged(truth, "equal_timestamp")
    assert (r["replied_at"], r["wait_seconds"], r["met_target"]) == (r["started_at"], 0, True)


def test_transfers_split_attribution(sample):
    _, truth = sample
    s = next(s for s in sessions_tagged(truth, "transfer") if s["buyer"] == "tb_maomao88")
    rounds = [r for r in truth["rounds"] if (r["buyer"], r["session_started_at"]) == ("tb_maomao88", s["started_at"])]
    assert [r["agent"].split(":")[1] for r in rounds] == ["小雅", "小雅", "阿杰", "阿杰", "阿杰"]
    assert rounds[-1]["unanswered"] and s["files"] == ["chats_presale.csv", "qianniu_desktop_tb_maomao88.txt"]
    (s,) = [s for s in sessions_tagged(truth, "transfer_to_aftersale") if s["buyer"] == "coco_zhang"]
    rounds = [r for r in truth["rounds"] if (r["buyer"], r["session_started_at"]) == ("coco_zhang", s["started_at"])]
    assert [r["agent_role"] for r in rounds] == ["presale", "presale", "aftersale", "aftersale", "aftersale"]
    assert [r["target_seconds"] for r in rounds][2:] == [180, 180, 180]


def test_unanswered_rounds_go_to_the_agent_the_buyer_last_wrote_to(sample):
    _, truth = sample
    for r in rounds_tagged(truth, "unanswered_last"):
        s = session_of(truth, r)
        assert r["unanswered"] and r["round_no"] == s["n_rounds"] and r["agent"]
    (after,) = rounds_tagged(truth, "unanswered_text_inferred_after")
    assert after["buyer"] == "yunduo_mama" and after["agent"] == "云朵母婴专营店:小桃"
    (r,) = rounds_tagged(truth, "auto_reply_only")
    assert r["unanswered"] and r["agent"] == "星河服饰旗舰店:小满" and session_of(truth, r)["n_auto_msgs"] == 1


def test_after_sale_first_round_target(sample):
    _, truth = sample
    (ok,) = rounds_tagged(truth, "aftersale_first_within_target")
    (late,) = rounds_tagged(truth, "aftersale_first_missed")
    assert (ok["target_seconds"], ok["wait_seconds"], ok["met_target"]) == (300, 240, True)
    assert (late["target_seconds"], late["wait_seconds"], late["met_target"]) == (300, 330, False)


def test_identical_lines_and_overlaps(sample):
    _, truth = sample
    (s,) = sessions_tagged(truth, "identical_lines")
    assert s["n_buyer_msgs"] == 3
    overlapping = sessions_tagged(truth, "overlap_duplicate")
    assert len(overlapping) >= 2 and all(len(s["files"]) == 2 for s in overlapping)


def test_week_boundary_and_multi_session_buyer(sample):
    _, truth = sample
    weeks = [r["week"] for r in rounds_tagged(truth, "week_boundary")]
    assert weeks == ["2026-W46", "2026-W47"]
    multi = sessions_tagged(truth, "multi_session_buyer")
    assert len(multi) >= 3 and len({s["buyer"] for s in multi}) == 1
    assert {s["kind"] for s in multi} == {"presale", "aftersale"}


def test_one_week_sample_keeps_the_cases(tmp_path):
    truth = generate_sample(tmp_path, seed=3, weeks=1, end_week="2026-W47")
    assert truth["chat_qc_truth"]["weeks"] == ["2026-W47"]
    assert {r["week"] for r in truth["rounds"]} == {"2026-W47"}
    assert rounds_tagged(truth, "cross_midnight") and sessions_tagged(truth, "transfer")


# --- orders and conversion ----------------------------------------------------------------------

def test_every_planted_order_case_is_in_truth(sample):
    _, truth = sample
    tags = {t for o in truth["orders"] for t in o["cases"]}
    assert set(ORDER_TAGS) <= tags


def test_orders_are_consistent(sample):
    _, truth = sample
    for o in truth["orders"]:
        paid = o["paid_at"] is not None
        assert (Decimal(o["amount"]) > 0) == paid, o
        assert o["status"] in (("交易关闭", "等待买家付款") if not paid else
                               ("买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "交易关闭")), o
        assert Decimal(o["refund_amount"]) <= Decimal(o["amount"])
        assert sorted(o["attribution"]) == sorted(MODES)


def test_conversion_truth_adds_up(sample):
    """The agent and shop tables agree with each other and with the planned rounds."""
    _, truth = sample
    buyer_days: dict[tuple, set] = {}
    for r in truth["rounds"]:
        if r["agent_role"] == "presale" and not r["unanswered"]:
            key = (r["shop"], r["buyer"], r["replied_at"][:10])
            buyer_days.setdefault(key, set()).add(r["agent"])
    per_shop_week: dict[tuple, int] = {}
    for shop, _, date in buyer_days:
        week = "{}-W{:02d}".format(*dt.date.fromisoformat(date).isocalendar()[:2])
        per_shop_week[(week, shop)] = per_shop_week.get((week, shop), 0) + 1
    for mode in MODES:
        table = truth["conversion"][mode]
        shops = {(r["week"], r["shop"]): r for r in table["shop_week"]}
        assert {k: r["inquiries"] for k, r in shops.items() if r["inquiries"]} == per_shop_week
        assert sum(r["inquiries"] for r in table["agent_week"]) == sum(len(a) for a in buyer_days.values())
        for key, shop_row in shops.items():
            agents = [r for r in table["agent_week"] if (r["week"], r["shop"]) == key]
            assert sum(r["paying_buyers"] for r in agents) == shop_row["paying_buyers"], (mode, key)
            assert sum(Decimal(r["sales_amount"]) for r in agents) == Decimal(shop_row["sales_amount"]), (mode, key)
            silent = [o for o in truth["orders"] if o["attribution"][mode]["silent"] and o["shop"] == key[1]
                      and "{}-W{:02d}".format(*ts(o["paid_at"]).isocalendar()[:2]) == key[0]]
            assert len(silent) == shop_row["silent_orders"], (mode, key)
        converting = [o for o in truth["orders"] if o["attribution"][mode]["converts"]]
        assert sum(Decimal(o["amount"]) for o in converting) == sum(Decimal(r["sales_amount"]) for r in table["agent_week"])
        assert sum(Decimal(o["refund_amount"]) > 0 for o in converting) == sum(r["refund_orders"] for r in table["agent_week"])


def test_the_modes_disagree_only_where_planted(sample):
    _, truth = sample
    # Unpaid orders sit in a window by creation time only, so `paid` places them nowhere.
    differing = {t for o in truth["orders"] if len({str(o["attribution"][m]) for m in MODES}) > 1 for t in o["cases"]}
    # double_chased: 小雅 answered last before the creation, 小满 before the payment.
    assert differing == {"paid_day3", "paid_after_week", "ordered_before_chat", "closed_unpaid", "multi_order",
                         "reminded_closed_unpaid", "reminder_at_deadline", "double_chased"}


def test_plan_refuses_an_order_that_does_not_do_what_it_says(plan):
    replies = replies_of(plan.sessions, agent_roles(), "presale")
    check_outcomes(replies, plan.orders)
    order = next(o for o in plan.orders if "transfer_credit" in o.cases)
    right = order.expect["paid"]
    order.expect["paid"] = Outcome(right.inquiry_day, True, False, "星河服饰旗舰店:小雅")
    try:
        with pytest.raises(PlanError, match="tb_maomao88"):
            check_outcomes(replies, plan.orders)
    finally:
        order.expect["paid"] = right


# --- bulk rows -----------------------------------------------------------------------------------

def test_bulk_messages_shape():
    frame = bulk_messages(50_000, seed=3)
    assert frame.shape == (50_000, 6)
    assert frame.columns == ["shop", "buyer", "agent", "role", "sent_at", "text"]
    assert set(frame["role"].unique()) == {"buyer", "agent", "auto"}
    assert frame["sent_at"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert (frame["agent"].str.split(":").list.first() == frame["shop"]).all()
    assert frame["shop"].n_unique() > 10 and frame["buyer"].n_unique() > 1000
    assert frame.equals(bulk_messages(50_000, seed=3))
    assert bulk_messages(0).shape == (0, 6) and bulk_messages(1)["role"].to_list() == ["buyer"]
    flagged = frame.filter(frame["role"] == "agent")["text"].map_elements(
        lambda t: bool(forbidden_words_in(t)), return_dtype=bool).mean()
    assert 0.005 < flagged < 0.08
