"""Building one conversation message by message, recording each round's truth as it is planned.

A reply is placed from a planned on-duty wait. Within one duty day (08:30 to 00:30 the next morning)
every second is on duty, so the reply time is the round's first buyer message plus the wait. Waits
that span off-duty hours are written out explicitly by the caller (reply time, clock start and wait
together), never derived here.
"""
from __future__ import annotations

import datetime as dt
import itertools

from qc_pipeline.sample.model import Msg, Note, Round, Session
from qc_pipeline.sample.period import duty_day


class PlanError(AssertionError):
    """A planned conversation breaks one of the rules that keep its truth exact."""


class Conversation:
    def __init__(
        self, ids: itertools.count, shop: str, buyer: str, agent: str, kind: str, files: list[str],
        cases: tuple[str, ...] = (),
    ):
        self._ids = ids
        self.shop, self.buyer, self.kind = shop, buyer, kind
        self.serving = agent  # whom the buyer is talking to; carried on the buyer's rows
        self.files = list(files)
        self.cases = list(cases)
        self.msgs: list[Msg] = []
        self.rounds: list[Round] = []
        self.notes: list[Note] = []
        self._open: Round | None = None

    @property
    def last_at(self) -> dt.datetime:
        return self.msgs[-1].at

    @property
    def last_event_at(self) -> dt.datetime:
        """The last message or note: the next buyer line must come after a transfer it follows."""
        return max([self.last_at, *(n.at for n in self.notes)])

    @property
    def open_round(self) -> Round | None:
        return self._open

    def _add(self, role: str, at: dt.datetime, text: str, agent: str | None, same_second: bool) -> Msg:
        if self.msgs:
            if at < self.last_at or (at == self.last_at and not same_second):
                raise PlanError(f"{self.buyer}: message at {at} does not follow {self.last_at}")
        msg = Msg(next(self._ids), self.shop, self.buyer, agent, role, at, text)
        self.msgs.append(msg)
        return msg

    def ask(
        self, at: dt.datetime, text: str, *, clock_start: dt.datetime | None = None,
        cases: tuple[str, ...] = (), same_second: bool = False,
    ) -> Msg:
        """A buyer message; it opens a round unless one is already waiting for a reply."""
        msg = self._add("buyer", at, text, self.serving, same_second)
        if self._open is None:
            self._open = Round(
                round_no=len(self.rounds) + 1,
                started_at=at,
                clock_start=clock_start or at,
                buyer_msgs=[msg],
                serving_agent=self.serving,
                cases=list(cases),
            )
        else:
            self._open.buyer_msgs.append(msg)
            self._open.serving_agent = self.serving
            self._open.cases.extend(c for c in cases if c not in self._open.cases)
        return msg

    def auto(self, at: dt.datetime, text: str, agent: str | None = None) -> Msg:
        return self._add("auto", at, text, agent or self.serving, False)

    def system(self, at: dt.datetime, text: str) -> Msg:
        return self._add("system", at, text, None, False)

    def answer(
        self, text: str, *, wait: int, at: dt.datetime | None = None, agent: str | None = None,
        cases: tuple[str, ...] = (), same_second: bool = False,
    ) -> Msg:
        """The human reply that ends the open round, `wait` on-duty seconds after its first buyer message.

        Without `at` the reply is placed at first-message + wait, which is only right inside one duty
        day; with `at` the caller has worked the off-duty part out by hand."""
        rnd = self._open
        if rnd is None:
            raise PlanError(f"{self.buyer}: a reply with no open round")
        if at is None:
            at = rnd.started_at + dt.timedelta(seconds=wait)
            if rnd.clock_start != rnd.started_at or duty_day(rnd.started_at) is None or (
                duty_day(rnd.started_at) != duty_day(at)
            ):
                raise PlanError(f"{self.buyer}: {rnd.started_at} -> {at} leaves the duty day; give `at`")
        msg = self._add("agent", at, text, agent or self.serving, same_second)
        rnd.reply, rnd.wait_seconds = msg, wait
        rnd.cases.extend(c for c in cases if c not in rnd.cases)
        self.rounds.append(rnd)
        self._open = None
        return msg

    def say(self, at: dt.datetime, text: str, agent: str | None = None) -> Msg:
        """An agent message that answers no round (the agent writes first, or adds a second line)."""
        if self._open is not None:
            raise PlanError(f"{self.buyer}: an agent message at {at} would answer the open round")
        return self._add("agent", at, text, agent or self.serving, False)

    def transfer(self, at: dt.datetime, to_agent: str) -> None:
        """Hand the buyer to another agent: later buyer rows carry the new agent."""
        self.notes.append(Note(at, "transfer", source=self.serving, target=to_agent))
        self.serving = to_agent

    def note(self, at: dt.datetime, kind: str, text: str = "") -> None:
        self.notes.append(Note(at, kind, text))

    def build(self) -> Session:
        if self._open is not None:
            self.rounds.append(self._open)
            self._open = None
        if not self.msgs:
            raise PlanError(f"{self.buyer}: empty conversation")
        return Session(self.shop, self.buyer, self.kind, self.msgs, self.rounds, self.notes, self.files, self.cases)
