"""The planned sample: shops, agents, messages, rounds and sessions, before anything is written."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from qc_pipeline.sample.texts import Item, Topic


@dataclass(frozen=True)
class Agent:
    account: str  # the sub-account exactly as exports write it, 店铺名:客服名
    name: str
    team: str
    role: str  # presale | aftersale
    shift: str  # early | late | all: which sessions an agent is given
    first_median_s: float  # typical first-reply wait, for ordinary conversations
    follow_median_s: float
    conversion: float = 0.0  # share of the agent's weekly inquiries that end in a paid order


@dataclass(frozen=True)
class Shop:
    name: str
    shop_id: str
    agents: tuple[Agent, ...]
    items: tuple[Item, ...]
    presale_topics: tuple[Topic, ...]

    def agents_for(self, role: str, t: dt.datetime) -> list[Agent]:
        half = "early" if t.time() < dt.time(16, 30) else "late"
        return [a for a in self.agents if a.role == role and a.shift in (half, "all")]

    def agent(self, name: str) -> Agent:
        return next(a for a in self.agents if a.name == name)


@dataclass
class Msg:
    uid: int
    shop: str
    buyer: str
    agent: str | None
    role: str  # buyer | agent | auto | system
    at: dt.datetime
    text: str
    short_time: bool = False  # written as H:MM in the web page layout (only for times on a whole minute)
    # Hand-planted service-standard texts (standard_truth.py): the clause the wording is there for
    # (promise | reminder | auto_date), what the truth must say of it (a promise's status, an
    # auto-reply's stale | fresh) and the case tag its truth row carries.
    planted: str | None = None
    expect: str | None = None
    case: str | None = None

    def content_key(self) -> tuple:
        """What makes two records the same message; the buyer row's agent is the reader's inference."""
        return (self.shop, self.buyer, self.role, self.at, self.text, None if self.role == "buyer" else self.agent)


@dataclass
class Note:
    """A non-message line in a text export: a transfer, a recall or a system note."""

    at: dt.datetime
    kind: str  # transfer | recall | system
    text: str = ""
    source: str | None = None  # transfer: from-account
    target: str | None = None  # transfer: to-account


@dataclass
class Round:
    round_no: int
    started_at: dt.datetime
    clock_start: dt.datetime
    buyer_msgs: list[Msg]
    serving_agent: str  # whom the buyer was talking to when the round opened or last wrote
    reply: Msg | None = None
    wait_seconds: int | None = None
    cases: list[str] = field(default_factory=list)

    @property
    def agent(self) -> str:
        """Answered: the agent who replied. Unanswered: the agent on the round's last buyer message."""
        if self.reply is not None:
            return self.reply.agent
        return self.buyer_msgs[-1].agent


@dataclass
class Session:
    shop: str
    buyer: str
    kind: str  # presale | aftersale
    msgs: list[Msg]
    rounds: list[Round]
    notes: list[Note]
    files: list[str]  # file keys; the first one is where the conversation comes from
    cases: list[str] = field(default_factory=list)
    export_order: list[Msg] | None = None  # when the export lists rows in another order than they happened
    export_late: bool = False  # listed after every other conversation of its file

    @property
    def started_at(self) -> dt.datetime:
        return self.msgs[0].at

    @property
    def ended_at(self) -> dt.datetime:
        return self.msgs[-1].at
