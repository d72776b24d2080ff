"""Which sessions are good or bad cases, and their rank.

A session meeting any bad criterion is never a good case. Within a kind, cases are ranked by their
rank score (the sum of weight × term, see criteria.toml), then by QC score (good: higher first; bad:
lower first), then by start time, so the same warehouse always gives the same library.

The criteria and terms are polars expressions over the week's session facts: a 5-million-message week has
about 830,000 sessions and most meet some criterion, and judging them row by row in Python took 23 s and
held a dict per candidate (about 1 GB). Only the sessions a library keeps become `Candidate`s.
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


def _nonzero(name: str) -> pl.Expr:
    """A count or a number read as yes when it is there and not 0."""
    return pl.col(name).fill_null(0) != 0


def _said(name: str) -> pl.Expr:
    """A phrase found: there and not empty."""
    return pl.col(name).is_not_null() & (pl.col(name) != "")


def _yes(name: str) -> pl.Expr:
    return pl.col(name).fill_null(False)


def _slow() -> pl.Expr:
    """Minutes the first reply came after its target (0 when on time, unanswered or unknown)."""
    wait, target = pl.col("first_wait_s"), pl.col("first_target_s")
    known = wait.is_not_null() & target.is_not_null() & ~_yes("first_unanswered")
    return pl.when(known).then(pl.max_horizontal((wait - target) / 60, pl.lit(0.0))).otherwise(0.0)


def _bad_met() -> dict[str, pl.Expr]:
    return {
        "critical_flag": _nonzero("critical_flags"),
        "arguing": _nonzero("arguing_flags"),
        "unanswered": _yes("left_unanswered"),
        "slow_lost_sale": _yes("presale") & (_slow() > 0) & ~_yes("ordered") & ~_yes("converted"),
    }


def _good_met(criteria: CaseCriteria) -> dict[str, pl.Expr]:
    clean = (pl.col("all_flags") == 0) & ~_yes("left_unanswered")
    score = pl.col("score").fill_null(-1)
    return {
        "presale_converted": clean & _yes("presale") & _yes("converted") & ~_yes("first_unanswered")
        & _yes("replies_on_target") & (score >= criteria.min_good_score),
        "aftersale_resolved": clean & _yes("aftersale") & _said("resolve_phrase") & _said("thanks_phrase"),
    }


def _good_terms(criteria: CaseCriteria) -> dict[str, pl.Expr]:
    wait, target = pl.col("first_wait_s"), pl.col("first_target_s")
    known = wait.is_not_null() & _nonzero("first_target_s") & ~_yes("first_unanswered")
    cap = criteria.limit("amount_cap")
    amount = pl.col("order_amount").cast(pl.Float64).fill_null(0.0)
    values = {
        "qc_score": pl.col("score").cast(pl.Float64).fill_null(0.0),
        "fast_first_reply": pl.when(known).then(pl.max_horizontal(1 - wait / target, pl.lit(0.0)).round(4))
        .otherwise(0.0),
        "order_amount": pl.min_horizontal(amount / cap, pl.lit(1.0)).round(4) if cap else pl.lit(0.0),
        "buyer_thanks": pl.when(_said("any_thanks")).then(1.0).otherwise(0.0),
    }
    return {t: values[t] for t in GOOD_TERMS}


def _bad_terms(criteria: CaseCriteria) -> dict[str, pl.Expr]:
    score = pl.col("score").cast(pl.Float64)
    values = {
        "critical_flags": pl.col("critical_flags").cast(pl.Float64),
        "arguing_flags": pl.col("arguing_flags").cast(pl.Float64),
        "other_flags": pl.col("other_flags").cast(pl.Float64),
        "unanswered": pl.when(_yes("left_unanswered")).then(1.0).otherwise(0.0),
        "slow_minutes": pl.min_horizontal(_slow(), pl.lit(criteria.limit("slow_minutes_cap"))).round(4),
        "lost_sale": pl.when(_yes("presale") & ~_yes("ordered") & ~_yes("converted")).then(1.0).otherwise(0.0),
        "score_shortfall": pl.when(score.is_not_null()).then(((100 - score) / 100).round(4)).otherwise(0.0),
    }
    return {t: values[t] for t in BAD_TERMS}


def _met_list(met: dict[str, pl.Expr], categories: list[str]) -> pl.Expr:
    """The categories met, in the criteria's order (empty when none)."""
    if not categories:
        return pl.lit([], dtype=pl.List(pl.Utf8))
    parts = [pl.when(met[c]).then(pl.lit(c)).otherwise(None) for c in categories]
    return pl.concat_list(parts).list.drop_nulls()


