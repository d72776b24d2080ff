"""Conversion truth: which inquiry each planned order converts, and the weekly figures, per attribution mode.

A second, deliberately plain reading of docs/conversion.md: loops over buyer-days and orders in Python,
sharing no code with the pipeline's polars frames, so that the two can only agree by both being right.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from qc_pipeline.sample.period import iso_week

MODES = ("order", "paid", "order_then_paid")
INSUFFICIENT = "insufficient_data"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Reply:
    """A human presale reply that answered a buyer's round."""

    shop: str
    buyer: str
    agent: str
    at: dt.datetime


@dataclass(frozen=True)
class Sale:
    order_id: str
    shop: str
    buyer: str
    created_at: dt.datetime | None
    paid_at: dt.datetime | None
    amount: Decimal
    refund: Decimal


@dataclass
class BuyerDay:
    shop: str
    buyer: str
    day: dt.date
    start: dt.datetime  # the first presale reply to the buyer that day
    first_reply: dict[str, dt.datetime] = field(default_factory=dict)  # agent -> their first reply that day

    @property
    def week(self) -> str:
        return iso_week(self.start)

    def end(self, window_days: int) -> dt.datetime:
        return self.start + dt.timedelta(days=window_days)

    def holds(self, t: dt.datetime, window_days: int) -> bool:
        return self.start <= t < self.end(window_days)


@dataclass(frozen=True)
class Outcome:
    """What one order does under one mode."""

    inquiry_day: dt.date | None  # the buyer-day whose window holds the order's time
    converts: bool
    silent: bool  # paid, and no inquiry window holds it
    credited: str | None  # the agent credited with the buyer-day it converts

    def as_dict(self) -> dict:
        return {
            "inquiry_day": self.inquiry_day.isoformat() if self.inquiry_day else None,
            "converts": self.converts,
            "silent": self.silent,
            "credited_agent": self.credited,
        }


def end_of_week(t: dt.datetime) -> dt.datetime:
    """Sunday 23:59:59 of the ISO week holding `t` (sample times are whole seconds)."""
    sunday = t.date() + dt.timedelta(days=6 - t.weekday())
    return dt.datetime.combine(sunday, dt.time(23, 59, 59))


def order_time(sale: Sale, mode: str) -> dt.datetime | None:
    return sale.paid_at if mode == "paid" else sale.created_at


def buyer_days(replies: list[Reply]) -> dict[tuple[str, str], list[BuyerDay]]:
    """Every (shop, buyer) with their buyer-days, earliest first."""
    days: dict[tuple[str, str, dt.date], BuyerDay] = {}
    for r in sorted(replies, key=lambda r: r.at):
        key = (r.shop, r.buyer, r.at.date())
        if key not in days:
            days[key] = BuyerDay(r.shop, r.buyer, r.at.date(), r.at)
        days[key].first_reply.setdefault(r.agent, r.at)
    out: dict[tuple[str, str], list[BuyerDay]] = defaultdict(list)
    for bd in sorted(days.values(), key=lambda d: d.start):
        out[(bd.shop, bd.buyer)].append(bd)
    return out


def holding_day(days: list[BuyerDay], t: dt.datetime | None, window_days: int) -> BuyerDay | None:
    """The latest buyer-day whose window holds `t`: one order never counts for two overlapping windows."""
    if t is None:
        return None
    holding = [d for d in days if d.holds(t, window_days)]
    return holding[-1] if holding else None


def last_agent(replies: list[Reply], since: dt.datetime, until: dt.datetime) -> str | None:
    """The agent who last answered at or before `until` (最后接待), counting that buyer-day's replies only."""
    answered = [r for r in replies if since <= r.at <= until]
    return max(answered, key=lambda r: r.at).agent if answered else None


@dataclass
class DayResult:
    converting: list[Sale] = field(default_factory=list)
    placed: list[Sale] = field(default_factory=list)  # created in the window, paid or not
    credited: str | None = None
    ordering_agent: str | None = None


