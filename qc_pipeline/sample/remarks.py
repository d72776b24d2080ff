"""Order remarks (订单备注) in the sample, with what order_remarks must read from each.

Every remark is built from its parts (content, agent name, time, separators), so its reading is known
when it is written: well-formed lines in every written form the format allows, and malformed ones of each
kind (no time, an impossible date, no name, a name not in the roster, no content). An earlier export of
a few orders (catalog.ORDERS_EARLY, the orders as they were before payment) carries the remark as it was
then: one another agent's later remark replaced (an overwrite), one a colleague appended to, one its own
author rewrote, and one unchanged. The truth rows are worked out here from the parts, never by parsing.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from decimal import Decimal

from qc_pipeline.sample.orders import UNPAID, Order
from qc_pipeline.sample.period import fmt
from qc_pipeline.sample.shops import MAIN_SHOP, SHOPS

REMARK_SHARE = 0.3       # orders with a remark
MALFORMED_SHARE = 0.2    # of those, malformed
CONTENTS = ("改地址", "赠品已备注", "顺丰发货", "加急发货", "改成L码", "已退差价", "开发票", "合并发货", "缺货待补",
            "买家要求改颜色")
SEPARATORS = ("—", "——", "-", "/", " ")
NOT_IN_ROSTER = "小丽"
# (written form, precision): how an agent may write the time. Precision "minute" keeps hour and minute,
# "hour" the hour, "day" the date only.
TIME_FORMS = (
    ("{m}.{d} {H}:{M:02d}", "minute"),
    ("{Y}-{m:02d}-{d:02d} {H:02d}:{M:02d}", "minute"),
    ("{m}-{d}", "day"),
    ("{m}月{d}日{H}点", "hour"),
    ("{m:02d}{d:02d}", "day"),
)
MALFORMED = ("no time", "impossible date", "no agent name", "agent not in roster", "no content")


@dataclass(frozen=True)
class Remark:
    """One planned remark line and what reading it must give."""
    line: str
    content: str
    name: str | None
    agent: str | None          # the roster sub-account it names
    written_at: dt.datetime | None
    problem: str | None        # None: well formed


def _time_text(at: dt.datetime, form: str) -> str:
    return form.format(Y=at.year, m=at.month, d=at.day, H=at.hour, M=at.minute)


def _read_time(at: dt.datetime, precision: str) -> dt.datetime:
    if precision == "day":
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(second=0, microsecond=0)


def well_formed(rng: random.Random, agent_account: str, at: dt.datetime, content: str | None = None,
                minute: bool = False) -> Remark:
    name = agent_account.split(":", 1)[1]
    forms = [f for f in TIME_FORMS if f[1] == "minute"] if minute else list(TIME_FORMS)
    form, precision = rng.choice(forms)
    content = content or rng.choice(CONTENTS)
    sep = rng.choice(SEPARATORS)
    line = f"{content}{sep}{name}{sep}{_time_text(at, form)}"
    return Remark(line, content, name, agent_account, _read_time(at, precision), None)


def malformed(rng: random.Random, kind: str, agent_account: str, at: dt.datetime) -> Remark:
    name = agent_account.split(":", 1)[1]
    form, precision = rng.choice(TIME_FORMS)
    content, sep = rng.choice(CONTENTS), rng.choice(SEPARATORS)
    when = _time_text(at, form)
    if kind == "no time":
        return Remark(f"{content}{sep}{name}", content, name, agent_account, None, kind)
    if kind == "impossible date":
        # month 13: the time is there, but no such day
        return Remark(f"{content}{sep}{name}{sep}13.{at.day}", content, name, agent_account, None, kind)
    if kind == "no agent name":
        return Remark(f"{content}{sep}{when}", content, None, None, _read_time(at, precision), kind)
    if kind == "agent not in roster":
        return Remark(f"{content}{sep}{NOT_IN_ROSTER}{sep}{when}", content, NOT_IN_ROSTER, None,
                      _read_time(at, precision), kind)
    if kind == "no content":
        return Remark(f"{name}{sep}{when}", "", name, agent_account, _read_time(at, precision), kind)
    raise ValueError(kind)


def _author(order: Order) -> str | None:
    """Who writes the order's remark: the presale agent the plan credits with it, else none (no remark)."""
    for outcome in order.expect.values():
        if outcome.credited:
            return outcome.credited
    return None


