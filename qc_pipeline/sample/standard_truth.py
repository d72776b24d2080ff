"""The service-standard sections of truth.json: promises, payment reminders, handovers, stale auto-replies.

Plain Python over the planned messages, rounds and orders, written from docs/metrics.md ("Service-standard
clauses", "Stale auto-replies", "Shift handovers") without the pipeline's polars code. The wording is the
shipped data itself: lexicons.toml and auto_reply_dates.toml are read here with tomllib and matched with
`re`, so a changed lexicon changes the truth and the sample together.

Exactness rests on `check_standard`: a text matching a clause's wording is either hand-planted for that
clause (`Msg.planted`) or the generator refuses the plan, and every planted expectation (`Msg.expect`) must
be what the definitions give.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from qc_pipeline.config import Config
from qc_pipeline.sample.conversation import PlanError
from qc_pipeline.sample.model import Msg, Session
from qc_pipeline.sample.orders import Order
from qc_pipeline.sample.period import fmt, iso_week
from qc_pipeline.sample.truth import _primary_agent

# The lexicon files, read as data (not through qc_pipeline.standard, whose results this truth checks).
STANDARD_DIR = Path(__file__).resolve().parents[1] / "standard"
# What a hand-planted text is written for (Msg.planted).
PROMISE, REMINDER, AUTO_DATE = "promise", "reminder", "auto_date"
_NOT_WORD = re.compile(r"[\W_]+")
# Within one second: buyer first, then auto and system, then agent (CLARIFICATIONS.md, Messages).
_ROLE_RANK = {"buyer": 0, "auto": 1, "system": 1, "agent": 2}


@lru_cache(maxsize=None)
def _entries(file: str, table: str) -> tuple[tuple[str, re.Pattern, dict], ...]:
    data = tomllib.loads((STANDARD_DIR / file).read_text(encoding="utf-8"))
    return tuple((e["id"], re.compile(e["pattern"]), e) for e in data.get(table, []))


def promise_id(text: str) -> str | None:
    """The first [[promise]] entry the text matches."""
    return next((i for i, p, _ in _entries("lexicons.toml", "promise") if p.search(text)), None)


def is_reminder(text: str) -> bool:
    return any(p.search(text) for _, p, _ in _entries("lexicons.toml", "reminder"))


def is_substantive(text: str) -> bool:
    """Something is left once every pleasantry, punctuation mark, emoji and space is taken out."""
    # One alternation, leftmost match first, as the stage applies it.
    alternation = "|".join(f"(?:{p.pattern})" for _, p, _ in _entries("lexicons.toml", "pleasantry"))
    return bool(_NOT_WORD.sub("", re.sub(alternation, "", text)))


def names_a_date(text: str) -> bool:
    """The auto-reply names a sales event or a closing date of auto_reply_dates.toml (stale or not)."""
    return any(p.search(text) for table in ("event", "until") for _, p, _ in _entries("auto_reply_dates.toml", table))


def stale_verdict(text: str, sent: dt.date) -> tuple[str, dt.date] | None:
    """(entry id, announced last day) when the text, sent on `sent`, announces a day already past."""
    for entry_id, pattern, entry in _entries("auto_reply_dates.toml", "event"):
        if pattern.search(text):
            month, day = map(int, entry["ends"].split("-"))
            end = dt.date(sent.year, month, day)  # the sample has no 02-29 event
            if sent > end:
                return entry_id, end
    for entry_id, pattern, _ in _entries("auto_reply_dates.toml", "until"):
        for m in pattern.finditer(text):
            try:
                end = dt.date(sent.year, int(m["month"]), int(m["day"]))
            except ValueError:  # 13月 or 2月30日: not a date
                continue
            # More than six months away: the neighbouring year's date.
            if (end - sent).days > 183:
                end = end.replace(year=end.year - 1)
            elif (sent - end).days > 183:
                end = end.replace(year=end.year + 1)
            if sent > end:
                return entry_id, end
    return None


def _conversation(msgs: list[Msg]) -> list[Msg]:
    return sorted(msgs, key=lambda m: (m.at, _ROLE_RANK[m.role]))


def _by_buyer(sessions: list[Session]) -> dict[tuple[str, str], list[Msg]]:
    out: dict[tuple[str, str], list[Msg]] = defaultdict(list)
    for s in sessions:
        out[(s.shop, s.buyer)].extend(s.msgs)
    return {k: _conversation(v) for k, v in out.items()}


def shop_latest(sessions: list[Session]) -> dict[str, dt.datetime]:
    latest: dict[str, dt.datetime] = {}
    for s in sessions:
        latest[s.shop] = max(latest.get(s.shop, s.ended_at), s.ended_at)
    return latest


def promise_rows(sessions: list[Session], config: Config) -> list[tuple[dict, Msg]]:
    """Every promising human agent message with the first substantive reply after it."""
    due_h, follow_h = config.promise_due_hours, config.promise_follow_hours
    latest = shop_latest(sessions)
    rows = []
    for (shop, buyer), msgs in sorted(_by_buyer(sessions).items()):
        said = [m for m in msgs if m.role == "agent"]
        for m in said:
            lexicon_id = promise_id(m.text)
            if lexicon_id is None:
                continue
            due = m.at + dt.timedelta(hours=due_h)
            keeper = next((k for k in said if k.at > m.at and promise_id(k.text) is None and is_substantive(k.text)),
                          None)
            if keeper is not None and keeper.at > m.at + dt.timedelta(hours=follow_h):
                keeper = None
            if keeper is not None:
                status = "kept" if keeper.at <= due else "late"
            else:
                status = "open" if due > latest[shop] else "broken"
            rows.append(({
                "shop": shop, "buyer": buyer, "agent": m.agent, "promised_at": fmt(m.at), "due": fmt(due),
                "status": status, "kept_by": keeper.agent if keeper else None,
                "kept_at": fmt(keeper.at) if keeper else None,
                "keep_seconds": (keeper.at - m.at).total_seconds() if keeper else None,
                "lexicon_id": lexicon_id, "week": iso_week(m.at), "case": m.case,
            }, m))
    return rows


def reminder_rows(sessions: list[Session], orders: list[Order], config: Config) -> list[dict]:
    """Orders that waited for payment and got a reminder (催付) before paying and before the auto-close."""
    close = dt.timedelta(hours=config.payment_close_hours)
    reminders: dict[tuple[str, str], list[Msg]] = defaultdict(list)
    for key, msgs in _by_buyer(sessions).items():
        reminders[key] = [m for m in msgs if m.role == "agent" and is_reminder(m.text)]
    rows = []
    for o in sorted(orders, key=lambda o: (o.shop.name, o.buyer, o.created_at, o.order_id)):
        if o.paid_at is not None and o.paid_at <= o.created_at:
            continue  # paid when created: it never waited
        deadline = o.created_at + close
        hits = [m for m in reminders.get((o.shop.name, o.buyer), [])
                if o.created_at <= m.at <= deadline and (o.paid_at is None or m.at < o.paid_at)]
        if not hits:
            continue
        rows.append({
            "order_id": o.order_id, "shop": o.shop.name, "buyer": o.buyer, "created_at": fmt(o.created_at),
            "close_deadline": fmt(deadline), "paid_at": fmt(o.paid_at), "status": o.status,
            "reminded_at": fmt(hits[0].at), "reminded_by": hits[0].agent, "reminders": len(hits),
            "reminding_agents": len({m.agent for m in hits}), "paid_after_reminder": o.paid_at is not None,
            "week": iso_week(o.created_at), "cases": list(o.cases),
        })
    return rows


def stale_rows(sessions: list[Session]) -> list[tuple[dict, Msg]]:
    rows = []
    for s in sorted(sessions, key=lambda s: (s.shop, s.buyer, s.started_at)):
        for m in s.msgs:
            verdict = stale_verdict(m.text, m.at.date()) if m.role == "auto" else None
            if verdict is not None:
                rows.append(({
                    "shop": s.shop, "buyer": s.buyer, "agent": m.agent, "sent_at": fmt(m.at), "text": m.text,
                    "lexicon_id": verdict[0], "announced_end": verdict[1].isoformat(), "week": iso_week(m.at),
                    "case": m.case,
                }, m))
    return rows


# --- shift handovers ---------------------------------------------------------------------------------

class Duty:
    """The configured shifts as wall-clock intervals, one set per day."""

    def __init__(self, config: Config):
        self.shifts = [(s["name"], dt.time.fromisoformat(s["start"]), dt.time.fromisoformat(s["end"]))
                       for s in config.raw["shifts"]]

    def windows(self, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, dt.datetime, str]]:
        out = []
        day = first - dt.timedelta(days=1)
        while day <= last:
            for name, start, end in self.shifts:
                a = dt.datetime.combine(day, start)
                b = dt.datetime.combine(day + dt.timedelta(days=1) if end <= start else day, end)
                out.append((a, b, name))
            day += dt.timedelta(days=1)
        return sorted(out)

    def on_duty_seconds(self, a: dt.datetime, b: dt.datetime) -> float:
        """On-duty seconds from a to b (negative when b is before a); the shipped shifts do not overlap."""
        if b < a:
            return -self.on_duty_seconds(b, a)
        total = 0.0
        for start, end, _ in self.windows(a.date(), b.date()):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def first_end_after(self, t: dt.datetime) -> tuple[dt.datetime, str]:
        ends = []
        for day in (t.date() - dt.timedelta(days=1), t.date(), t.date() + dt.timedelta(days=1)):
            for name, start, end in self.shifts:
                at = dt.datetime.combine(day + dt.timedelta(days=1) if end <= start else day, end)
                ends.append((at, name))
        # Two shifts ending at once: the first listed names the end (min keeps the first of equal times).
        return min((e for e in ends if e[0] > t), key=lambda e: e[0])

    def next_on_duty(self, t: dt.datetime) -> tuple[dt.datetime, str]:
        """The first on-duty moment at or after t, and the shift on duty then."""
        windows = self.windows(t.date(), t.date() + dt.timedelta(days=1))
        inside = [(start, name) for start, end, name in windows if start <= t < end]
        if inside:
            return t, max(inside)[1]  # the most recently started
        start, _, name = min(w for w in windows if w[0] > t)
        return start, name


def handover_rows(sessions: list[Session], config: Config) -> list[dict]:
    """Rounds still waiting for a human reply at the first shift end after their first buyer message."""
    if not config.raw["shifts"]:
        return []
    duty = Duty(config)
    rows = []
    for s in sorted(sessions, key=lambda s: (s.shop, s.buyer, s.started_at)):
        ordered = _conversation(s.msgs)
        for rnd in s.rounds:
            end, shift = duty.first_end_after(rnd.started_at)
            if rnd.reply is not None:
                if rnd.reply.at < end:
                    continue
            elif duty.on_duty_seconds(s.ended_at, end) >= config.idle_seconds:
                continue  # the session was over before the shift ended
            named = [m.agent for m in ordered if m.role in ("buyer", "agent") and m.agent and m.at < end]
            next_start, next_shift = duty.next_on_duty(end)
            answered = rnd.reply is not None
            # On-duty seconds from the next shift's start to the reply; 0 for a reply before it (off duty).
            waited = max(0.0, duty.on_duty_seconds(next_start, rnd.reply.at)) if answered else None
            rows.append({
                "shop": s.shop, "buyer": s.buyer, "session_started_at": fmt(s.started_at), "round_no": rnd.round_no,
                "started_at": fmt(rnd.started_at), "left_by": named[-1] if named else _primary_agent(s),
                "shift_name": shift, "shift_ended_at": fmt(end), "next_shift": next_shift,
                "next_shift_started_at": fmt(next_start),
                "answered_at": fmt(rnd.reply.at) if answered else None,
                "answered_by": rnd.agent if answered else None,
                "wait_after_shift_start_s": waited,
                "status": "answered" if answered else "unanswered", "week": iso_week(rnd.started_at),
                "cases": list(rnd.cases),
            })
    return rows


# --- the check and the truth sections ----------------------------------------------------------------

def _matches(m: Msg) -> str | None:
    """The clause whose wording the message carries, if any."""
    if m.role == "agent" and promise_id(m.text):
        return PROMISE
    if m.role == "agent" and is_reminder(m.text):
        return REMINDER
    if m.role == "auto" and names_a_date(m.text):
        return AUTO_DATE
    return None


def check_standard(sessions: list[Session], config: Config) -> None:
    """Refuse a plan whose clause wording is anywhere but in the hand-planted texts, or whose planted
    promises and auto-replies do not come out as planned."""
    for s in sessions:
        for m in s.msgs:
            found = _matches(m)
            if found != m.planted:
                raise PlanError(f"{s.buyer} {fmt(m.at)} {m.role} {m.text!r}: reads as {found or 'no clause'}, "
                                f"planted as {m.planted or 'no clause'}")
    for row, m in promise_rows(sessions, config):
        if m.expect is not None and row["status"] != m.expect:
            raise PlanError(f"{m.buyer} {fmt(m.at)}: promise planned {m.expect}, the definitions give {row['status']}")
    stale = {id(m) for _, m in stale_rows(sessions)}
    for s in sessions:
        for m in s.msgs:
            if m.role == "auto" and m.expect is not None and (m.expect == "stale") != (id(m) in stale):
                raise PlanError(f"{m.buyer} {fmt(m.at)}: auto-reply planned {m.expect}, the definitions disagree")


def standard_truth(sessions: list[Session], orders: list[Order], config: Config) -> dict:
    return {
        "promises": [row for row, _ in promise_rows(sessions, config)],
        "payment_reminders": reminder_rows(sessions, orders, config),
        "handovers": handover_rows(sessions, config),
        "stale_auto_replies": [row for row, _ in stale_rows(sessions)],
    }
