"""Which sessions are good or bad cases, and their rank.

A session meeting any bad criterion is never a good case. Within a kind, cases are ranked by their
rank score (the sum of weight × term, see criteria.toml), then by QC score (good: higher first; bad:
lower first), then by start time, so the same warehouse always gives the same library.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from qc_pipeline.cases.settings import BAD_TERMS, GOOD_TERMS, CaseCriteria


@dataclass
class Candidate:
    session_id: str
    kind: str
    category: str
    matched: list[str]
    terms: dict[str, float]                       # term -> measured value
    weights: dict[str, float]
    rank_score: float
    row: dict = field(repr=False)

    def contributions(self) -> list[tuple[str, float, float]]:
        """(term, value, weight) of every term that adds to the rank score, largest first."""
        parts = [(t, v, self.weights.get(t, 0.0)) for t, v in self.terms.items() if v and self.weights.get(t, 0.0)]
        return sorted(parts, key=lambda p: (-p[1] * p[2], p[0]))


def _slow(row: dict) -> float:
    wait, target = row["first_wait_s"], row["first_target_s"]
    if wait is None or target is None or row["first_unanswered"]:
        return 0.0
    return max(0.0, (wait - target) / 60)


def bad_met(row: dict) -> set[str]:
    met = set()
    if row["critical_flags"]:
        met.add("critical_flag")
    if row["arguing_flags"]:
        met.add("arguing")
    if row["left_unanswered"]:
        met.add("unanswered")
    if row["presale"] and _slow(row) > 0 and not row["ordered"] and not row["converted"]:
        met.add("slow_lost_sale")
    return met


def good_met(row: dict, criteria: CaseCriteria) -> set[str]:
    met = set()
    clean = row["all_flags"] == 0 and not row["left_unanswered"]
    score = row["score"] if row["score"] is not None else -1
    if (clean and row["presale"] and row["converted"] and not row["first_unanswered"] and row["replies_on_target"]
            and score >= criteria.min_good_score):
        met.add("presale_converted")
    if clean and row["aftersale"] and row["resolve_phrase"] and row["thanks_phrase"]:
        met.add("aftersale_resolved")
    return met


def terms(row: dict, kind: str, criteria: CaseCriteria) -> dict[str, float]:
    if kind == "good":
        wait, target = row["first_wait_s"], row["first_target_s"]
        fast = max(0.0, 1 - wait / target) if wait is not None and target and not row["first_unanswered"] else 0.0
        cap = criteria.limit("amount_cap")
        amount = float(row["order_amount"] or 0)
        values = {
            "qc_score": float(row["score"] or 0),
            "fast_first_reply": round(fast, 4),
            "order_amount": round(min(amount / cap, 1.0), 4) if cap else 0.0,
            "buyer_thanks": 1.0 if row["any_thanks"] else 0.0,
        }
        return {t: values[t] for t in GOOD_TERMS}
    values = {
        "critical_flags": float(row["critical_flags"]),
        "arguing_flags": float(row["arguing_flags"]),
        "other_flags": float(row["other_flags"]),
        "unanswered": 1.0 if row["left_unanswered"] else 0.0,
        "slow_minutes": round(min(_slow(row), criteria.limit("slow_minutes_cap")), 4),
        "lost_sale": 1.0 if row["presale"] and not row["ordered"] and not row["converted"] else 0.0,
        "score_shortfall": round((100 - row["score"]) / 100, 4) if row["score"] is not None else 0.0,
    }
    return {t: values[t] for t in BAD_TERMS}


def classify(facts: pl.DataFrame, criteria: CaseCriteria) -> list[Candidate]:
    out = []
    # Once per call, not per session: a week holds hundreds of thousands of sessions and few are cases.
    bad_categories, good_categories = criteria.categories("bad"), criteria.categories("good")
    kind_weights = {"bad": criteria.weights("bad"), "good": criteria.weights("good")}
    for row in facts.iter_rows(named=True):
        bad_found = bad_met(row)
        bad = [c for c in bad_categories if c in bad_found] if bad_found else []
        if bad:
            kind, met = "bad", bad
        else:
            good_found = good_met(row, criteria)
            kind, met = "good", [c for c in good_categories if c in good_found] if good_found else []
        if not met:
            continue
        values = terms(row, kind, criteria)
        weights = kind_weights[kind]
        score = round(sum(values[t] * weights.get(t, 0.0) for t in values), 2)
        out.append(Candidate(row["session_id"], kind, met[0], met, values, weights, score, row))
    return out


def _order(c: Candidate) -> tuple:
    qc = c.row["score"] if c.row["score"] is not None else 0.0
    return (-c.rank_score, -qc if c.kind == "good" else qc, c.row["started_at"], c.session_id)


def pick(candidates: list[Candidate], kind: str, top: int, max_per_agent: int, exclude: set[str]) -> list[Candidate]:
    """The `top` best of one kind, skipping `exclude` and agents who already have `max_per_agent`."""
    chosen, per_agent = [], Counter()
    if top <= 0:
        return chosen
    for c in sorted((c for c in candidates if c.kind == kind and c.session_id not in exclude), key=_order):
        agent = c.row["agent"]
        if max_per_agent and per_agent[agent] >= max_per_agent:
            continue
        chosen.append(c)
        per_agent[agent] += 1
        if len(chosen) == top:
            break
    return chosen
