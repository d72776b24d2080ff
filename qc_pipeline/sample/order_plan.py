"""Which buyers order, when, and what each order must do for conversion, decided before anything is written.

Every order is planned with its outcome under each attribution mode (the shipped 2-day window): the
hand-planted ones in planted_orders.py, the ordinary ones here. Ordinary orders are placed where only one
reading is possible: after the buyer's only conversation that day, before any later conversation of theirs,
paid within minutes on the same day (or the next morning, never across a Sunday night). Each agent-week
converts a set share of its inquiries, so the agents land in different bands. After planning, the outcomes
are worked out again from the planned replies and orders (conversion_truth.py) and any disagreement with
the plan stops the generator.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

from qc_pipeline.sample.conversation import PlanError
from qc_pipeline.sample.conversion_truth import (
    MODES, BuyerDay, Outcome, Reply, attribute, buyer_days, describe, replies_of, sales_of,
)
from qc_pipeline.sample.model import Session, Shop
from qc_pipeline.sample.orders import CLOSED, PAID_WAITING, SHIPPED, SUCCESS, UNPAID, Order
from qc_pipeline.sample.period import Period, iso_week
from qc_pipeline.sample.shops import MAIN_SHOP
from qc_pipeline.sample.texts import Item

# The shipped conversion settings every planned outcome assumes.
WINDOW_DAYS = 2
TARGET_MODE = "order_then_paid"

ORDER_CUTOFF = dt.time(23, 50)  # ordinary orders are created by then, so payment stays on the same day
NEXT_MORNING_SHARE = 0.2
UNPAID_SHARE = 0.12  # buyers who do not buy but leave an order unpaid
ORDERS_PER_BUYER = {1: 88, 2: 10, 3: 2}  # weights: most converting buyers order once
FULL_REFUND_SHARE = 0.05
PARTIAL_REFUND_SHARE = 0.07


def every_mode(outcome: Outcome) -> dict[str, Outcome]:
    return {mode: outcome for mode in MODES}


class OrderBook:
    """Creates orders with unique ids and statuses that fit their age at export time (the period's end)."""

    def __init__(self, rng: random.Random, period: Period, shops: dict[str, Shop]):
        self.rng, self.period, self.shops = rng, period, shops
        self.ids: set[str] = set()
        self.orders: list[Order] = []

    def _new_id(self) -> str:
        while True:
            order_id = str(self.rng.randrange(2 * 10**18, 5 * 10**18))
            if order_id not in self.ids:
                self.ids.add(order_id)
                return order_id

    def _paid_status(self, paid_at: dt.datetime) -> str:
        age = self.period.end - paid_at
        roll = self.rng.random()
        if age < dt.timedelta(days=1):
            return PAID_WAITING if roll < 0.7 else SHIPPED
        if age < dt.timedelta(days=4):
            return SHIPPED if roll < 0.75 else SUCCESS
        return SUCCESS if roll < 0.85 else SHIPPED

    def add(
        self, shop: str, buyer: str, created: dt.datetime, paid: dt.datetime | None, expect: dict[str, Outcome], *,
        item: Item | str | None = None, quantity: int | None = None, refund: str | None = None,
        close_reason: str | None = None, cases: tuple[str, ...] = (),
    ) -> Order:
        """An order; `refund` "full" closes it as refunded, an amount is a partial refund of a completed
        order. Unpaid orders still open at export wait for payment, older ones were closed."""
        s = self.shops[shop]
        if isinstance(item, str):
            item = next(i for i in s.items if i.title == item)
        item = item or self.rng.choice(s.items)
        quantity = quantity or self.rng.choices([1, 2, 3], [80, 17, 3])[0]
        order = Order(self._new_id(), s, buyer, item, quantity, created, paid, UNPAID, Decimal("0.00"),
                      Decimal("0.00"), "", list(cases), expect)
        if paid is None:
            if self.period.end - created >= dt.timedelta(days=1) or close_reason:
                order.status = CLOSED
                order.close_reason = close_reason or self.rng.choice(("买家不想买了", "超时未付款"))
        else:
            order.amount = order.goods_total
            if refund == "full":
                order.status, order.close_reason, order.refund = CLOSED, "退款", order.amount
            elif refund is not None:
                order.status, order.refund = SUCCESS, Decimal(refund).quantize(Decimal("0.01"))
            else:
                order.status = self._paid_status(paid)
        self.orders.append(order)
        return order


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def _one_agent(bd: BuyerDay) -> str | None:
    return next(iter(bd.first_reply)) if len(bd.first_reply) == 1 else None


class OrdinaryOrders:
    """Orders of the ordinary buyers: one presale conversation a day each, one agent."""

    def __init__(self, book: OrderBook, sessions: list[Session], period: Period, planted_buyers: set[str]):
        self.book, self.rng, self.period = book, book.rng, period
        self.planted = planted_buyers
        self.conversation = {(s.shop, s.buyer, s.started_at.date()): s for s in sessions
                             if s.kind == "presale" and s.buyer not in planted_buyers}
        self.busy = {(s.shop, s.buyer, s.started_at.date()) for s in sessions}

    def _first_time(self, bd: BuyerDay) -> dt.datetime | None:
        """When the buyer orders: after the conversation, before the buyer could start another inquiry."""
        session = self.conversation[(bd.shop, bd.buyer, bd.day)]
        nxt = bd.day + dt.timedelta(days=1)
        next_morning_ok = (
            bd.day.isoweekday() != 7 and nxt <= self.period.days[-1] and (bd.shop, bd.buyer, nxt) not in self.busy
        )
        cutoff = dt.datetime.combine(bd.day, ORDER_CUTOFF)
        earliest = session.ended_at + dt.timedelta(seconds=40)
        if next_morning_ok and (earliest > cutoff or self.rng.random() < NEXT_MORNING_SHARE):
            return dt.datetime.combine(nxt, dt.time(8)) + dt.timedelta(seconds=self.rng.randint(0, 4 * 3600))
        if earliest > cutoff:
            return None
        latest = min(cutoff, session.ended_at + dt.timedelta(hours=3))
        return earliest + dt.timedelta(seconds=self.rng.randint(0, int((latest - earliest).total_seconds())))

    def _paid(self, created: dt.datetime) -> dt.datetime:
        return min(created + dt.timedelta(seconds=self.rng.randint(8, 600)), _day_end(created.date()))

    def convert(self, bd: BuyerDay, agent: str, created: dt.datetime) -> None:
        converts = every_mode(Outcome(bd.day, True, False, agent))
        n = self.rng.choices(list(ORDERS_PER_BUYER), list(ORDERS_PER_BUYER.values()))[0]
        for i in range(n):
            if i > 0:
                later = created + dt.timedelta(seconds=self.rng.randint(300, 7200))
                if later.date() != created.date() or later.time() > ORDER_CUTOFF:
                    break
                created = later
            roll = self.rng.random()
            refund = ("full" if roll < FULL_REFUND_SHARE else
                      self.rng.choice(("10", "20", "30")) if roll < FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE else None)
            self.book.add(bd.shop, bd.buyer, created, self._paid(created), converts, refund=refund)

    def leave_unpaid(self, bd: BuyerDay, created: dt.datetime) -> None:
        placed = Outcome(bd.day, False, False, None)
        expect = {"order": placed, "order_then_paid": placed, "paid": Outcome(None, False, False, None)}
        self.book.add(bd.shop, bd.buyer, created, None, expect)

    def plan(self, days: list[BuyerDay], targets: dict[tuple[str, str, str], int]) -> None:
        """`targets`: per (week, shop, agent) how many more of its ordinary buyer-days convert."""
        pools: dict[tuple[str, str, str], list[tuple[BuyerDay, str, dt.datetime]]] = defaultdict(list)
        for bd in days:
            agent = _one_agent(bd)
            if bd.buyer in self.planted or agent is None:
                continue
            created = self._first_time(bd)
            if created is not None:
                pools[(bd.week, bd.shop, agent)].append((bd, agent, created))
        for key in sorted(pools):
            pool = pools[key]
            chosen = set(self.rng.sample(range(len(pool)), max(0, min(targets.get(key, 0), len(pool)))))
            for i, (bd, agent, created) in enumerate(pool):
                if i in chosen:
                    self.convert(bd, agent, created)
                elif self.rng.random() < UNPAID_SHARE:
                    self.leave_unpaid(bd, created)


def quiet_orders(book: OrderBook, quiet_buyers: dict[str, list[str]]) -> None:
    """Buyers who never chatted: their paid orders are silent; the last one of the main shop never pays."""
    rng = book.rng
    for shop_name, buyers in quiet_buyers.items():
        for i, buyer in enumerate(buyers):
            day = rng.choice(book.period.days)
            created = dt.datetime.combine(day, dt.time(rng.randrange(8, 23), rng.randrange(60), rng.randrange(60)))
            if shop_name == MAIN_SHOP and i == len(buyers) - 1:
                book.add(shop_name, buyer, created, None, every_mode(Outcome(None, False, False, None)),
                         close_reason="超时未付款", cases=("no_chat_unpaid",))
                continue
            paid = min(created + dt.timedelta(seconds=rng.randint(8, 1200)), _day_end(day))
            book.add(shop_name, buyer, created, paid, every_mode(Outcome(None, False, True, None)),
                     cases=("silent_no_chat",))


def conversion_targets(replies: list[Reply], planted: list[Order], rates: dict[str, float]) -> dict:
    """Per (week, shop, agent) the ordinary buyer-days still to convert for the agent's planned rate,
    counting what the planted orders already credit them under the shipped mode."""
    days = [bd for group in buyer_days(replies).values() for bd in group]
    inquiries = Counter((iso_week(first), bd.shop, agent) for bd in days for agent, first in bd.first_reply.items())
    _, results = attribute(replies, sales_of(planted), WINDOW_DAYS, TARGET_MODE)
    credited = Counter((bd.week, bd.shop, res.credited) for bd, res in results if res.credited)
    return {key: round(rates[key[2]] * n) - credited[key] for key, n in inquiries.items()}


def check_outcomes(replies: list[Reply], orders: list[Order]) -> None:
    """Work every order's outcome out again from the plan; refuse a plan that does not do what it says."""
    sales = sales_of(orders)
    for mode in MODES:
        outcomes, _ = attribute(replies, sales, WINDOW_DAYS, mode)
        for order in orders:
            want, got = order.expect[mode], outcomes[order.order_id]
            if want != got:
                raise PlanError(f"{order.buyer} order {order.created_at} ({mode}): planned {describe(want)}, "
                                f"the definitions give {describe(got)}")


def plan_orders(
    rng: random.Random, sessions: list[Session], shops: dict[str, Shop], period: Period,
    quiet_buyers: dict[str, list[str]], roles: dict[str, str], planted_buyers: set[str], plant,
) -> list[Order]:
    """Every order of the sample, newest first as the report lists them. `plant(book, period)` adds the
    hand-planted orders; it is passed in because planted_orders.py itself builds on this module."""
    book = OrderBook(rng, period, shops)
    plant(book, period)
    replies = replies_of(sessions, roles, "presale")
    days = sorted((bd for group in buyer_days(replies).values() for bd in group), key=lambda d: (d.start, d.buyer))
    rates = {a.account: a.conversion for s in shops.values() for a in s.agents}
    targets = conversion_targets(replies, list(book.orders), rates)
    OrdinaryOrders(book, sessions, period, planted_buyers).plan(days, targets)
    quiet_orders(book, quiet_buyers)
    check_outcomes(replies, book.orders)
    return sorted(book.orders, key=lambda o: (o.created_at, o.order_id), reverse=True)
