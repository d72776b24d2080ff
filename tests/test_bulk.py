"""The benchmark workload: realistic shape, readable by the ingest, flags exactly where they are planted."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.ingest import read_file
from qc_pipeline.rules import flag_messages, load_ruleset
from qc_pipeline.sample.bulk import bulk_workload, shop_names, write_workload
from qc_pipeline.sample.texts import HANDOVER_ANSWER
from qc_pipeline.sample.violations import VIOLATION_BANK

N = 20_000


@pytest.fixture(scope="module")
def work():
    return bulk_workload(N, seed=5)


def test_shape_and_determinism(work):
    m = work.messages
    assert m.columns == ["shop", "buyer", "agent", "role", "sent_at", "text"] and m.height == N
    assert m.equals(bulk_workload(N, seed=5).messages) and work.orders.equals(bulk_workload(N, seed=5).orders)
    assert not m.equals(bulk_workload(N, seed=6).messages)
    assert bulk_workload(0).messages.height == 0 and bulk_workload(1).messages["role"].to_list() == ["buyer"]
    assert set(m["role"].unique()) == {"buyer", "agent", "auto"}
    assert m["shop"].n_unique() == 12 and set(m["shop"]) == set(shop_names())
    assert (m["agent"].str.split(":").list.first() == m["shop"]).all()
    assert m.select(pl.all().is_null().any()).row(0) == (False,) * 6


def test_roster_covers_every_agent_with_aftersale_teams(work):
    roster = work.roster
    assert roster.height == 200 and roster["agent"].n_unique() == 200
    assert set(work.messages["agent"]) <= set(roster["agent"])
    per_shop = roster.group_by(pl.col("agent").str.split(":").list.first().alias("shop")).agg(
        (pl.col("role") == "aftersale").sum().alias("after"), (pl.col("role") == "presale").sum().alias("pre"))
    assert per_shop.height == 12 and (per_shop["after"] >= 1).all() and (per_shop["pre"] >= 1).all()
    assert 0.25 < (roster["role"] == "aftersale").mean() < 0.35


def test_transfers_hand_the_buyer_to_the_named_aftersale_agent(work):
    m = work.messages.with_row_index("i")
    role_of = dict(zip(work.roster["agent"], work.roster["role"]))
    prefix, suffix = HANDOVER_ANSWER.split("{name}")
    handovers = m.filter(pl.col("text").str.starts_with(prefix) & pl.col("text").str.ends_with(suffix))
    assert handovers.height > 20
    checked = 0
    for row in handovers.head(30).iter_rows(named=True):
        assert role_of[row["agent"]] == "presale"
        named = row["text"][len(prefix):-len(suffix)]
        # The conversation is the run of rows of that buyer right after it (exports list it in one block).
        rest = m.slice(row["i"] + 1, 12)
        same = (rest["buyer"] == row["buyer"]) & (rest["shop"] == row["shop"])
        run = rest.head(int(same.arg_min()) if not same.all() else rest.height)
        after = run.filter(pl.col("role") == "agent").head(1)
        if after.height:  # the conversation goes on with the colleague the handover named
            assert after["agent"][0] == f"{row['shop']}:{named}" and role_of[after["agent"][0]] == "aftersale"
            checked += 1
    assert checked >= 10


def test_auto_replies_and_mostly_distinct_replies(work):
    m = work.messages
    auto = m.filter(pl.col("role") == "auto")
    assert 0.02 < auto.height / m.height < 0.1
    assert auto["text"].str.starts_with("[自动回复]").all()
    greeting = auto.filter(pl.col("text").str.contains("欢迎光临"))
    assert (greeting["text"].str.contains(greeting["shop"], literal=True)).all()
    agent_texts = m.filter(pl.col("role") == "agent")["text"]
    assert agent_texts.n_unique() / agent_texts.len() > 0.5
    assert not m["text"].str.contains(r"\{|\}").any()  # every placeholder filled


def test_the_rules_flag_exactly_the_planted_replies(work):
    bad = [t for entries in VIOLATION_BANK.values() for t, _ in entries]
    m = work.messages.with_row_index("msg_id").with_columns(pl.col("msg_id").cast(pl.Utf8))
    planted = set(m.filter(pl.col("text").is_in(bad))["msg_id"])
    flagged = set(flag_messages(m, load_ruleset())["msg_id"])
    assert flagged == planted
    agent_rows = m.filter(pl.col("role") == "agent").height
    assert 0.02 < len(planted) / agent_rows < 0.04
    assert m.filter(pl.col("msg_id").is_in(list(planted)))["role"].unique().to_list() == ["agent"]


def test_orders_follow_chats_and_some_are_silent(work):
    o, m = work.orders, work.messages
    assert o["order_id"].n_unique() == o.height and o["order_id"].str.len_chars().eq(19).all()
    chatted = m.select("shop", "buyer").unique()
    with_chat = o.join(chatted, on=["shop", "buyer"], how="semi").height
    assert 0.7 < with_chat / o.height < 0.97
    paid = o.filter(pl.col("paid_at").is_not_null())
    assert 0.75 < paid.height / o.height < 0.95 and (paid["paid_at"] > paid["created_at"]).all()
    assert (o.filter(pl.col("paid_at").is_null())["amount"] == 0).all()
    assert 0 < (o["refund_amount"] > 0).sum() <= paid.height * 0.15
    assert (o["refund_amount"] <= o["amount"]).all()


def test_weeks_share_people_and_fall_in_their_iso_week():
    w0 = bulk_workload(5_000, seed=2, first_week=0)
    w2 = bulk_workload(5_000, seed=2, first_week=2)
    assert w0.roster.equals(w2.roster)
    assert not w0.messages["text"].equals(w2.messages["text"])
    weeks = w2.messages.select(pl.col("sent_at").str.to_datetime().dt.strftime("%G-W%V").unique())["sent_at"]
    assert weeks.to_list() == ["2026-W46"]
    # Some buyers return from week 0, most of week 2's are new.
    returning = set(w0.messages["buyer"]) & set(w2.messages["buyer"])
    assert 10 < len(returning) < w2.messages["buyer"].n_unique() / 4
    two = bulk_workload(5_000, seed=2, weeks=2)
    days = two.messages["sent_at"].str.to_datetime().dt.date()
    assert days.min() >= dt.date(2026, 10, 26) and days.max() <= dt.date(2026, 11, 8)


def test_written_files_read_back_through_the_ingest(tmp_path):
    work = bulk_workload(3_000, seed=4)
    paths = write_workload(tmp_path, 3_000, seed=4, tag="w1")
    config = load_config()
    chats = read_file(paths["chats"], config)
    assert chats.kind == "chat" and chats.rows_read == 3_000 and chats.quarantine.height == 0
    orders = read_file(paths["orders"], config)
    assert (orders.kind, orders.format, orders.encoding) == ("orders", "taobao-order-report", "gbk")
    assert orders.quarantine.height == 0
    got = orders.orders.sort("order_id")
    want = work.orders.sort("order_id")
    assert got["order_id"].to_list() == want["order_id"].to_list()
    assert [float(a) for a in got["amount"]] == want["amount"].round(2).to_list()
    assert [float(a) for a in got["refund_amount"]] == want["refund_amount"].round(2).to_list()
    assert got["paid_at"].is_null().to_list() == want["paid_at"].is_null().to_list()
    roster = read_file(paths["roster"], config)
    assert roster.kind == "roster" and roster.roster.height == 200
    assert sorted(roster.roster["role"].unique().to_list()) == ["aftersale", "presale"]