@dataclass
class RemarkPlan:
    current: dict[str, list[Remark]]   # order_id -> the lines of its 订单备注 in the order report
    earlier: dict[str, list[Remark]]   # order_id -> the lines of the earlier export (ORDERS_EARLY)
    cases: dict[str, str]              # order_id -> the earlier-export case it plants

    def earlier_orders(self, orders: list[Order]) -> list[Order]:
        """The orders as the earlier export shows them: just created, not yet paid."""
        return [replace(o, paid_at=None, status=UNPAID, amount=Decimal("0.00"), refund=Decimal("0.00"),
                        close_reason="") for o in orders if o.order_id in self.earlier]


def plan_remarks(rng: random.Random, orders: list[Order]) -> RemarkPlan:
    """Remarks for about REMARK_SHARE of the orders with a credited agent; the first few remarked orders
    of the main shop also get the earlier export's cases, in this order."""
    plan = RemarkPlan({}, {}, {})
    kinds = iter(MALFORMED * 4)
    colleagues = {s.name: [a.account for a in s.agents if a.role == "presale"] for s in SHOPS}
    earlier_cases = ["overwritten", "appended", "own_rewrite", "unchanged"]
    for order in sorted(orders, key=lambda o: (o.created_at, o.order_id)):
        author = _author(order)
        if author is None or rng.random() >= REMARK_SHARE:
            continue
        first_at = order.created_at + dt.timedelta(minutes=rng.randint(2, 90))
        if order.shop.name == MAIN_SHOP and earlier_cases:
            case = earlier_cases.pop(0)
            other = next(a for a in colleagues[MAIN_SHOP] if a != author)
            later_at = first_at + dt.timedelta(hours=rng.randint(2, 20), minutes=rng.randint(1, 59))
            first = well_formed(rng, author, first_at, minute=True)
            if case == "overwritten":
                plan.earlier[order.order_id] = [first]
                plan.current[order.order_id] = [well_formed(rng, other, later_at, minute=True)]
            elif case == "appended":
                plan.earlier[order.order_id] = [first]
                plan.current[order.order_id] = [first, well_formed(rng, other, later_at, minute=True)]
            elif case == "own_rewrite":
                plan.earlier[order.order_id] = [first]
                plan.current[order.order_id] = [well_formed(rng, author, later_at, minute=True)]
            else:
                plan.earlier[order.order_id] = [first]
                plan.current[order.order_id] = [first]
            plan.cases[order.order_id] = case
            continue
        if rng.random() < MALFORMED_SHARE:
            line = malformed(rng, next(kinds, "no time"), author, first_at)
        else:
            line = well_formed(rng, author, first_at)
        plan.current[order.order_id] = [line]
    if earlier_cases:
        raise ValueError(f"the sample has too few remarked orders of {MAIN_SHOP} to plant {earlier_cases}")
    return plan


def remark_text(lines: list[Remark]) -> str:
    return "\n".join(r.line for r in lines)


def remark_truth(plan: RemarkPlan, orders: list[Order]) -> list[dict]:
    """The order_remarks rows, from the parts: one per distinct (order, line) of either export."""
    by_id = {o.order_id: o for o in orders}
    rows = []
    for order_id in sorted(set(plan.current) | set(plan.earlier)):
        order = by_id[order_id]
        now, then = plan.current.get(order_id, []), plan.earlier.get(order_id, [])
        seen = []
        for r in [*now, *then]:
            if r.line not in [s.line for s in seen]:
                seen.append(r)
        for r in seen:
            overwritten_by = overwritten_at = None
            if r not in now and r.agent and r.written_at:
                # the current export lacks it: replaced by another author's later remark there, if any
                later = sorted((n.written_at, n.agent) for n in now
                               if n.agent and n.agent != r.agent and n.written_at and n.written_at > r.written_at)
                if later:
                    overwritten_at, overwritten_by = later[0]
            rows.append({
                "order_id": order_id, "shop": order.shop.name, "buyer": order.buyer, "line": r.line,
                "content": r.content, "agent_name": r.name, "agent": r.agent, "written_at": fmt(r.written_at),
                "status": "malformed" if r.problem else "ok", "problem": r.problem,
                "still_on_order": r in now, "overwritten_by": overwritten_by, "overwritten_at": fmt(overwritten_at),
                "case": plan.cases.get(order_id),
            })
    return rows
