"""The seller-tool KPIs (docs/metrics.md "Seller-tool KPIs") on hand-built conversations, through the
real warehouse and conductor; every boundary on both sides."""
from __future__ import annotations

import datetime as dt

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.pipeline import rebuild
from qc_pipeline.sessions.casefacts import parse_topics, refund_topics
from qc_pipeline.store.partitions import mark_stale
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, B, SHOP, load_messages, message_frame

S = f"{SHOP}:小周"  # after-sale


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't'), (?, '阿杰', NULL, 'presale', 't'), "
                "(?, '小周', NULL, 'aftersale', 't')", [A, B, S])
    yield con
    con.close()


def add_orders(con, *rows):
    """rows: (order_id, buyer, created_at, paid_at or None, amount, refund, items or None)."""
    for oid, buyer, created, paid, amount, refund, items in rows:
        con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, 't', ?, NULL)",
                    [oid, SHOP, buyer, dt.datetime.fromisoformat(created),
                     dt.datetime.fromisoformat(paid) if paid else None, amount, refund,
                     "交易成功" if paid else "等待买家付款", items])


def week_row(con, rows, agent, week="2026-W47", orders=()):
    load_messages(con, message_frame(rows))
    add_orders(con, *orders)
    rebuild(con, load_config())
    cur = con.execute("SELECT * FROM agent_week WHERE agent = ? AND week = ?", [agent, week])
    names = [d[0] for d in cur.description]
    found = cur.fetchall()
    assert len(found) == 1, found
    return dict(zip(names, found[0]))


def test_consulted_received_reply_rate_and_answer_ratio(con):
    rows = [
        # b1: answered twice; two buyer messages, then three agent messages in two rounds.
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "buyer", "2026-11-16 10:00:05", A, "这件有货吗"),
        ("b1", "agent", "2026-11-16 10:00:20", A, "在的亲"),
        ("b1", "agent", "2026-11-16 10:00:25", A, "有货的"),
        ("b1", "buyer", "2026-11-16 10:01:00", A, "好的"),
        ("b1", "agent", "2026-11-16 10:01:30", A, "感谢支持"),
        # b2: wrote to A, never answered (an auto-reply is no answer).
        ("b2", "buyer", "2026-11-16 11:00:00", A, "你好"),
        ("b2", "auto", "2026-11-16 11:00:01", A, "您好，客服稍后回复"),
    ]
    got = week_row(con, rows, A)
    assert (got["consulted_buyers"], got["received_buyers"]) == (2, 1)
    assert got["reply_rate_pct"] == 50.0
    assert (got["buyer_msgs"], got["agent_msgs"]) == (4, 3)
    assert got["answer_ratio"] == 0.75


def test_average_response_is_the_mean_of_answered_waits_capped(con):
    rows = [
        ("b1", "buyer", "2026-11-16 10:00:00", A, "在吗"),
        ("b1", "agent", "2026-11-16 10:00:20", A, "在的"),           # 20 s
        ("b2", "buyer", "2026-11-16 11:00:00", A, "在吗"),
        ("b2", "agent", "2026-11-16 11:15:00", A, "在的"),           # 900 s, capped at 600
        ("b3", "buyer", "2026-11-16 12:00:00", A, "在吗"),           # unanswered: not in the mean
    ]
    got = week_row(con, rows, A)
    assert got["avg_response_s"] == pytest.approx((20 + 600) / 2)
    # avg_wait_capped_s keeps its meaning: unanswered rounds count as the cap.
    assert got["avg_wait_capped_s"] == pytest.approx((20 + 600 + 600) / 3)


def _inquiry(buyer, at="2026-11-16 10:00:00", reply="2026-11-16 10:00:20", agent=A):
    return [(buyer, "buyer", at, agent, "这件有货吗"), (buyer, "agent", reply, agent, "有货的亲")]


@pytest.mark.parametrize("paid_at, next_day", [
    ("2026-11-17 23:59:59", True),    # the end of the next day still counts
    ("2026-11-18 00:00:00", False),   # the day after that does not
])
def test_next_day_payment_boundary(con, paid_at, next_day):
    got = week_row(con, _inquiry("b1"), A, orders=[("o1", "b1", "2026-11-16 10:05:00", paid_at, "99.00", "0", 1)])
    assert got["inquiries"] == 1
    assert got["final_paid_buyers"] == 1 and got["final_paid_pct"] == 100.0
    assert got["next_day_paid_buyers"] == (1 if next_day else 0)
    assert got["next_day_paid_pct"] == (100.0 if next_day else 0.0)


@pytest.mark.parametrize("paid_at, final", [
    ("2026-11-22 23:59:59", True),    # paid by the end of the inquiry's ISO week
    ("2026-11-23 00:00:00", False),   # Monday after: not within the week
])
def test_final_payment_is_by_the_end_of_the_week(con, paid_at, final):
    rows = _inquiry("b1", "2026-11-21 10:00:00", "2026-11-21 10:00:20")
    got = week_row(con, rows, A, orders=[("o1", "b1", "2026-11-21 10:05:00", paid_at, "99.00", "0", 1)])
    assert got["final_paid_buyers"] == (1 if final else 0)


