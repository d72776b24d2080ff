"""The whole sample as data: conversations, bad rows, orders and (optionally) violations.

The same seed plans the same sample: every random choice comes from a `random.Random` seeded with a
string (stable across runs and platforms), each purpose with its own stream so that one part of the
plan can change without reshuffling the others.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

from qc_pipeline.config import load_config
from qc_pipeline.sample import catalog
from qc_pipeline.sample.checks import check_identities, align_text_exports
from qc_pipeline.sample.csvfiles import BadRow, arrange_exports
from qc_pipeline.sample.model import Msg, Session
from qc_pipeline.sample.order_plan import plan_orders
from qc_pipeline.sample.orders import Order
from qc_pipeline.sample.period import Period, fmt
from qc_pipeline.sample.planted import PLANTED_BUYERS, plan_planted
from qc_pipeline.sample.planted_orders import plant_orders
from qc_pipeline.sample.remarks import RemarkPlan, plan_remarks, remark_text
from qc_pipeline.sample.scenarios import BuyerBook, plan_ordinary
from qc_pipeline.sample.shops import MAIN_SHOP, SHOPS, agent_roles
from qc_pipeline.sample.standard_truth import check_standard
from qc_pipeline.sample.texts import buyer_nicks
from qc_pipeline.sample.violations import pick_violations

POOL_SIZES = {"星河服饰旗舰店": 650, "云朵母婴专营店": 70}
SILENT_BUYERS_PER_SHOP = {"星河服饰旗舰店": 5, "云朵母婴专营店": 2}


@dataclass
class SamplePlan:
    seed: int
    period: Period
    sessions: list[Session]
    bad_rows: dict[str, list[BadRow]]
    orders: list[Order]
    violations: list[dict] = field(default_factory=list)
    remarks: RemarkPlan = field(default_factory=lambda: RemarkPlan({}, {}, {}))


def streams(seed: int):
    """A fresh random stream per purpose."""
    return lambda purpose: random.Random(f"chat-qc-sample:{seed}:{purpose}")


def _bad_rows(rng: random.Random, sessions: list[Session], period: Period) -> dict[str, list[BadRow]]:
    shop_sessions = [s for s in sessions if s.shop == MAIN_SHOP and not s.cases]
    pick = lambda kind: rng.choice([s for s in shop_sessions if s.kind == kind])  # noqa: E731
    acc = lambda name: f"{MAIN_SHOP}:{name}"  # noqa: E731
    when = fmt(period.at(2, "15:20:11"))
    return {
        catalog.PRESALE_CSV: [
            BadRow((MAIN_SHOP, pick("presale").buyer, acc("小雅"), "buyer", "昨天下午3点", "昨天问的那件还有货吗"),
                   "unreadable time", "sent_at", 0.23),
            BadRow((MAIN_SHOP, pick("presale").buyer, acc("阿杰"), "agent", "昨天下午3点", "亲，已经帮您备注好了"),
                   "unreadable time", "sent_at", 0.51),
            BadRow((MAIN_SHOP, pick("presale").buyer, acc("小鹿"), "guest", when, "你好"),
                   "unknown role", "role", 0.67),
            BadRow((MAIN_SHOP, "", acc("小满"), "buyer", when, "这个多少钱"), "empty buyer", "buyer", 0.82),
        ],
        catalog.AFTERSALE_CSV: [
            BadRow((MAIN_SHOP, pick("aftersale").buyer, acc("小周"), "agent", "昨天下午3点", "您好，退款已经处理了"),
                   "unreadable time", "sent_at", 0.4),
        ],
    }


def _apply_violations(sessions: list[Session], seed: int) -> list[dict]:
    replies: list[Msg] = [m for s in sessions for m in s.msgs if m.role == "agent"]
    planted = []
    for i, (category, text, words) in sorted(pick_violations(len(replies), seed).items()):
        msg = replies[i]
        if msg.planted:
            continue  # a planted promise or reminder keeps its wording
        msg.text = text
        planted.append({
            "shop": msg.shop, "buyer": msg.buyer, "agent": msg.agent, "sent_at": fmt(msg.at),
            "category": category, "text": text, "words": list(words),
        })
    return planted


def plan_sample(seed: int = 7, weeks: int = 2, end_week: str = "2026-W47", *, violations: bool = False) -> SamplePlan:
    """Every conversation, bad row and order of the sample, before anything is written."""
    stream = streams(seed)
    period = Period.ending(end_week, weeks)
    ids = itertools.count(1)
    sessions = plan_planted(ids, period)
    pool_rng = stream("buyers")
    pools = {name: buyer_nicks(pool_rng, n, set(PLANTED_BUYERS)) for name, n in POOL_SIZES.items()}
    book = BuyerBook(pools)
    sessions += plan_ordinary(stream("days"), ids, period, SHOPS, book)
    sessions.sort(key=lambda s: (s.started_at, s.shop, s.buyer))
    align_text_exports(sessions)
    check_identities(sessions)
    arrange_exports([s for s in sessions if s.files[0] in (catalog.PRESALE_CSV, catalog.AFTERSALE_CSV)],
                    stream("layout"))
    chatted = {(s.shop, s.buyer) for s in sessions}
    quiet = {name: [b for b in pools[name] if (name, b) not in chatted][: SILENT_BUYERS_PER_SHOP[name]]
             for name in pools}
    orders = plan_orders(stream("orders"), sessions, {s.name: s for s in SHOPS}, period, quiet, agent_roles(),
                         set(PLANTED_BUYERS), plant_orders)
    remarks = plan_remarks(stream("remarks"), orders)
    for order in orders:
        order.remark = remark_text(remarks.current.get(order.order_id, []))
    plan = SamplePlan(seed, period, sessions, _bad_rows(stream("bad"), sessions, period), orders, remarks=remarks)
    if violations:
        plan.violations = _apply_violations(sessions, seed)
    check_standard(sessions, load_config())
    return plan