def _rank_score(values: dict[str, pl.Expr], weights: dict[str, float]) -> pl.Expr:
    total = pl.lit(0.0)
    for term, value in values.items():  # left to right, as a Python sum over the terms would add them
        total = total + value * weights.get(term, 0.0)
    return total.round(2)


def _term_column(kind: str, term: str) -> str:
    return f"_{kind}_{term}"


def classify(facts: pl.DataFrame, criteria: CaseCriteria) -> pl.DataFrame:
    """The sessions that meet a criterion, one row each, with `kind`, `category`, `matched`, `rank_score`
    and the measured terms (`_good_<term>` / `_bad_<term>`) beside the facts."""
    bad = _met_list(_bad_met(), criteria.categories("bad"))
    good = _met_list(_good_met(criteria), criteria.categories("good"))
    good_terms, bad_terms = _good_terms(criteria), _bad_terms(criteria)
    frame = facts.with_columns(_bad=bad, _good=good).with_columns(
        kind=pl.when(pl.col("_bad").list.len() > 0).then(pl.lit("bad"))
        .when(pl.col("_good").list.len() > 0).then(pl.lit("good")).otherwise(None),
    ).filter(pl.col("kind").is_not_null())
    frame = frame.with_columns(
        matched=pl.when(pl.col("kind") == "bad").then(pl.col("_bad")).otherwise(pl.col("_good")),
        **{_term_column("good", t): e for t, e in good_terms.items()},
        **{_term_column("bad", t): e for t, e in bad_terms.items()},
    ).with_columns(
        category=pl.col("matched").list.first(),
        rank_score=pl.when(pl.col("kind") == "bad")
        .then(_rank_score({t: pl.col(_term_column("bad", t)) for t in BAD_TERMS}, criteria.weights("bad")))
        .otherwise(_rank_score({t: pl.col(_term_column("good", t)) for t in GOOD_TERMS}, criteria.weights("good"))),
    )
    return frame.drop("_bad", "_good")


def _candidate(row: dict, criteria: CaseCriteria) -> Candidate:
    kind = row["kind"]
    names = GOOD_TERMS if kind == "good" else BAD_TERMS
    values = {t: row[_term_column(kind, t)] for t in names}
    return Candidate(row["session_id"], kind, row["category"], list(row["matched"]), values,
                     criteria.weights(kind), row["rank_score"], row)


def pick(candidates: pl.DataFrame, kind: str, top: int, max_per_agent: int, exclude: set[str],
         criteria: CaseCriteria) -> list[Candidate]:
    """The `top` best of one kind, skipping `exclude` and agents who already have `max_per_agent`."""
    chosen, per_agent = [], Counter()
    if top <= 0:
        return chosen
    qc = pl.col("score").cast(pl.Float64).fill_null(0.0)
    ranked = candidates.filter(pl.col("kind") == kind)
    if exclude:
        ranked = ranked.filter(~pl.col("session_id").is_in(list(exclude)))
    ranked = ranked.sort(
        [-pl.col("rank_score"), -qc if kind == "good" else qc, pl.col("started_at"), pl.col("session_id")],
        nulls_last=True, maintain_order=True,
    )
    for row in ranked.iter_rows(named=True):
        agent = (row["shop"], row["agent"])   # two shops may each have an agent of the same name
        if max_per_agent and per_agent[agent] >= max_per_agent:
            continue
        chosen.append(_candidate(row, criteria))
        per_agent[agent] += 1
        if len(chosen) == top:
            break
    return chosen
