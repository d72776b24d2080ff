"""Shift handovers (docs/metrics.md "Shift handovers"): hand-built conversations through the real warehouse
and conductor; every boundary of the shift ends (exactly 16:30, the late shift ending at 00:30 after
midnight), who left a round and who answered it, unanswered rounds, shifts = [], a per-shop override, the
agent-week and shift-week figures, and a handover across Sunday midnight loaded in two runs."""
from __future__ import annotations

import datetime as dt

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import rebuild
from qc_pipeline.store.partitions import mark_stale
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, B, SHOP, load_messages, message_frame

T = dt.datetime.fromisoformat
OTHER = "云朵家居店"
C = f"{OTHER}:小林"
ASK, REPLY = "在吗，这件有S码吗", "亲，有的哦"


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't'), (?, '阿杰', NULL, 'presale', 't')",
                [A, B])
    yield con
    con.close()


def _week(moment: dt.datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def build(con, rows, config=None, shop=SHOP):
    """Load the rows as a file would (marking the partitions they touch stale), then rebuild."""
    load_messages(con, message_frame(rows, shop=shop))
    mark_stale(con, {(shop, _week(T(r[2]))) for r in rows})
    rebuild(con, config or load_config())


def config_of(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def handovers(con, shop=SHOP) -> dict[str, dict]:
    """The handovers by buyer (at most one per buyer in these tests)."""
    cur = con.execute("SELECT * FROM handovers WHERE shop = ? ORDER BY buyer", [shop])
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row)) for row in cur.fetchall()]
    by_buyer = {r["buyer"]: r for r in rows}
    assert len(by_buyer) == len(rows)
    return by_buyer


def row(con, table, where, *params):
    cur = con.execute(f"SELECT * FROM {table} WHERE {where}", list(params))
    names = [d[0] for d in cur.description]
    found = cur.fetchall()
    assert len(found) == 1, found
    return dict(zip(names, found[0]))


def test_a_round_waiting_at_1630_is_left_by_the_early_shift_and_answered_by_a_colleague(con):
    build(con, [("b1", "buyer", "2026-11-16 16:20:00", A, ASK), ("b1", "agent", "2026-11-16 16:32:00", B, REPLY)])
    h = handovers(con)["b1"]
    assert (h["left_by"], h["shift_name"], h["shift_ended_at"]) == (A, "早班", T("2026-11-16 16:30:00"))
    assert (h["next_shift"], h["next_shift_started_at"]) == ("晚班", T("2026-11-16 16:30:00"))
    assert (h["answered_at"], h["answered_by"], h["wait_after_shift_start_s"], h["status"]) == (
        T("2026-11-16 16:32:00"), B, 120.0, "answered")
    assert (h["round_no"], h["started_at"], h["week"]) == (1, T("2026-11-16 16:20:00"), "2026-W47")
    # The round itself is B's (the replier's), timed as always.
    assert con.execute("SELECT agent, wait_seconds FROM rounds WHERE buyer = 'b1'").fetchall() == [(B, 720.0)]


def test_exactly_at_1630(con):
    build(con, [
        # Started in the very second the early shift ends: the late shift's own round, not a handover.
        ("b_start", "buyer", "2026-11-16 16:30:00", A, ASK), ("b_start", "agent", "2026-11-16 16:31:00", B, REPLY),
        # Answered in that second: too late for the early shift (half-open), answered 0 s after the start.
        ("b_reply", "buyer", "2026-11-16 16:29:00", A, ASK), ("b_reply", "agent", "2026-11-16 16:30:00", A, REPLY),
        # Answered a second before: not left.
        ("b_before", "buyer", "2026-11-16 16:29:00", A, ASK), ("b_before", "agent", "2026-11-16 16:29:59", A, REPLY),
    ])
    got = handovers(con)
    assert set(got) == {"b_reply"}
    assert (got["b_reply"]["answered_by"], got["b_reply"]["wait_after_shift_start_s"]) == (A, 0.0)
    shifts = {r[0]: r[1:] for r in con.execute(
        "SELECT shift, rounds, handovers_left, handovers_received FROM shift_week").fetchall()}
    assert shifts == {"早班": (2, 1, 0), "晚班": (1, 0, 1)}


