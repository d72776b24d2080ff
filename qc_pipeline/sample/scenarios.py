"""Ordinary days: a few dozen conversations per shop and day, with realistic waits.

Every ordinary conversation opens at or after 09:00 and ends before midnight on its own day, so all of
it lies inside one duty day (on-duty seconds = wall-clock seconds) and two conversations of the same
buyer on different days are always more than an hour of on-duty time apart. A buyer gets at most one
ordinary conversation per shop and day.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import defaultdict

from qc_pipeline.sample import texts
from qc_pipeline.sample.catalog import AFTERSALE_CSV, PRESALE_CSV
from qc_pipeline.sample.conversation import Conversation, PlanError
from qc_pipeline.sample.model import Agent, Session, Shop
from qc_pipeline.sample.period import Period

OPEN_HOURS = list(range(9, 23))
PRESALE_HOUR_WEIGHTS = [5, 7, 7, 5, 4, 5, 6, 6, 5, 5, 7, 9, 9, 6]
AFTERSALE_HOUR_WEIGHTS = [6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 4, 3, 3, 2]
LAST_ROUND_START = dt.time(23, 15)
ROUND_COUNT_WEIGHTS = {1: 22, 2: 30, 3: 25, 4: 14, 5: 9}

# Conversations per day: (weekday range, weekend range).
VOLUME = {
    ("星河服饰旗舰店", "presale"): ((26, 34), (35, 45)),
    ("星河服饰旗舰店", "aftersale"): ((5, 9), (6, 10)),
    ("云朵母婴专营店", "presale"): ((2, 5), (3, 6)),
    ("云朵母婴专营店", "aftersale"): ((0, 2), (0, 2)),
}


class BuyerBook:
    """Which buyer talked to which shop on which day, so nobody gets two ordinary conversations a day."""

    def __init__(self, pools: dict[str, list[str]]):
        self.pools = pools
        self.days: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
        self.presale_buyers: dict[str, list[str]] = defaultdict(list)

    def take(self, rng: random.Random, shop: str, day: dt.date, kind: str) -> str | None:
        returning = self.presale_buyers[shop]
        for _ in range(60):
            if kind == "aftersale" and returning and rng.random() < 0.6:
                buyer = rng.choice(returning)
            else:
                buyer = rng.choice(self.pools[shop])
            if day not in self.days[(shop, buyer)]:
                self.days[(shop, buyer)].add(day)
                if kind == "presale" and buyer not in returning:
                    returning.append(buyer)
                return buyer
        return None


def draw_wait(rng: random.Random, median: float, lo: int, hi: int, tail_p: float, tail: tuple[int, int]) -> int:
    if rng.random() < tail_p:
        return rng.randint(*tail)
    return max(lo, min(hi, round(median * math.exp(rng.gauss(0.0, 0.6)))))


def first_wait(rng: random.Random, agent: Agent) -> int:
    if agent.role == "aftersale":
        return draw_wait(rng, agent.first_median_s, 5, 900, 0.08, (240, 600))
    return draw_wait(rng, agent.first_median_s, 1, 600, 0.05, (45, 240))


def follow_wait(rng: random.Random, agent: Agent) -> int:
    return draw_wait(rng, agent.follow_median_s, 2, 900, 0.06, (181, 720))


def think_time(rng: random.Random) -> int:
    return min(1200, int(rng.expovariate(1 / 60)) + 6)


def _buyer_round(
    conv: Conversation, rng: random.Random, start: dt.datetime, lines: list[str], wait: int | None,
    auto_text: str | None,
) -> None:
    """The round's buyer lines (and an auto-reply one second in), all before the reply at start + wait."""
    horizon = wait if wait is not None else 120
    auto_offset = 1 if auto_text and horizon >= 3 else None
    free = [s for s in range(1, horizon) if s != auto_offset]
    extra = min(len(lines) - 1, len(free))
    offsets = [0] + sorted(rng.sample(free, extra))
    events = [(o, "buyer", line) for o, line in zip(offsets, lines)]
    if auto_offset:
        events.append((auto_offset, "auto", auto_text))
    for offset, role, text in sorted(events, key=lambda e: e[0]):
        at = start + dt.timedelta(seconds=offset)
        if role == "buyer":
            conv.ask(at, text)
        else:
            conv.auto(at, text)