def attribute(replies: list[Reply], sales: list[Sale], window_days: int, mode: str
              ) -> tuple[dict[str, Outcome], list[tuple[BuyerDay, DayResult]]]:
    """Per order its Outcome; per buyer-day its converting and placed orders and who gets the credit."""
    days = buyer_days(replies)
    answers: dict[tuple[str, str], list[Reply]] = defaultdict(list)
    for r in replies:
        answers[(r.shop, r.buyer)].append(r)
    results = {(bd.shop, bd.buyer, bd.day): DayResult() for group in days.values() for bd in group}
    assigned: dict[str, BuyerDay | None] = {}
    for sale in sales:
        mine = days.get((sale.shop, sale.buyer), [])
        bd = holding_day(mine, order_time(sale, mode), window_days)
        assigned[sale.order_id] = bd
        # An order never paid never converts; a refund afterwards changes nothing.
        if bd is not None and sale.paid_at is not None and (
            mode != "order_then_paid" or sale.paid_at <= end_of_week(bd.start)
        ):
            results[(bd.shop, bd.buyer, bd.day)].converting.append(sale)
        placed_in = holding_day(mine, sale.created_at, window_days)
        if placed_in is not None:
            results[(placed_in.shop, placed_in.buyer, placed_in.day)].placed.append(sale)
    out = []
    for group in days.values():
        for bd in group:
            res = results[(bd.shop, bd.buyer, bd.day)]
            mine = answers[(bd.shop, bd.buyer)]
            if res.converting:
                res.credited = last_agent(mine, bd.start, min(order_time(s, mode) for s in res.converting))
            if res.placed:
                res.ordering_agent = last_agent(mine, bd.start, min(s.created_at for s in res.placed))
            out.append((bd, res))
    outcomes: dict[str, Outcome] = {}
    for sale in sales:
        bd = assigned[sale.order_id]
        res = results[(bd.shop, bd.buyer, bd.day)] if bd is not None else None
        converts = res is not None and sale in res.converting
        outcomes[sale.order_id] = Outcome(
            inquiry_day=bd.day if bd is not None else None,
            converts=converts,
            silent=sale.paid_at is not None and bd is None,
            credited=res.credited if converts else None,
        )
    return outcomes, out


def band(paying: int, inquiries: int, bands: list[dict], min_inquiries: int) -> str | None:
    if inquiries == 0:
        return None
    if inquiries < min_inquiries:
        return INSUFFICIENT
    rate = Fraction(paying, inquiries) * 100
    reached = [b["name"] for b in bands if rate >= Fraction(str(b["min_pct"]))]
    return reached[-1]


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def agent_week_rows(day_results, bands: list[dict], min_inquiries: int) -> list[dict]:
    rows: dict[tuple[str, str, str], dict] = {}
    for bd, res in day_results:
        for agent, first in bd.first_reply.items():
            key = (iso_week(first), bd.shop, agent)
            row = rows.setdefault(key, {
                "inquiries": 0, "ordering_buyers": 0, "paying_buyers": 0, "sales": ZERO, "refunds": ZERO,
                "refund_orders": 0, "assists": 0,
            })
            row["inquiries"] += 1
            row["ordering_buyers"] += res.ordering_agent == agent
            if res.credited == agent:
                row["paying_buyers"] += 1
                row["sales"] += sum((s.amount for s in res.converting), ZERO)
                row["refunds"] += sum((s.refund for s in res.converting), ZERO)
                row["refund_orders"] += sum(s.refund > 0 for s in res.converting)
            elif res.credited is not None:
                row["assists"] += 1
    out = []
    for (week, shop, agent), r in sorted(rows.items()):
        out.append({
            "week": week, "shop": shop, "agent": agent,
            "inquiries": r["inquiries"],
            "ordering_buyers": r["ordering_buyers"],
            "paying_buyers": r["paying_buyers"],
            "conversion_rate": r["paying_buyers"] / r["inquiries"],
            "conversion_band": band(r["paying_buyers"], r["inquiries"], bands, min_inquiries),
            "sales_amount": _money(r["sales"]),
            "aov": float(r["sales"]) / r["paying_buyers"] if r["paying_buyers"] else None,
            "refund_amount": _money(r["refunds"]),
            "refund_orders": r["refund_orders"],
            "assists": r["assists"],
        })
    return out


