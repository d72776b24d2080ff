"""Each definition in docs/metrics.md on a small hand-built table, through the real warehouse."""
from __future__ import annotations

import datetime as dt

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import rebuild
from qc_pipeline.store.warehouse import open_warehouse, scalar
from tests.builders import A, B, load_messages, message_frame


@pytest.fixture
def warehouse(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    yield con
    con.close()


def run(con, rows, config=None, roster=()):
    load_messages(con, message_frame(rows))
    for agent, role in roster:
        con.execute("INSERT INTO agents VALUES (?, NULL, NULL, ?, 'test')", [agent, role])
    rebuild(con, config or load_config())
    return con.sql(
        "SELECT buyer, round_no, is_first, agent, started_at, clock_start, replied_at, wait_seconds, "
        "target_seconds, met_target, unanswered FROM rounds ORDER BY buyer, started_at"
    ).fetchall()


def ts(text):
    return dt.datetime.fromisoformat(text)


def test_auto_reply_is_not_an_answer(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 09:00:00", A, "在吗"),
        ("b1", "auto", "2026-11-16 09:00:01", A, "[自动回复]您好，客服马上来"),
        ("b1", "agent", "2026-11-16 09:00:45", A, "亲，在的"),
    ])
    assert len(rounds) == 1
    assert rounds[0][6] == ts("2026-11-16 09:00:45")
    assert rounds[0][7] == 45.0
    assert rounds[0][9] is False  # 45 s misses the 30 s first-reply target


def test_off_shift_message_is_timed_from_next_shift(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 03:10:00", None, "还在吗"),
        ("b1", "agent", "2026-11-16 08:31:10", A, "早上好亲"),
    ])
    (_, _, _, agent, started, clock_start, _, wait, _, met, _), = rounds
    assert (agent, started, clock_start, wait, met) == (
        A, ts("2026-11-16 03:10:00"), ts("2026-11-16 08:30:00"), 70.0, False)
    # one session despite five wall-clock hours: off-duty time is not idle time
    assert scalar(warehouse, "SELECT count(*) FROM sessions") == 1


def test_shift_crossing_midnight(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 00:29:30", A, "发货了吗"),
        ("b1", "agent", "2026-11-16 08:30:40", A, "亲，今天安排"),
        ("b2", "buyer", "2026-11-16 00:10:00", A, "晚上好"),
        ("b2", "agent", "2026-11-16 00:10:20", A, "在的亲"),
    ])
    assert rounds[0][7] == 70.0 and rounds[0][5] == ts("2026-11-16 00:29:30")
    assert rounds[1][7] == 20.0 and rounds[1][9] is True


def test_half_open_shift_end_is_off_duty(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 00:30:00", A, "有人吗"),
        ("b1", "agent", "2026-11-16 08:30:05", A, "在的"),
    ])
    assert rounds[0][5] == ts("2026-11-16 08:30:00") and rounds[0][7] == 5.0


def test_transfer_splits_rounds_between_agents(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "想退货"),
        ("b1", "agent", "2026-11-16 10:00:10", A, "帮您转售后同事"),
        ("b1", "buyer", "2026-11-16 10:01:00", B, "好的"),
        ("b1", "agent", "2026-11-16 10:03:30", B, "您好，我来处理"),
        ("b1", "buyer", "2026-11-16 10:05:00", B, "谢谢"),
    ])
    assert [(r[1], r[3], r[7], r[10]) for r in rounds] == [
        (1, A, 10.0, False), (2, B, 150.0, False), (3, B, None, True)]


def test_three_buyer_messages_make_one_round_timed_from_the_first(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "buyer", "2026-11-16 10:00:05", A, "有M码吗"),
        ("b1", "buyer", "2026-11-16 10:00:20", A, "急"),
        ("b1", "agent", "2026-11-16 10:00:40", A, "有的亲"),
    ])
    assert len(rounds) == 1 and rounds[0][7] == 40.0


def test_unanswered_last_round(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "agent", "2026-11-16 10:00:10", A, "在的"),
        ("b1", "buyer", "2026-11-16 10:01:00", A, "能便宜点吗"),
    ])
    last = rounds[-1]
    assert last[3] == A and last[6] is None and last[7] is None and last[9] is False and last[10] is True


def test_equal_timestamps_put_the_buyer_first(warehouse):
    rounds = run(warehouse, [
        ("b1", "agent", "2026-11-16 10:00:00", A, "亲，在的"),
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
    ])
    assert len(rounds) == 1 and rounds[0][7] == 0.0 and rounds[0][9] is True


def test_out_of_order_rows_are_sorted_by_time(warehouse):
    rounds = run(warehouse, [
        ("b1", "agent", "2026-11-16 10:02:00", A, "好的"),
        ("b1", "buyer", "2026-11-16 10:01:00", A, "M码"),
        ("b1", "agent", "2026-11-16 10:00:20", A, "在的"),
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
    ])
    assert [(r[1], r[7]) for r in rounds] == [(1, 20.0), (2, 60.0)]