def ordinary_session(
    rng: random.Random, ids: itertools.count, shop: Shop, buyer: str, agent: Agent, start: dt.datetime,
    kind: str, handover: Agent | None = None,
) -> Session:
    """One conversation; `handover` (an after-sale agent) takes over after the second round."""
    file = PRESALE_CSV if kind == "presale" else AFTERSALE_CSV
    conv = Conversation(ids, shop.name, buyer, agent.account, kind, [file])
    context = texts.conversation_context(rng, rng.choice(shop.items))
    topics = shop.presale_topics if kind == "presale" else texts.AFTERSALE_TOPICS
    closings = texts.PRESALE_CLOSINGS if kind == "presale" else texts.AFTERSALE_CLOSINGS
    n_rounds = rng.choices(list(ROUND_COUNT_WEIGHTS), list(ROUND_COUNT_WEIGHTS.values()))[0]
    with_closing = rng.random() < 0.5
    current = agent
    asked: set[str] = set()
    t = start
    for r in range(n_rounds + (1 if with_closing else 0)):
        if r > 0:
            t = conv.last_event_at + dt.timedelta(seconds=think_time(rng))
            if t.time() > LAST_ROUND_START or t.date() != start.date():
                break
        closing = with_closing and r == n_rounds
        hand_over_now = handover is not None and r == 1 and r < n_rounds - 1
        if closing:
            question, reply = rng.choice(closings)
        elif hand_over_now:
            question = rng.choice(texts.HANDOVER_QUESTIONS)
            reply = texts.HANDOVER_ANSWER.format(name=handover.name)
        else:
            for _ in range(6):  # a buyer rarely asks the same thing twice
                question, reply = texts.question_and_answer(rng, rng.choice(topics), context)
                if question not in asked:
                    break
            asked.add(question)
        lines = [question]
        if r == 0 and rng.random() < 0.45:
            lines.insert(0, rng.choice(texts.GREETINGS))
            reply = "在的，" + reply
        if not closing:
            n_more = rng.choices([0, 1, 2], [80, 14, 6])[0]
            lines += [rng.choice(texts.FOLLOW_UPS) for _ in range(n_more)]
        last = r == n_rounds or (r == n_rounds - 1 and not with_closing)
        unanswered = last and rng.random() < (0.12 if closing else 0.05)
        wait = None if unanswered else (first_wait(rng, current) if r == 0 else follow_wait(rng, current))
        auto_text = None
        if r == 0 and rng.random() < 0.3:
            auto_text = texts.AUTO_GREETING.format(shop=shop.name, name=current.name)
        elif r > 0 and wait is not None and wait >= 60 and rng.random() < 0.2:
            auto_text = texts.AUTO_BUSY
        _buyer_round(conv, rng, t, lines, wait, auto_text)
        if unanswered:
            break
        conv.answer(reply, wait=wait, agent=current.account)
        if hand_over_now:
            conv.transfer(conv.last_at + dt.timedelta(seconds=rng.randint(5, 20)), handover.account)
            current, topics, closings = handover, texts.AFTERSALE_TOPICS, texts.AFTERSALE_CLOSINGS
            conv.cases.append("transfer_to_aftersale")
        elif rng.random() < 0.12 and not closing:
            conv.say(conv.last_at + dt.timedelta(seconds=rng.randint(4, 20)), rng.choice(texts.AGENT_EXTRAS))
    session = conv.build()
    if session.ended_at.date() != start.date():
        raise PlanError(f"{buyer}: ordinary conversation runs past midnight")
    return session


def _start_time(rng: random.Random, day: dt.date, kind: str) -> dt.datetime:
    weights = PRESALE_HOUR_WEIGHTS if kind == "presale" else AFTERSALE_HOUR_WEIGHTS
    hour = rng.choices(OPEN_HOURS, weights)[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))


def plan_ordinary(
    rng: random.Random, ids: itertools.count, period: Period, shops: tuple[Shop, ...], book: BuyerBook,
) -> list[Session]:
    sessions: list[Session] = []
    for day in period.days:
        weekend = day.isoweekday() >= 6
        for shop in shops:
            for kind in ("presale", "aftersale"):
                lo, hi = VOLUME[(shop.name, kind)][1 if weekend else 0]
                starts = sorted(_start_time(rng, day, kind) for _ in range(rng.randint(lo, hi)))
                for start in starts:
                    buyer = book.take(rng, shop.name, day, kind)
                    if buyer is None:
                        continue
                    agent = rng.choice(shop.agents_for(kind, start))
                    handover = None
                    if kind == "presale" and rng.random() < 0.03:
                        handover = rng.choice(shop.agents_for("aftersale", start))
                    sessions.append(ordinary_session(rng, ids, shop, buyer, agent, start, kind, handover))
    return sessions