def test_the_late_shift_ends_at_0030_after_midnight_and_the_morning_shift_answers(con):
    build(con, [
        # Open at 00:30, answered at 08:31 (10 + 1 on-duty minutes: one session).
        ("b_night", "buyer", "2026-11-17 00:20:00", A, ASK), ("b_night", "agent", "2026-11-17 08:31:00", B, REPLY),
        # Midnight is not a shift end: answered at 00:10, nothing is left.
        ("b_midnight", "buyer", "2026-11-16 23:50:00", A, ASK),
        ("b_midnight", "agent", "2026-11-17 00:10:00", A, REPLY),
        # Answered off duty, before the next shift: left, and answered 0 s after the shift's start.
        ("b_off", "buyer", "2026-11-18 00:25:00", A, ASK), ("b_off", "agent", "2026-11-18 03:00:00", A, REPLY),
    ])
    got = handovers(con)
    assert set(got) == {"b_night", "b_off"}
    night = got["b_night"]
    assert (night["left_by"], night["shift_name"], night["shift_ended_at"]) == (A, "晚班", T("2026-11-17 00:30:00"))
    assert (night["next_shift"], night["next_shift_started_at"]) == ("早班", T("2026-11-17 08:30:00"))
    assert (night["answered_by"], night["wait_after_shift_start_s"], night["status"]) == (B, 60.0, "answered")
    assert con.execute("SELECT wait_seconds FROM rounds WHERE buyer = 'b_night'").fetchone() == (660.0,)
    off = got["b_off"]
    assert (off["shift_ended_at"], off["next_shift_started_at"], off["wait_after_shift_start_s"]) == (
        T("2026-11-18 00:30:00"), T("2026-11-18 08:30:00"), 0.0)


def test_unanswered_rounds_are_handed_over_while_their_session_lasts(con):
    build(con, [
        ("b_wait", "buyer", "2026-11-16 16:20:00", A, ASK),         # session still open at 16:30
        ("b_gone", "buyer", "2026-11-16 10:00:00", A, ASK),         # session over at 10:30
        ("b_edge", "buyer", "2026-11-16 16:00:00", A, ASK),         # over at exactly 16:30 (30 min idle)
        ("b_in", "buyer", "2026-11-16 16:00:01", A, ASK),           # over at 16:30:01
        ("b_auto", "buyer", "2026-11-16 15:50:00", A, ASK),         # an auto-reply keeps the session going
        ("b_auto", "auto", "2026-11-16 16:10:00", A, "您好，客服马上就来"),
    ])
    got = handovers(con)
    assert set(got) == {"b_wait", "b_in", "b_auto"}
    wait = got["b_wait"]
    assert (wait["status"], wait["left_by"], wait["answered_at"], wait["answered_by"],
            wait["wait_after_shift_start_s"]) == ("unanswered", A, None, None, None)
    assert row(con, "agent_week", "agent = ?", A)["handovers_left"] == 3
    late = row(con, "shift_week", "shift = '晚班'")
    assert (late["handovers_received"], late["handovers_answered"], late["handover_answer_median_s"]) == (3, 0, None)


def test_left_by_is_the_agent_the_buyer_was_last_talking_to(con):
    build(con, [
        # The buyer's second message names no agent: the agent who answered before it left the round.
        ("b1", "buyer", "2026-11-16 16:00:00", A, ASK), ("b1", "agent", "2026-11-16 16:01:00", A, REPLY),
        ("b1", "buyer", "2026-11-16 16:25:00", None, "那M码呢"), ("b1", "agent", "2026-11-16 16:40:00", B, REPLY),
        # Transferred to B before the shift end: B left it.
        ("b2", "buyer", "2026-11-16 16:20:00", A, ASK), ("b2", "buyer", "2026-11-16 16:25:00", B, "转人工"),
        ("b2", "agent", "2026-11-16 16:33:00", B, REPLY),
    ])
    got = handovers(con)
    assert (got["b1"]["round_no"], got["b1"]["left_by"], got["b1"]["answered_by"]) == (2, A, B)
    assert (got["b2"]["left_by"], got["b2"]["answered_by"], got["b2"]["wait_after_shift_start_s"]) == (B, B, 180.0)


