"""Auto-reply hygiene (自动回复限时活动结束后要第一时间更换掉): stale_auto_replies on hand-built chats through the
real warehouse and rebuild, every boundary, the lexicon's validation, and the week pack's listing."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.pipeline import rebuild
from qc_pipeline.reports import write_reports
from qc_pipeline.standard.auto_replies import auto_reply_dates, parse_auto_reply_dates, stale_verdict
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, SHOP, load_messages, message_frame

PROMO = "双11狂欢，全场五折！客服小雅稍后为您服务"
UNTIL = "活动截止11月20日，满299减30，咨询请拨13812345678"
GREETING = "b0亲，双11活动已开始"  # a canned text that greets the buyer by nick


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    yield con
    con.close()


def stale(con):
    return con.execute("SELECT buyer, sent_at, lexicon_id, announced_end, week FROM stale_auto_replies "
                       "ORDER BY sent_at").fetchall()


def test_an_event_reply_is_stale_from_the_day_after_the_event(con):
    rows = []
    for buyer, day in (("b1", "2026-11-11 23:59:59"), ("b2", "2026-11-12 00:00:00"), ("b3", "2026-11-25 10:00:00")):
        rows += [(buyer, "buyer", day, A, "在吗"), (buyer, "auto", day, A, PROMO)]
    load_messages(con, message_frame(rows))
    rebuild(con, load_config())
    assert stale(con) == [
        ("b2", dt.datetime(2026, 11, 12), "event.double11", dt.date(2026, 11, 11), "2026-W46"),
        ("b3", dt.datetime(2026, 11, 25, 10), "event.double11", dt.date(2026, 11, 11), "2026-W48"),
    ]


def test_a_closing_date_in_the_text_and_human_replies_are_not_auto_replies(con):
    rows = [
        ("b1", "buyer", "2026-11-20 10:00:00", A, "在吗"), ("b1", "auto", "2026-11-20 10:00:01", A, UNTIL),
        ("b2", "buyer", "2026-11-21 10:00:00", A, "在吗"), ("b2", "auto", "2026-11-21 10:00:01", A, UNTIL),
        # an agent typing the same words is not the shop's stale setting (the rules judge agents' words)
        ("b3", "buyer", "2026-11-22 10:00:00", A, "在吗"), ("b3", "agent", "2026-11-22 10:00:09", A, UNTIL),
        ("b4", "buyer", "2026-11-22 11:00:00", A, "在吗"), ("b4", "auto", "2026-11-22 11:00:01", A, "您好，欢迎光临"),
    ]
    load_messages(con, message_frame(rows))
    rebuild(con, load_config())
    assert stale(con) == [("b2", dt.datetime(2026, 11, 21, 10, 0, 1), "until.deadline_word", dt.date(2026, 11, 20),
                           "2026-W47")]


@pytest.mark.parametrize("text, sent, verdict", [
    ("11月20日前下单享赠品", dt.date(2026, 11, 20), None),                          # the last day itself
    ("11月20日前下单享赠品", dt.date(2026, 11, 21), ("until.before_date", dt.date(2026, 11, 20))),
    ("12月31日前下单", dt.date(2027, 1, 3), ("until.before_date", dt.date(2026, 12, 31))),  # last year's date
    ("元旦活动截止1月3日", dt.date(2026, 12, 20), None),                                  # next year's date
    ("11.20前付款优先发货", dt.date(2026, 11, 21), ("until.dotted_date", dt.date(2026, 11, 20))),
    ("双12预热，提前加购", dt.date(2026, 11, 25), None),                             # before the event
    ("双11返场", dt.date(2027, 1, 5), None),                                          # a new year: no 双11 yet
    ("满618减50", dt.date(2026, 7, 1), None),                                          # a price, not the event
    ("618大促最后一天", dt.date(2026, 6, 19), ("event.618", dt.date(2026, 6, 18))),
    ("截止13月40日", dt.date(2026, 11, 25), None),                                    # not a date
])
def test_boundaries(text, sent, verdict):
    assert stale_verdict(text, sent, auto_reply_dates()) == verdict


@pytest.mark.parametrize("text, message", [
    ('[[event]]\nid="e"\npattern="双11"\nends="11/11"\nseverity="minor"\nexplanation="x"\nsource="y"\n'
     '[[until]]\nid="u"\npattern="(?P<month>1)月(?P<day>1)日"\nseverity="minor"\nexplanation="x"\nsource="y"\n',
     "'ends' must be a day like"),
    ('[[event]]\nid="e"\npattern="双11"\nends="11-11"\nseverity="minor"\nexplanation="x"\nsource="y"\n'
     '[[until]]\nid="u"\npattern="([0-9]+)月"\nseverity="minor"\nexplanation="x"\nsource="y"\n',
     "named groups month and day"),
    ('[[event]]\nid="e"\npattern="双11"\nseverity="minor"\nexplanation="x"\nsource="y"\n'
     '[[until]]\nid="u"\npattern="(?P<month>1)月(?P<day>1)日"\nseverity="minor"\nexplanation="x"\nsource="y"\n',
     "'ends' must be a non-empty text"),
])
def test_the_date_lexicon_is_validated_in_one_line(text, message):
    with pytest.raises(UserError, match=message) as info:
        parse_auto_reply_dates(text, "mine.toml")
    assert str(info.value).startswith("mine.toml: ") and "\n" not in str(info.value)


def test_the_week_pack_lists_each_stale_text_per_shop_masked(con, tmp_path):
    rows = []
    for i in range(3):
        rows += [(f"b{i}", "buyer", f"2026-11-2{i + 1} 10:00:00", A, "在吗"),
                 (f"b{i}", "auto", f"2026-11-2{i + 1} 10:00:01", A, UNTIL)]
    load_messages(con, message_frame(rows))
    rebuild(con, load_config())
    write_reports(con, "2026-W47", tmp_path / "out")
    text = (tmp_path / "out" / "2026-W47" / "stale_auto_replies.csv").read_text(encoding="utf-8-sig")
    listed = list(csv.DictReader(io.StringIO(text)))
    assert [(r["shop"], r["times"], r["first_seen"], r["last_seen"]) for r in listed] == [
        (SHOP, "2", "2026-11-21 10:00:01", "2026-11-22 10:00:01")]
    assert "13812345678" not in text and "活动截止11月20日" in text


def test_the_listing_masks_a_nick_the_text_names_unless_unmasked(con, tmp_path):
    load_messages(con, message_frame([("b0", "buyer", "2026-11-20 10:00:00", A, "在吗"),
                                      ("b0", "auto", "2026-11-20 10:00:01", A, GREETING)]))
    rebuild(con, load_config())
    write_reports(con, "2026-W47", tmp_path / "masked")
    write_reports(con, "2026-W47", tmp_path / "plain", mask=False)
    masked = (tmp_path / "masked" / "2026-W47" / "stale_auto_replies.csv").read_text(encoding="utf-8-sig")
    plain = (tmp_path / "plain" / "2026-W47" / "stale_auto_replies.csv").read_text(encoding="utf-8-sig")
    assert "b0亲" not in masked and "b***亲" in masked and GREETING in plain
