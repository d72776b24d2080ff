"""Who said what, for layouts that name only the sender of each message.

A sender holding ':' is a shop sub-account (``店铺名:客服名``): the agent side, its shop the part before
the first ':'. Its message is an auto-reply when the text matches one of the configured patterns.
Any other sender is the buyer. A buyer line is attributed to the agent serving the buyer at that
moment: the latest agent-side sender before it (or the target of a later transfer line), else the
first agent-side sender after it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

NO_AGENT = "no shop sub-account in this file to attribute the buyer's messages"
NO_BUYER = "no buyer in this file to attribute the agent's messages"

STAGE_SCHEMA = {
    "shop": pl.Utf8, "buyer": pl.Utf8, "agent": pl.Utf8, "role": pl.Utf8, "sent_at": pl.Utf8,
    "text": pl.Utf8, "source_line": pl.Int64, "problem": pl.Utf8, "raw": pl.Utf8,
}


@dataclass
class Said:
    sender: str | None
    time: str | None  # date and time as written, for the shared time reader
    text: str
    line: int
    raw: str
    side: str | None = None  # "agent" | "buyer"; None: decided by the ':' rule
    buyer: str | None = None  # the buyer, when the layout names it beside each line
    problem: str | None = None  # the record is broken: quarantined with this reason


@dataclass
class Transfer:
    source: str
    target: str
    line: int


def shop_of(account: str) -> str:
    return account.split(":", 1)[0]


def side_of(event: Said) -> str:
    return event.side or ("agent" if ":" in (event.sender or "") else "buyer")


class Speakers:
    def __init__(self, auto_reply_patterns: list[str]):
        self._auto = [re.compile(p) for p in auto_reply_patterns]

    def is_auto(self, text: str) -> bool:
        return any(p.search(text) for p in self._auto)

    def rows(self, events: list[Said | Transfer], buyer: str | None = None, fallback_agent: str | None = None) -> list[dict]:
        """Stage rows, in event order, for one conversation (``buyer`` when the layout names it)."""
        said = [e for e in events if isinstance(e, Said)]
        # Forward: who served the buyer so far. Backward: for lines before anyone answered, who did next.
        agent_for: dict[int, str | None] = {}
        buyer_for: dict[int, str | None] = {}
        current_agent, current_buyer = None, buyer
        for event in events:
            if isinstance(event, Transfer):
                current_agent = event.target
            elif event.sender:
                if side_of(event) == "agent":
                    current_agent = event.sender
                    buyer_for[id(event)] = event.buyer or current_buyer
                else:
                    current_buyer = buyer or event.sender
                    agent_for[id(event)] = current_agent
        next_agent, next_buyer = None, None
        for event in reversed(events):
            if isinstance(event, Transfer):
                next_agent = event.source
            elif event.sender:
                if side_of(event) == "agent":
                    buyer_for[id(event)] = buyer_for[id(event)] or next_buyer
                    next_agent = event.sender
                else:
                    agent_for[id(event)] = agent_for[id(event)] or next_agent or fallback_agent
                    next_buyer = event.buyer or event.sender
        return [self._row(e, agent_for.get(id(e)), buyer_for.get(id(e))) for e in said]

    def _row(self, event: Said, agent: str | None, buyer: str | None) -> dict:
        row = {
            "shop": None, "buyer": None, "agent": None, "role": None, "sent_at": event.time,
            "text": event.text, "source_line": event.line, "problem": event.problem, "raw": event.raw,
        }
        if event.problem is not None:
            return row
        if side_of(event) == "agent":
            row |= {
                "shop": shop_of(event.sender), "agent": event.sender, "buyer": buyer,
                "role": "auto" if self.is_auto(event.text) else "agent",
                "problem": None if buyer else NO_BUYER,
            }
        else:
            row |= {
                "buyer": event.buyer or event.sender, "agent": agent, "role": "buyer",
                "shop": shop_of(agent) if agent else None, "problem": None if agent else NO_AGENT,
            }
        return row


def stage_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=STAGE_SCHEMA) if rows else pl.DataFrame(schema=STAGE_SCHEMA)


def first_agent(events: list) -> str | None:
    for event in events:
        if isinstance(event, Said) and event.sender and side_of(event) == "agent":
            return event.sender
    return None