def test_agent_week_and_shift_week_figures(con):
    build(con, [
        ("h1", "buyer", "2026-11-16 16:20:00", A, ASK), ("h1", "agent", "2026-11-16 16:31:00", B, REPLY),  # 60 s
        ("h2", "buyer", "2026-11-16 16:25:00", A, ASK), ("h2", "agent", "2026-11-16 16:35:00", B, REPLY),  # 300 s
        ("h3", "buyer", "2026-11-16 16:28:00", A, ASK), ("h3", "agent", "2026-11-16 16:30:30", A, REPLY),  # 30 s
        ("h4", "buyer", "2026-11-17 00:25:00", B, ASK),                                                     # unanswered
        ("r1", "buyer", "2026-11-16 10:00:00", A, ASK), ("r1", "agent", "2026-11-16 10:00:20", A, REPLY),
        ("r1", "buyer", "2026-11-16 10:01:00", A, "还有别的颜色吗"),
        ("r1", "agent", "2026-11-16 10:02:00", A, "有白色和黑色"),
        ("r2", "buyer", "2026-11-16 03:10:00", A, ASK), ("r2", "agent", "2026-11-16 08:31:10", A, REPLY),   # 70 s
        ("r3", "buyer", "2026-11-16 18:00:00", B, ASK), ("r3", "agent", "2026-11-16 18:00:10", B, REPLY),
    ])
    a, b = row(con, "agent_week", "agent = ?", A), row(con, "agent_week", "agent = ?", B)
    assert (a["handovers_left"], a["handovers_answered"], a["handover_answer_median_s"]) == (3, 1, 30.0)
    assert (b["handovers_left"], b["handovers_answered"], b["handover_answer_median_s"]) == (1, 2, 180.0)
    early, late = row(con, "shift_week", "shift = '早班'"), row(con, "shift_week", "shift = '晚班'")
    # 早班: h1 660 s, h2 600 s, h3 150 s, r1 20 s then 60 s, r2 70 s (clock from 08:30); 晚班: h4, r3 10 s.
    assert (early["week"], early["shop"], early["rounds"], early["first_rounds"], early["sessions"]) == (
        "2026-W47", SHOP, 6, 5, 5)
    assert (early["first_median_s"], early["follow_median_s"], early["first_within_target_pct"]) == (
        150.0, 60.0, 20.0)
    assert early["first_p90_s"] == pytest.approx(600 + 0.6 * 60)
    assert (early["handovers_left"], early["handovers_received"], early["handovers_answered"],
            early["handover_answer_median_s"]) == (3, 1, 0, None)
    assert (late["rounds"], late["first_rounds"], late["unanswered_rounds"], late["first_median_s"]) == (2, 2, 1, 10.0)
    assert (late["handovers_left"], late["handovers_received"], late["handovers_answered"],
            late["handover_answer_median_s"]) == (1, 3, 3, 60.0)


def test_no_shifts_means_no_handovers(con, tmp_path):
    config = config_of(tmp_path, "shifts = []\n")
    build(con, [("b1", "buyer", "2026-11-16 16:20:00", A, ASK), ("b1", "agent", "2026-11-17 08:31:00", B, REPLY),
                ("b2", "buyer", "2026-11-17 00:20:00", A, ASK)], config=config)
    assert con.execute("SELECT count(*) FROM handovers").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM shift_week").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM rounds").fetchone() == (2,)
    assert row(con, "agent_week", "agent = ?", A)["handovers_left"] == 0


def test_a_shops_own_shifts(con, tmp_path):
    config = config_of(tmp_path, f'[[shops."{OTHER}".shifts]]\nname = "全天班"\nstart = "09:00"\nend = "21:00"\n')
    rows = [("c1", "buyer", "2026-11-16 20:50:00", None, ASK), ("c1", "agent", "2026-11-17 09:05:00", None, REPLY)]
    build(con, [(buyer, role, at, C, text) for buyer, role, at, _, text in rows], config=config, shop=OTHER)
    build(con, [(buyer, role, at, A, text) for buyer, role, at, _, text in rows], config=config)
    h = handovers(con, OTHER)["c1"]
    assert (h["left_by"], h["shift_name"], h["shift_ended_at"]) == (C, "全天班", T("2026-11-16 21:00:00"))
    assert (h["next_shift"], h["next_shift_started_at"], h["answered_by"], h["wait_after_shift_start_s"]) == (
        "全天班", T("2026-11-17 09:00:00"), C, 300.0)
    # With the shipped shifts the same times are two sessions: an unanswered round over long before 00:30.
    assert handovers(con) == {}
    assert row(con, "shift_week", "shop = ?", OTHER)["handovers_received"] == 1


