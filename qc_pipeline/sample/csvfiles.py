"""Canonical chat CSVs (shop,buyer,agent,role,sent_at,text) and the roster CSV."""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from qc_pipeline.sample.model import Session, Shop
from qc_pipeline.sample.period import fmt

CHAT_HEADER = ("shop", "buyer", "agent", "role", "sent_at", "text")


@dataclass(frozen=True)
class BadRow:
    """A row the warehouse must quarantine; it is not part of the truth."""

    row: tuple[str, str, str, str, str, str]
    reason: str  # a phrase the quarantine reason contains: unreadable time | unknown role | empty buyer
    field: str  # the column at fault
    position: float  # where in the file, as a share of its rows


def arrange_exports(sessions: list[Session], rng: random.Random) -> None:
    """Real exports are not strictly ordered: some conversations list rows shuffled, some were appended
    at the end of the file. Marks the conversations it touches."""
    for session in sessions:
        if session.export_order is not None or session.cases:
            continue
        roll = rng.random()
        if roll < 0.04 and len(session.msgs) > 2:
            order = list(session.msgs)
            while order == session.msgs:
                rng.shuffle(order)
            session.export_order = order
            session.cases.append("rows_out_of_order")
        elif roll < 0.06:
            session.export_late = True
            session.cases.append("rows_out_of_order")


def chat_rows(sessions: list[Session]) -> list[tuple[str, ...]]:
    ordered = sorted(sessions, key=lambda s: (s.export_late, s.started_at, s.shop, s.buyer))
    rows = []
    for session in ordered:
        for m in session.export_order or session.msgs:
            rows.append((m.shop, m.buyer, m.agent or "", m.role, fmt(m.at), m.text))
    return rows


def write_chat_csv(
    sessions: list[Session], bad_rows: list[BadRow], line_end: str,
) -> tuple[str, int, list[dict]]:
    """The CSV text, the number of records, and the quarantined rows with their line numbers."""
    rows: list[tuple[tuple[str, ...], BadRow | None]] = [(r, None) for r in chat_rows(sessions)]
    for bad in sorted(bad_rows, key=lambda b: b.position, reverse=True):
        rows.insert(int(bad.position * len(rows)), (bad.row, bad))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=line_end)
    writer.writerow(CHAT_HEADER)
    quarantined = []
    for line_no, (row, bad) in enumerate(rows, start=2):
        writer.writerow(row)
        if bad is not None:
            quarantined.append({"line": line_no, "reason": bad.reason, "field": bad.field, "row": list(row)})
    return buf.getvalue(), len(rows), quarantined


def write_roster(shops: tuple[Shop, ...]) -> tuple[str, int]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("agent", "name", "team", "role"))
    n = 0
    for shop in shops:
        for agent in shop.agents:
            writer.writerow((agent.account, agent.name, agent.team, agent.role))
            n += 1
    return buf.getvalue(), n