def test_idle_gap_exactly_at_threshold_starts_a_new_session(warehouse):
    run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "agent", "2026-11-16 10:00:10", A, "在的"),
        ("b1", "buyer", "2026-11-16 10:30:10", A, "还有一个问题"),  # exactly 30 min later
        ("b1", "agent", "2026-11-16 10:30:20", A, "您说"),
        ("b2", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b2", "agent", "2026-11-16 10:00:10", A, "在的"),
        ("b2", "buyer", "2026-11-16 10:30:09", A, "还有一个问题"),  # 1 s short of 30 min
        ("b2", "agent", "2026-11-16 10:30:20", A, "您说"),
    ])
    sessions = warehouse.sql("SELECT buyer, count(*) FROM sessions GROUP BY buyer ORDER BY buyer").fetchall()
    assert sessions == [("b1", 2), ("b2", 1)]
    firsts = warehouse.sql("SELECT buyer, count(*) FILTER (WHERE is_first) FROM rounds GROUP BY buyer ORDER BY buyer").fetchall()
    assert firsts == [("b1", 2), ("b2", 1)]


def test_no_shifts_means_always_on_duty(warehouse, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("shifts = []\n", encoding="utf-8")
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 03:10:00", A, "在吗"),
        ("b1", "agent", "2026-11-16 03:10:25", A, "在的"),
    ], config=load_config(cfg))
    assert rounds[0][5] == ts("2026-11-16 03:10:00") and rounds[0][7] == 25.0


def test_aftersale_first_round_has_its_own_target(warehouse):
    rounds = run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", B, "衣服破了"),
        ("b1", "agent", "2026-11-16 10:04:00", B, "非常抱歉"),
        ("b1", "buyer", "2026-11-16 10:05:00", B, "怎么办"),
        ("b1", "agent", "2026-11-16 10:09:00", B, "给您退款"),
    ], roster=[(B, "aftersale")])
    assert [(r[8], r[9]) for r in rounds] == [(300, True), (180, False)]


def test_session_table_primary_agent_and_counts(warehouse):
    run(warehouse, [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "auto", "2026-11-16 10:00:01", A, "[自动回复]稍等"),
        ("b1", "agent", "2026-11-16 10:00:10", A, "在的"),
        ("b1", "buyer", "2026-11-16 10:01:00", B, "退货"),
        ("b1", "agent", "2026-11-16 10:01:10", B, "好的"),
        ("b1", "agent", "2026-11-16 10:01:20", B, "地址发您"),
    ])
    (row,) = warehouse.execute(
        "SELECT started_at, ended_at, primary_agent, agents, n_buyer_msgs, n_agent_msgs FROM sessions"
    ).fetchall()
    assert row == (ts("2026-11-16 10:00:00"), ts("2026-11-16 10:01:20"), B, [A, B], 2, 3)


def test_agent_week_figures(warehouse):
    # four sessions for A: first waits 10, 20, 40 s and one unanswered; follow-ups 100 and 700 s
    rows = []
    for i, wait in enumerate([10, 20, 40]):
        start = dt.datetime(2026, 11, 16, 10 + i, 0, 0)
        rows += [(f"b{i}", "buyer", start.isoformat(sep=" "), A, "在吗"),
                 (f"b{i}", "agent", (start + dt.timedelta(seconds=wait)).isoformat(sep=" "), A, "在的")]
    rows += [("b0", "buyer", "2026-11-16 10:01:00", A, "还有吗"), ("b0", "agent", "2026-11-16 10:02:40", A, "有")]
    rows += [("b1", "buyer", "2026-11-16 11:01:00", A, "还有吗"), ("b1", "agent", "2026-11-16 11:12:40", A, "有")]
    rows += [("b9", "buyer", "2026-11-17 10:00:00", A, "在吗")]
    run(warehouse, rows)
    got = warehouse.sql(
        "SELECT week, sessions, rounds, first_rounds, first_median_s, first_p90_s, first_within_target_pct, "
        "follow_median_s, follow_p90_s, follow_within_target_pct, unanswered_rounds, avg_wait_capped_s "
        "FROM agent_week"
    ).fetchall()
    # first: answered 10, 20, 40 -> median 20, p90 = 20 + 0.8*(40-20) = 36; met 2 of 4 first rounds
    # follow: 100, 700 -> median 400, p90 = 100 + 0.9*600 = 640; met 1 of 2
    # capped mean: (10 + 20 + 40 + 600 + 100 + 600) / 6
    assert got == [("2026-W47", 4, 6, 4, 20.0, 36.0, 50.0, 400.0, 640.0, 50.0, 1,
                    pytest.approx((10 + 20 + 40 + 600 + 100 + 600) / 6))]


def test_round_week_is_iso_week_of_its_first_message(warehouse):
    run(warehouse, [
        ("b1", "buyer", "2026-11-22 23:59:50", A, "在吗"),  # Sunday of W47
        ("b1", "agent", "2026-11-23 00:00:20", A, "在的"),  # Monday of W48
    ])
    assert warehouse.sql("SELECT week FROM rounds").fetchall() == [("2026-W47",)]
