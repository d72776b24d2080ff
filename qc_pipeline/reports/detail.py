"""Flag and session details: each flag with its message in context, masked, and the session it spoiled.

Masking happens here, so no writer can show a buyer's data by forgetting it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from qc_pipeline.reports import masking
from qc_pipeline.reports.data import WeekData, around
from qc_pipeline.reports.labels import Labels


@dataclass
class ContextLine:
    speaker: str
    role: str
    sent_at: str
    pieces: list[tuple[str, bool]]
    flagged: bool


@dataclass
class FlagView:
    rule_id: str
    category: str
    category_label: str
    severity: str
    severity_label: str
    explanation: str
    session_id: str
    sent_at: str
    sent_at_value: dt.datetime | None
    role: str
    agent: str | None
    matched: str
    message: str
    session_score: float | None
    context: list[ContextLine]


@dataclass
class SessionView:
    session_id: str
    buyer: str
    started_at: str
    started_at_value: dt.datetime | None
    score: float | None
    auto_failed: bool
    responsiveness: float | None
    compliance: float | None
    outcome: float | None
    deductions: list[dict]
    flags: list[FlagView] = field(default_factory=list)


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _speaker(message: dict, T: Labels, mask: bool) -> str:
    role = message["role"]
    if role == "buyer":
        nick = masking.mask_nick(message["buyer"]) if mask else (message["buyer"] or "")
        return f"{T.speaker.buyer} {nick}"
    if role == "agent":
        return message.get("agent") or T.speaker.agent
    return T.of("speaker", role)


def flag_view(data: WeekData, flag: dict, T: Labels, mask: bool, explanations: dict[str, str]) -> FlagView:
    nicks = [flag["buyer"]] if flag.get("buyer") else []
    context = []
    for m in around(data, flag):
        flagged = m["msg_id"] == flag["msg_id"]
        span = (flag["start"], flag["end"]) if flagged else None
        context.append(ContextLine(
            speaker=_speaker(m, T, mask),
            role=m["role"],
            sent_at=_time(m["sent_at"]),
            pieces=masking.segments(m["text"] or "", span, mask, nicks),
            flagged=flagged,
        ))
    text = flag.get("text") or ""
    pieces = masking.segments(text, (flag["start"], flag["end"]), mask, nicks)
    return FlagView(
        rule_id=flag["rule_id"],
        category=flag["category"],
        category_label=T.of("categories", flag["category"]),
        severity=flag["severity"],
        severity_label=T.of("severities", flag["severity"]),
        explanation=explanations.get(flag["rule_id"], ""),
        session_id=flag["session_id"] or "",
        sent_at=_time(flag["sent_at"]),
        sent_at_value=flag["sent_at"],
        role=flag["role"] or "",
        agent=flag["agent"],
        matched="".join(p for p, hl in pieces if hl) if text else flag["matched"],
        message="".join(p for p, _ in pieces),
        session_score=flag.get("session_score"),
        context=context,
    )


def session_view(s: dict, T: Labels, mask: bool) -> SessionView:
    nicks = [s["buyer"]] if s.get("buyer") else []
    return SessionView(
        session_id=s["session_id"],
        buyer=(masking.mask_nick(s["buyer"]) if mask else s["buyer"]) or "",
        started_at=_time(s.get("started_at")),
        started_at_value=s.get("started_at"),
        score=s["score"],
        auto_failed=bool(s["auto_failed"]),
        responsiveness=s["responsiveness"],
        compliance=s["compliance"],
        outcome=s["outcome"],
        deductions=[
            {"category": d["category"], "category_label": T.of("deduction_categories", d["category"]),
             "points": d["points"], "reason": masking.mask_text(d["reason"], nicks) if mask else d["reason"]}
            for d in s["deductions"]
        ],
    )


def flag_views(data: WeekData, T: Labels, mask: bool, explanations: dict[str, str]) -> list[FlagView]:
    """Every flag of the week, in ``data.flags`` order (lowest session score first)."""
    return [flag_view(data, f, T, mask, explanations) for f in data.flags]
