"""Qianniu text exports: the desktop chat window copied out (plain and bracketed) and the web
chat-record page saved as text.

These layouts carry no role and no agent for the buyer's lines. A reader takes the buyer line's agent
from the latest agent-side sender before it (or a transfer target), else the first agent-side sender
after it; ``infer_buyer_agents`` states that rule so the plan can be checked against it.
"""
from __future__ import annotations

import datetime as dt
import random

from qc_pipeline.sample.model import Msg, Note, Session

Event = Msg | Note

WEB_DATE_FORMATS = ("{d:%Y-%m-%d}", "{d:%Y/%m/%d}", "{d.year}年{d.month}月{d.day}日")


def file_events(sessions: list[Session], with_notes: bool = True) -> list[Event]:
    """Messages (and notes) of the conversations in one export, in the order the export shows them."""
    events: list[tuple[dt.datetime, int, int, Event]] = []
    for s_no, session in enumerate(sorted(sessions, key=lambda s: s.started_at)):
        for i, msg in enumerate(session.msgs):
            events.append((msg.at, s_no, 2 * i, msg))
        if with_notes:
            for note in session.notes:
                events.append((note.at, s_no, 1_000_000, note))
    events.sort(key=lambda e: e[:3])
    return [e[3] for e in events]


def infer_buyer_agents(events: list[Event]) -> dict[int, str | None]:
    """uid of each buyer message -> the agent a reader assigns it."""
    current: str | None = None
    pending: list[int] = []
    out: dict[int, str | None] = {}
    for event in events:
        if isinstance(event, Note):
            if event.kind == "transfer":
                current = event.target
            continue
        if event.role == "buyer":
            if current is None:
                pending.append(event.uid)
            else:
                out[event.uid] = current
        elif event.role in ("agent", "auto"):
            current = event.agent
            for uid in pending:
                out[uid] = current
            pending.clear()
    out.update({uid: None for uid in pending})
    return out


def _sender(msg: Msg) -> str:
    return msg.buyer if msg.role == "buyer" else msg.agent


def _note_line(note: Note, buyer: str) -> str:
    if note.kind == "transfer":
        return f"{note.source} --> {note.target} {note.at:%Y-%m-%d %H:%M:%S}"
    if note.kind == "recall":
        return f"{buyer} 撤回了一条消息"
    return note.text


def desktop_plain(sessions: list[Session], rng: random.Random) -> tuple[str, int, int]:
    """The copied chat window: `<sender> Y-M-D H:MM:SS` headers, CRLF. Returns (text, records, noise lines)."""
    buyer = sessions[0].buyer
    lines = ["当前用户来自 手机淘宝"]
    records, noise = 0, 1
    for event in file_events(sessions):
        if isinstance(event, Note):
            lines.append(_note_line(event, buyer))
            noise += 1
            continue
        sender = _sender(event)
        # Some copies drop the space before the date; only safe after a sender not ending in a digit.
        sep = "" if not sender[-1].isascii() and rng.random() < 0.3 else " "
        t = event.at
        lines.append(f"{sender}{sep}{t.year}-{t.month}-{t.day} {t.hour}:{t.minute:02d}:{t.second:02d}")
        lines.append(event.text)
        records += 1
        if event.role == "agent" and rng.random() < 0.8:
            lines.append("已读")
            noise += 1
    return "\r\n".join(lines) + "\r\n", records, noise


def desktop_bracketed(sessions: list[Session], rng: random.Random) -> tuple[str, int, int]:
    """The bracketed variant: `[sender] YYYY-MM-DD HH:MM:SS`, the text, a blank line between messages."""
    buyer = sessions[0].buyer
    blocks = [["当前用户来自 千牛工作台"]]
    records, noise = 0, 1
    for event in file_events(sessions):
        if isinstance(event, Note):
            blocks.append([_note_line(event, buyer)])
            noise += 1
            continue
        block = [f"[{_sender(event)}] {event.at:%Y-%m-%d %H:%M:%S}", event.text]
        records += 1
        if event.role == "agent" and rng.random() < 0.7:
            block.append("已读")
            noise += 1
        blocks.append(block)
    return "\r\n\r\n".join("\r\n".join(b) for b in blocks) + "\r\n", records, noise


def web_page(sessions: list[Session], rng: random.Random) -> tuple[str, int, int]:
    """The web chat-record page: optional date line, time line, content, sender last; blank lines between."""
    blocks: list[list[str]] = []
    shown_date: dt.date | None = None
    records = 0
    for event in file_events(sessions, with_notes=False):
        block: list[str] = []
        day = event.at.date()
        if day != shown_date:
            block.append(rng.choice(WEB_DATE_FORMATS).format(d=day))
            shown_date = day
        if event.short_time:
            if event.at.second:
                raise ValueError("an H:MM time line needs a time on a whole minute")
            block.append(f"{event.at.hour}:{event.at.minute:02d}")
        else:
            block.append(f"{event.at:%H:%M:%S}")
        block += [event.text, _sender(event)]
        blocks.append(block)
        records += 1
    return "\n\n".join("\n".join(b) for b in blocks) + "\n", records, 0


WRITERS = {"plain": desktop_plain, "bracketed": desktop_bracketed, "web": web_page}
