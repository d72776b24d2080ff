"""Why a case was selected, in words, from the facts stored with it.

The `cases` table keeps the facts (`details`, `rank_terms`) and the Chinese reason; the pages render the
reason from the same facts in the page's language, so the table and the files always agree.
"""
from __future__ import annotations

from qc_pipeline.cases import labels

_FLAG_SEP = {"zh": "；", "en": "; "}


def _number(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _flags(details: dict, category: str, lang: str) -> str:
    def wanted(f: dict) -> bool:
        return f["severity"] == "critical" if category == "critical_flag" else f["category"] == "arguing"

    parts = [f"{f['rule_id']}「{f['matched']}」" for f in details.get("flags", []) if wanted(f)]
    return _FLAG_SEP[lang].join(parts) or "—"


def criteria_text(category: str, details: dict, lang: str) -> str:
    template = labels.REASONS[category][lang]
    return template.format(
        wait=_number(details.get("first_wait_s")), target=_number(details.get("first_target_s")),
        score=_number(details.get("score")), amount=details.get("order_amount") or "0",
        resolve=details.get("resolve_phrase") or "", thanks=details.get("thanks_phrase") or "",
        round=details.get("unanswered_round") or "—", flags=_flags(details, category, lang),
    )


def ranking_text(rank_score: float, contributions: list[list], lang: str) -> str:
    """e.g. 排序分 128 = 质检分 100 × 1 + 首响提前量 0.6 × 20 + …"""
    ui = labels.ui(lang)
    parts = [f"{labels.term(t, lang)} {_number(v)} × {_number(w)}" for t, v, w in contributions]
    return f"{ui['ranking']} {_number(rank_score)} = " + (" + ".join(parts) if parts else "0")


def reason(
    category: str, matched: list[str], details: dict, rank_score: float, contributions: list[list], lang: str
) -> str:
    ui = labels.ui(lang)
    text = criteria_text(category, details, lang)
    others = [labels.category(c, lang) for c in matched if c != category]
    sep = "。" if lang == "zh" else ". "
    out = text + sep
    if others:
        out += f"{ui['also']}: {', '.join(others)}" + sep
    return out + ranking_text(rank_score, contributions, lang) + ("。" if lang == "zh" else ".")
