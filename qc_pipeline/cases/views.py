"""What a case page shows, worked out from a `cases` row and the conversation behind it."""
from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from qc_pipeline.cases import labels
from qc_pipeline.cases.reasons import reason
from qc_pipeline.cases.transcript import Line, transcript
from qc_pipeline.reports.masking import mask_nick, mask_text
from qc_pipeline.reports.naming import shown_agent


@dataclass
class CaseView:
    case_id: str
    session_id: str
    file_stem: str
    kind: str
    kind_label: str
    category: str
    category_label: str
    rank: int
    agent: str
    shop: str
    agent_label: str   # reports.naming.shown_agent: the index lists several shops' agents
    buyer: str
    started_at: str
    score: str
    topic: str
    reason: str
    contributions: list[dict]
    rank_score: str
    outcome: list[str]
    tags: list[str]
    lines: list[Line]


def _num(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _outcome(row: dict, lang: str) -> list[str]:
    ui = labels.ui(lang)
    out = []
    if row["ordered"] is not None:
        out.append(ui["ordered"] if row["ordered"] else ui["not_ordered"])
    if row["order_id"]:
        out.append(f"{ui['order']} {row['order_id']}")
        out.append(f"{ui['amount']} ¥{row['order_amount'] if row['order_amount'] is not None else '0.00'}")
        if row["refund_amount"]:
            out.append(f"{ui['refund']} ¥{row['refund_amount']}")
    elif row["ordered"] is None:
        out.append(ui["no_order"])
    return out


def _tag_text(tag: str, lang: str, mask: bool) -> str:
    key, _, value = tag.partition(":")
    if key == "category":
        return labels.category(value, lang)
    return value


def case_view(con: duckdb.DuckDBPyConnection, row: dict, lang: str, mask: bool) -> CaseView:
    details = json.loads(row["details"] or "{}")
    contributions = json.loads(row["rank_terms"] or "[]")
    nicks = [row["buyer"]] if row["buyer"] else []
    text = reason(row["category"], row["matched"] or [row["category"]], details, row["rank_score"], contributions, lang)
    return CaseView(
        case_id=row["case_id"],
        session_id=row["session_id"],
        file_stem=row["case_id"],
        kind=row["kind"],
        kind_label=labels.KINDS[row["kind"]][lang],
        category=row["category"],
        category_label=labels.category(row["category"], lang),
        rank=row["rank"],
        agent=row["agent"] or "",
        shop=row["shop"] or "",
        agent_label=shown_agent(row["shop"], row["agent"] or ""),
        buyer=(mask_nick(row["buyer"]) if mask else row["buyer"]) or "",
        started_at=row["started_at"].strftime("%Y-%m-%d %H:%M:%S") if row["started_at"] else "",
        score=_num(row["score"]),
        topic=row["topic"] or "",
        reason=mask_text(text, nicks) if mask else text,
        contributions=[
            {"term": labels.term(t, lang), "key": t, "value": _num(v), "weight": _num(w), "points": _num(v * w)}
            for t, v, w in contributions
        ],
        rank_score=_num(row["rank_score"]),
        outcome=_outcome(row, lang),
        tags=[_tag_text(t, lang, mask) for t in row["tags"] or []],
        lines=transcript(con, row["session_id"], lang, mask),
    )
