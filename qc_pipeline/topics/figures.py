"""Per-topic figures from the facts of each topic's sessions."""
from __future__ import annotations

import statistics

import numpy as np
import polars as pl

from qc_pipeline.reports.masking import mask_text
from qc_pipeline.topics.model import QuickPhrase, Topic

EXAMPLES = 3


def typical_examples(
    rows: list[int], embedding: np.ndarray | None, questions: list[str], buyers: list[str]
) -> list[str]:
    """The topic's questions nearest its centre first, masked; identical wordings shown once."""
    if embedding is not None and len(rows):
        centre = embedding[rows].mean(axis=0)
        order = sorted(rows, key=lambda r: (-float(embedding[r] @ centre), r))
    else:
        order = list(rows)
    seen, out = set(), []
    for r in order:
        text = mask_text(questions[r], [buyers[r]])
        if text not in seen:
            seen.add(text)
            out.append(text)
        if len(out) == EXAMPLES:
            break
    return out


def topic_figures(
    topic_id: int,
    name: str,
    terms: list[str],
    facts: pl.DataFrame,
    total: int,
    examples: list[str],
    phrases: list[QuickPhrase],
) -> Topic:
    """`facts`: the topic's rows of `session_facts`."""
    waits = [w for w, unanswered in zip(facts["first_wait_s"].to_list(), facts["first_unanswered"].to_list())
             if w is not None and not unanswered]
    days = {d for ds in facts["buyer_days"].to_list() for d in ds}
    converted = {d for ds in facts["converted_days"].to_list() for d in ds}
    flagged = int((facts["flags"] > 0).sum())
    sessions = facts.height
    return Topic(
        topic_id=topic_id,
        name=name,
        top_terms=terms,
        sessions=sessions,
        share=sessions / total if total else 0.0,
        median_first_response_s=statistics.median(waits) if waits else None,
        unanswered_first=int(facts["first_unanswered"].sum()),
        buyer_days=len(days),
        converted_buyer_days=len(converted),
        conversion_rate=len(converted) / len(days) if days else None,
        flagged_sessions=flagged,
        flags=int(facts["flags"].sum()),
        flag_rate=flagged / sessions if sessions else 0.0,
        examples=examples,
        quick_phrases=phrases,
    )