def shop_week_rows(day_results, sales: list[Sale], outcomes: dict[str, Outcome],
                   chat_buyers: set[tuple[str, str]]) -> list[dict]:
    rows: dict[tuple[str, str], dict] = defaultdict(lambda: {
        "inquiries": 0, "paying_buyers": 0, "sales": ZERO, "silent_orders": 0, "silent": ZERO, "unmatched": 0,
    })
    for bd, res in day_results:
        row = rows[(bd.week, bd.shop)]
        row["inquiries"] += 1
        if res.credited is not None:
            row["paying_buyers"] += 1
            row["sales"] += sum((s.amount for s in res.converting), ZERO)
    for sale in sales:
        if outcomes[sale.order_id].silent:
            row = rows[(iso_week(sale.paid_at), sale.shop)]
            row["silent_orders"] += 1
            row["silent"] += sale.amount
        if (sale.shop, sale.buyer) not in chat_buyers and sale.created_at is not None:
            rows[(iso_week(sale.created_at), sale.shop)]["unmatched"] += 1
    return [
        {
            "week": week, "shop": shop,
            "inquiries": r["inquiries"],
            "paying_buyers": r["paying_buyers"],
            "conversion_rate": r["paying_buyers"] / r["inquiries"] if r["inquiries"] else None,
            "sales_amount": _money(r["sales"]),
            "silent_orders": r["silent_orders"],
            "silent_amount": _money(r["silent"]),
            "orders_unmatched": r["unmatched"],
        }
        for (week, shop), r in sorted(rows.items())
    ]


def conversion_truth(replies: list[Reply], sales: list[Sale], chat_buyers: set[tuple[str, str]],
                     settings: dict) -> tuple[dict, dict[str, dict]]:
    """(truth["conversion"], per order id: matched_buyer and its outcome under each mode)."""
    window, min_inquiries, bands = settings["window_days"], settings["min_inquiries"], settings["bands"]
    table: dict = {
        "settings": {
            "window_days": window,
            "min_inquiries": min_inquiries,
            "bands": [{"name": b["name"], "min_pct": b["min_pct"]} for b in bands],
            "default_mode": settings["attribution"],
        },
    }
    per_order: dict[str, dict] = {
        s.order_id: {"matched_buyer": (s.shop, s.buyer) in chat_buyers, "attribution": {}} for s in sales
    }
    for mode in MODES:
        outcomes, day_results = attribute(replies, sales, window, mode)
        table[mode] = {
            "agent_week": agent_week_rows(day_results, bands, min_inquiries),
            "shop_week": shop_week_rows(day_results, sales, outcomes, chat_buyers),
        }
        for order_id, outcome in outcomes.items():
            per_order[order_id]["attribution"][mode] = outcome.as_dict()
    return table, per_order


def replies_of(sessions, roles: dict[str, str], default_role: str) -> list[Reply]:
    """The planned rounds' presale replies (auto-replies never end a round, so they never count)."""
    return [
        Reply(s.shop, s.buyer, r.reply.agent, r.reply.at)
        for s in sessions for r in s.rounds
        if r.reply is not None and roles.get(r.reply.agent, default_role) == "presale"
    ]


def sales_of(orders) -> list[Sale]:
    return [Sale(o.order_id, o.shop.name, o.buyer, o.created_at, o.paid_at, o.amount, o.refund) for o in orders]


def describe(outcome: Outcome) -> str:
    day = outcome.inquiry_day.isoformat() if outcome.inquiry_day else "-"
    return f"day={day} converts={outcome.converts} silent={outcome.silent} credited={outcome.credited}"