def test_a_handover_across_sunday_midnight_answered_in_a_later_run(con, tmp_path):
    """Sunday 23:50 (2026-W47), again at 00:15 (W48), open at 00:30 Monday; the reply at 08:31 comes in a
    later run that touches only W48: the W47 row must come out as loading everything at once gives it."""
    first = [("b1", "buyer", "2026-11-22 23:50:00", A, ASK), ("b1", "buyer", "2026-11-23 00:15:00", A, "在吗")]
    build(con, first)
    h = handovers(con)["b1"]
    assert (h["week"], h["status"], h["shift_ended_at"]) == ("2026-W47", "unanswered", T("2026-11-23 00:30:00"))
    reply = [("b1", "agent", "2026-11-23 08:31:00", B, REPLY)]
    build(con, reply)
    h = handovers(con)["b1"]
    assert (h["week"], h["status"], h["left_by"], h["answered_by"], h["wait_after_shift_start_s"]) == (
        "2026-W47", "answered", A, B, 60.0)
    assert row(con, "agent_week", "agent = ? AND week = '2026-W47'", B)["handovers_answered"] == 1
    once = open_warehouse(tmp_path / "once.duckdb")
    try:
        build(once, [*first, *reply])
        for sql in ("SELECT * FROM handovers ORDER BY ALL", "SELECT * FROM shift_week ORDER BY ALL",
                    "SELECT * EXCLUDE (agent_name, agent_role) FROM agent_week ORDER BY ALL"):
            assert con.sql(sql).fetchall() == once.sql(sql).fetchall()
    finally:
        once.close()


# --- the sample, recomputed in plain Python ----------------------------------------------------------------

def _on_duty_seconds(a: dt.datetime, b: dt.datetime) -> float:
    """Seconds of [a, b) outside 00:30-08:30 (the shipped shifts' off-duty hours)."""
    total, day = 0.0, dt.datetime.combine(a.date() - dt.timedelta(days=1), dt.time())
    while day < b:
        for lo, hi in ((day, day + dt.timedelta(minutes=30)), (day + dt.timedelta(hours=8, minutes=30),
                                                               day + dt.timedelta(days=1))):
            total += max(0.0, (min(hi, b) - max(lo, a)).total_seconds())
        day += dt.timedelta(days=1)
    return total


def _expected_handovers(con) -> list[tuple]:
    sessions = {s: (start, end, primary) for s, start, end, primary in con.execute(
        "SELECT session_id, started_at, ended_at, primary_agent FROM sessions").fetchall()}
    named: dict[tuple, list] = {}
    for shop, buyer, at, agent in con.execute(
            "SELECT shop, buyer, sent_at, agent FROM messages WHERE role IN ('buyer', 'agent') AND agent IS NOT NULL"
    ).fetchall():
        named.setdefault((shop, buyer), []).append((at, agent))
    out = []
    for session_id, shop, buyer, round_no, started, replied, agent in con.execute(
            "SELECT session_id, shop, buyer, round_no, started_at, replied_at, agent FROM rounds").fetchall():
        midnight = dt.datetime.combine(started.date(), dt.time())
        ends = sorted(midnight + dt.timedelta(days=d, hours=h, minutes=30) for d in (0, 1) for h in (0, 16))
        end = next(e for e in ends if e > started)
        s_start, s_end, primary = sessions[session_id]
        if replied is not None and replied < end:
            continue
        if replied is None and _on_duty_seconds(s_end, end) >= 1800:
            continue
        late_end = end.hour == 16
        next_start = end if late_end else end.replace(hour=8, minute=30)
        before = [a for at, a in sorted(named.get((shop, buyer), []), key=lambda x: x[0]) if s_start <= at < end]
        left_by = before[-1] if before else primary
        wait = None if replied is None else (_on_duty_seconds(next_start, replied) if replied > next_start else 0.0)
        out.append((session_id, round_no, left_by, "早班" if late_end else "晚班", end, "晚班" if late_end else "早班",
                    next_start, replied, agent if replied else None, wait,
                    "answered" if replied else "unanswered"))
    return sorted(out)


def test_the_sample_handovers_equal_a_plain_python_recount(tmp_path):
    from pathlib import Path

    from qc_pipeline.pipeline import ingest_paths

    con = open_warehouse(tmp_path / "qc.duckdb")
    try:
        config = load_config()
        ingest_paths(con, [Path(__file__).resolve().parents[1] / "sample_logs"], config)
        rebuild(con, config)
        got = con.execute(
            "SELECT session_id, round_no, left_by, shift_name, shift_ended_at, next_shift, next_shift_started_at, "
            "answered_at, answered_by, wait_after_shift_start_s, status FROM handovers ORDER BY ALL").fetchall()
        want = _expected_handovers(con)
        assert got == want and len(want) >= 3
        received = dict(con.execute("SELECT shift, sum(handovers_received) FROM shift_week GROUP BY shift").fetchall())
        assert received == {"早班": sum(r[5] == "早班" for r in want), "晚班": sum(r[5] == "晚班" for r in want)}
    finally:
        con.close()
