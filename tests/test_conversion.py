"""Inquiry conversion on hand-built rounds and orders."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from qc_pipeline.conversion.bands import INSUFFICIENT, conversion_band
from qc_pipeline.conversion.inquiries import agent_week_conversion, conversion_frames
from qc_pipeline.config import load_config
from qc_pipeline.ingest.model import ORDER_SCHEMA

SHOP = "星河服饰旗舰店"
A, B, S = f"{SHOP}:小雅", f"{SHOP}:阿杰", f"{SHOP}:售后小周"
BANDS = load_config().conversion["bands"]


def rounds(*rows):
    """rows: (buyer, agent, replied_at or None, role)."""
    return pl.DataFrame(
        [
            {"shop": SHOP, "buyer": b, "agent": a, "replied_at": dt.datetime.fromisoformat(t) if t else None,
             "unanswered": t is None, "agent_role": role, "session_id": f"s_{b}"}
            for b, a, t, role in rows
        ],
        schema={"shop": pl.Utf8, "buyer": pl.Utf8, "agent": pl.Utf8, "replied_at": pl.Datetime("us"),
                "unanswered": pl.Boolean, "agent_role": pl.Utf8, "session_id": pl.Utf8},
    )


def orders(*rows, shop=SHOP):
    """rows: (order_id, buyer, created_at, paid_at or None, amount, refund)."""
    return pl.DataFrame(
        [
            {"order_id": oid, "shop": shop, "buyer": b, "created_at": dt.datetime.fromisoformat(c),
             "paid_at": dt.datetime.fromisoformat(p) if p else None, "amount": Decimal(amt),
             "refund_amount": Decimal(ref), "status": "交易成功" if p else "交易关闭", "source_path": "t"}
            for oid, b, c, p, amt, ref in rows
        ],
        schema=ORDER_SCHEMA,
    )


def figures(r, o, mode="order_then_paid", window=2):
    frames = conversion_frames(r, o, window, mode)
    week = agent_week_conversion(frames["inquiries"])
    return {row["agent"]: row for row in week.iter_rows(named=True)}, frames


def test_last_agent_before_the_order_gets_the_credit_and_the_other_an_assist():
    r = rounds(("b1", A, "2026-11-16 10:00:30", "presale"), ("b1", B, "2026-11-16 11:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-16 12:00:00", "2026-11-16 12:01:00", "259.00", "0"))
    got, _ = figures(r, o)
    assert (got[A]["inquiries"], got[A]["paying_buyers"], got[A]["assists"]) == (1, 0, 1)
    assert (got[B]["inquiries"], got[B]["paying_buyers"], got[B]["assists"]) == (1, 1, 0)
    assert got[B]["sales_amount"] == Decimal("259.00") and got[B]["aov"] == 259.0
    assert got[B]["conversion_rate"] == 1.0 and got[A]["conversion_rate"] == 0.0


def test_reply_after_the_order_does_not_steal_the_credit():
    r = rounds(("b1", A, "2026-11-16 10:00:30", "presale"), ("b1", B, "2026-11-16 13:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-16 12:00:00", "2026-11-16 12:01:00", "99", "0"))
    got, _ = figures(r, o)
    assert got[A]["paying_buyers"] == 1 and got[B]["paying_buyers"] == 0 and got[B]["assists"] == 1


def test_attribution_modes():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"),  # Monday
               ("b2", A, "2026-11-20 10:00:00", "presale"),  # Friday
               ("b3", A, "2026-11-16 10:00:00", "presale"))
    o = orders(
        # created inside the window, paid on day 3 (outside it) but within the week
        ("o1", "b1", "2026-11-17 09:00:00", "2026-11-19 09:00:00", "100", "0"),
        # created Saturday inside the window, paid next Monday: after the report period
        ("o2", "b2", "2026-11-21 09:00:00", "2026-11-23 08:00:00", "100", "0"),
        # created before the inquiry, paid inside the window
        ("o3", "b3", "2026-11-16 09:00:00", "2026-11-16 10:30:00", "100", "0"),
    )
    assert figures(r, o, "order")[0][A]["paying_buyers"] == 2  # b1, b2
    assert figures(r, o, "order_then_paid")[0][A]["paying_buyers"] == 1  # b1 only
    assert figures(r, o, "paid")[0][A]["paying_buyers"] == 1  # b3 only


def test_window_length_is_configurable():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-18 09:59:59", "2026-11-18 10:00:00", "100", "0"))
    assert figures(r, o, window=2)[0][A]["paying_buyers"] == 1
    assert figures(r, o, window=1)[0][A]["paying_buyers"] == 0


def test_closed_unpaid_never_converts_and_refunded_still_does():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"), ("b2", A, "2026-11-16 10:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-16 11:00:00", None, "0", "0"),
               ("o2", "b2", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "1200.50", "1200.50"))
    got, frames = figures(r, o)
    assert got[A]["paying_buyers"] == 1 and got[A]["ordering_buyers"] == 2
    assert got[A]["refund_amount"] == Decimal("1200.50") and got[A]["refund_orders"] == 1
    assert got[A]["sales_amount"] == Decimal("1200.50")


def test_silent_orders_and_auto_reply_only_buyers():
    r = rounds(("b1", A, None, "presale"), ("b2", S, "2026-11-16 10:00:00", "aftersale"))
    o = orders(("o1", "b1", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "50", "0"),
               ("o2", "b9", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "60", "0"))
    got, frames = figures(r, o)
    assert got == {}  # unanswered and after-sale rounds are no inquiries
    silent = frames["order_attribution"].filter(pl.col("silent"))["order_id"].sort().to_list()
    assert silent == ["o1", "o2"]


def test_orders_from_another_shop_do_not_convert():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "50", "0"), shop="别家店")
    assert figures(r, o)[0][A]["paying_buyers"] == 0


def test_one_order_converts_one_inquiry_when_daily_windows_overlap():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"), ("b1", A, "2026-11-17 10:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-17 11:00:00", "2026-11-17 11:01:00", "80", "0"))
    got, frames = figures(r, o)
    assert got[A]["inquiries"] == 2 and got[A]["paying_buyers"] == 1 and got[A]["sales_amount"] == Decimal("80")
    converted = frames["inquiries"].filter(pl.col("converted"))["day"].to_list()
    assert converted == [dt.date(2026, 11, 17)]


def test_all_converting_orders_in_the_window_add_to_sales():
    r = rounds(("b1", A, "2026-11-16 10:00:00", "presale"))
    o = orders(("o1", "b1", "2026-11-16 11:00:00", "2026-11-16 11:01:00", "80", "0"),
               ("o2", "b1", "2026-11-17 11:00:00", "2026-11-17 11:01:00", "20.5", "20.5"))
    got, _ = figures(r, o)
    assert got[A]["paying_buyers"] == 1 and got[A]["sales_amount"] == Decimal("100.50")
    assert got[A]["refund_orders"] == 1 and got[A]["aov"] == 100.5


@pytest.mark.parametrize("paying, inquiries, band", [
    (4999, 10000, "fail"), (1, 2, "pass"), (5999, 10000, "pass"), (119, 200, "pass"),
    (3, 5, "good"), (7, 10, "excellent"), (100, 100, "excellent"), (0, 30, "fail"),
])
def test_band_boundaries_use_the_exact_ratio(paying, inquiries, band):
    assert conversion_band(paying, inquiries, BANDS, min_inquiries=0) == band


def test_min_inquiries_gives_insufficient_data_but_keeps_the_rate():
    assert conversion_band(19, 19, BANDS, min_inquiries=20) == INSUFFICIENT
    assert conversion_band(10, 20, BANDS, min_inquiries=20) == "pass"
    assert conversion_band(0, 0, BANDS, min_inquiries=20) is None
