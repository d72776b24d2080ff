"""A case's conversation as the pages show it: every message, masked, with the flagged spans marked and
notes under it (how long the round waited for this reply, which rules it broke)."""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from qc_pipeline.cases import labels
from qc_pipeline.cases.highlight import highlight
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.masking import mask_nick, mask_text

_ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"


@dataclass
class Note:
    kind: str          # round_ok | round_late | round_none | flag
    text: str
    severity: str = ""


@dataclass
class Line:
    msg_id: str
    time: str
    role: str
    speaker: str
    pieces: list[tuple[str, str]]      # (text, title of the flags covering it, "" when none)
    notes: list[Note] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return any(title for _, title in self.pieces)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def session_messages(con: duckdb.DuckDBPyConnection, session_id: str) -> list[dict]:
    return _rows(
        con,
        f"""SELECT m.msg_id, m.role, m.agent, m.buyer, m.sent_at, m.text
            FROM sessions s JOIN messages m ON m.shop = s.shop AND m.buyer = s.buyer
                 AND m.sent_at BETWEEN s.started_at AND s.ended_at
            WHERE s.session_id = ?
            ORDER BY m.sent_at, {_ROLE_ORDER}, m.source_path, m.source_line, m.msg_id""",
        [session_id],
    )


def _speaker(m: dict, lang: str, mask: bool) -> str:
    ui = labels.ui(lang)
    if m["role"] == "buyer":
        return f"{ui['speaker_buyer']} {mask_nick(m['buyer']) if mask else m['buyer']}"
    if m["role"] == "agent":
        return m["agent"] or ui["speaker_agent"]
    if m["role"] == "auto":
        return f"{ui['speaker_auto']} {m['agent'] or ''}".strip()
    return ui["speaker_system"]


def _round_notes(con: duckdb.DuckDBPyConnection, session_id: str, lang: str) -> dict[str, list[Note]]:
    ui = labels.ui(lang)
    notes: dict[str, list[Note]] = {}
    for r in _rows(con, "SELECT * FROM rounds WHERE session_id = ? ORDER BY round_no", [session_id]):
        if r["unanswered"]:
            notes.setdefault(r["first_msg_id"], []).append(Note("round_none", ui["round_none"].format(n=r["round_no"])))
            continue
        kind = "round_ok" if r["met_target"] else "round_late"
        text = ui[kind].format(n=r["round_no"], wait=f"{r['wait_seconds']:.0f}", target=r["target_seconds"])
        notes.setdefault(r["reply_msg_id"], []).append(Note(kind, text))
    return notes


def _flag_title(flag: dict, T: Labels, ui: dict[str, str]) -> str:
    severity = ui.get("severity_" + flag["severity"], flag["severity"])
    return f"{flag['rule_id']} {T.of('categories', flag['category'])} ({severity})"


def transcript(con: duckdb.DuckDBPyConnection, session_id: str, lang: str, mask: bool) -> list[Line]:
    messages = session_messages(con, session_id)
    flags = _rows(
        con,
        """SELECT msg_id, rule_id, category, severity, start, "end", matched FROM flags
           WHERE session_id = ? ORDER BY msg_id, start, rule_id""",
        [session_id],
    )
    rounds = _round_notes(con, session_id, lang)
    T = Labels(lang)
    ui = labels.ui(lang)
    nicks = sorted({m["buyer"] for m in messages if m["buyer"]})
    lines = []
    for m in messages:
        mine = [f for f in flags if f["msg_id"] == m["msg_id"]]
        titles = {i: _flag_title(f, T, ui) for i, f in enumerate(mine)}
        pieces = highlight(m["text"], [(f["start"], f["end"], i) for i, f in enumerate(mine)], mask, nicks)
        notes = list(rounds.get(m["msg_id"], []))
        for i, f in enumerate(mine):
            shown = "".join(p for p, keys in pieces if i in keys)
            shown = shown or (mask_text(f["matched"], nicks) if mask else f["matched"])
            notes.append(Note("flag", f"{ui['flag']} · {titles[i]} ·「{shown}」", f["severity"]))
        lines.append(Line(
            msg_id=m["msg_id"],
            time=m["sent_at"].strftime("%m-%d %H:%M:%S"),
            role=m["role"],
            speaker=_speaker(m, lang, mask),
            pieces=[(p, " / ".join(titles[k] for k in keys)) for p, keys in pieces],
            notes=notes,
        ))
    return lines