def test_refund_rate_and_items_per_buyer(con):
    rows = _inquiry("b1") + _inquiry("b2", "2026-11-16 11:00:00", "2026-11-16 11:00:20")
    got = week_row(con, rows, A, orders=[
        ("o1", "b1", "2026-11-16 10:05:00", "2026-11-16 10:06:00", "99.00", "99.00", 2),
        ("o2", "b1", "2026-11-16 10:07:00", "2026-11-16 10:08:00", "59.00", "0", 1),
        ("o3", "b2", "2026-11-16 11:05:00", "2026-11-16 11:06:00", "59.00", "0", 3),
        ("o4", "b2", "2026-11-16 11:07:00", None, "0", "0", 5),   # never paid: not sold
    ])
    assert got["paying_buyers"] == 2 and got["paid_orders"] == 3
    assert got["refund_rate_pct"] == pytest.approx(100 / 3)
    assert got["items_sold"] == 6 and got["items_per_buyer"] == 3.0


def test_items_per_buyer_is_unknown_without_item_counts(con):
    got = week_row(con, _inquiry("b1"), A,
                   orders=[("o1", "b1", "2026-11-16 10:05:00", "2026-11-16 10:06:00", "99.00", "0", None)])
    assert got["paying_buyers"] == 1
    assert got["items_sold"] is None and got["items_per_buyer"] is None


def _case(buyer, start, reply, end, text="我申请的退款怎么还没处理"):
    return [(buyer, "buyer", start, S, text), (buyer, "agent", reply, S, "马上帮您处理"),
            (buyer, "agent", end, S, "已经处理好了")]


@pytest.mark.parametrize("wait, within", [(300, True), (301, False)])
def test_aftersale_five_minute_first_reply_boundary(con, wait, within):
    start = dt.datetime(2026, 11, 16, 10, 0, 0)
    reply = (start + dt.timedelta(seconds=wait)).isoformat(sep=" ")
    rows = _case("c1", start.isoformat(sep=" "), reply, "2026-11-16 10:10:00") + [
        ("c2", "buyer", "2026-11-16 11:00:00", S, "在吗"),    # unanswered first round: not within
    ]
    got = week_row(con, rows, S)
    assert got["aftersale_first_rounds"] == 2
    assert got["aftersale_first_5min_pct"] == (50.0 if within else 0.0)
    assert got["aftersale_sessions"] == 2


@pytest.mark.parametrize("gap, reopened", [
    (dt.timedelta(hours=48), True),                           # exactly 48 h after the case ended
    (dt.timedelta(hours=48, seconds=1), False),
])
def test_reopened_within_48_hours_boundary(con, gap, reopened):
    end = dt.datetime(2026, 11, 16, 10, 10, 0)
    again = (end + gap).isoformat(sep=" ")
    rows = _case("c1", "2026-11-16 10:00:00", "2026-11-16 10:01:00", end.isoformat(sep=" ")) + [
        ("c1", "buyer", again, S, "东西还是有问题"), ("c1", "agent", again[:-2] + "30", S, "抱歉，我看一下"),
    ]
    got = week_row(con, rows, S)
    assert got["aftersale_sessions"] == 2
    assert got["reopened_cases"] == (1 if reopened else 0)


def test_reopen_across_the_week_edge_is_seen_when_the_next_week_arrives_later(con):
    # The case ends Sunday evening; the buyer comes back Monday, loaded in a later run.
    load_messages(con, message_frame(_case("c1", "2026-11-22 20:00:00", "2026-11-22 20:01:00", "2026-11-22 20:10:00")))
    rebuild(con, load_config())
    assert con.execute("SELECT reopened_cases FROM agent_week WHERE agent = ? AND week = '2026-W47'",
                       [S]).fetchall() == [(0,)]
    load_messages(con, message_frame([("c1", "buyer", "2026-11-23 09:00:00", S, "还是不行"),
                                      ("c1", "agent", "2026-11-23 09:00:30", S, "我看一下")]))
    mark_stale(con, {(SHOP, "2026-W48")})  # what ingest does for the new week's messages
    report = rebuild(con, load_config())
    assert report.partitions == 1  # only the new week is a full target; the case's week is re-read around c1
    assert con.execute("SELECT reopened_cases FROM agent_week WHERE agent = ? AND week = '2026-W47'",
                       [S]).fetchall() == [(1,)]


def test_refund_topic_sessions_follow_the_lexicon(con):
    rows = (_case("c1", "2026-11-16 10:00:00", "2026-11-16 10:01:00", "2026-11-16 10:02:00", "吊牌剪了还能退吗")
            + _case("c2", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "2026-11-16 11:02:00", "快递到哪了"))
    got = week_row(con, rows, S)
    assert (got["aftersale_sessions"], got["refund_topic_sessions"]) == (2, 1)


def test_presale_agents_have_no_aftersale_figures(con):
    got = week_row(con, _inquiry("b1"), A)
    assert got["aftersale_sessions"] is None and got["reopened_cases"] is None


def test_shipped_refund_lexicon_is_complete_data():
    topics = refund_topics()
    assert topics and all(t.id and t.severity and t.explanation and t.source for t in topics)


@pytest.mark.parametrize("text, message", [
    ('[[topic]]\nid = "x"\npattern = "退("\nseverity = "info"\nexplanation = "e"\nsource = "s"\n', "bad regular expression"),
    ('[[topic]]\nid = "x"\npattern = "退"\nseverity = "info"\nexplanation = "e"\n', "'source' must be"),
    ('[[topic]]\nid = "x"\npattern = "退"\nseverity = "info"\nexplanation = "e"\nsource = "s"\nweight = 2\n',
     "unknown key 'weight'"),
    ("", "at least one"),
])
def test_bad_lexicon_entries_are_one_line_errors(text, message):
    with pytest.raises(UserError, match=message):
        parse_topics(text, "refund_topic.toml")


def test_kpi_settings_are_validated(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[kpis]\nreopen_hours = 0\n", encoding="utf-8")
    with pytest.raises(UserError, match="kpis.reopen_hours must be a positive number"):
        load_config(path)
