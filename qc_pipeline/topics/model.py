"""What topic mining returns: topics with their figures, examples and quick-phrase candidates."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import polars as pl


@dataclass
class QuickPhrase:
    text: str               # the most used wording of the answer, masked
    sessions: int           # sessions of the topic where an agent sent it (or a near-duplicate of it)
    orders: int             # of those, sessions whose buyer-day inquiry converted
    order_rate: float | None
    variants: int           # distinct wordings merged into it
    lift: float             # its share of the topic's sessions ÷ its share of all sessions


@dataclass
class Topic:
    topic_id: int
    name: str
    top_terms: list[str]
    sessions: int
    share: float                          # of the sessions with an opening question, 0-1
    median_first_response_s: float | None  # answered first rounds only
    unanswered_first: int                  # first rounds no agent answered
    buyer_days: int                        # presale inquiries (buyer-days) these sessions opened
    converted_buyer_days: int
    conversion_rate: float | None          # converted ÷ buyer_days, 0-1
    flagged_sessions: int                  # sessions with a flag on a human agent's message
    flags: int
    flag_rate: float                       # flagged_sessions ÷ sessions, 0-1
    examples: list[str] = field(default_factory=list)  # masked, most typical first
    quick_phrases: list[QuickPhrase] = field(default_factory=list)


@dataclass
class TopicResult:
    weeks: list[str]
    end_week: str | None
    seed: int
    k: int
    chosen_by: str               # eigengap | given | too_few
    singular_values: list[float]
    questions: int               # sessions whose opening question was clustered
    skipped: int                 # sessions whose opening held no words (在吗, 你好, a picture)
    topics: list[Topic]
    assignments: pl.DataFrame    # session_id, topic_id, topic, question (unmasked: stays in memory)
    # Opening questions in the window when more than [topics] max_questions: the figures are over a sample.
    sampled_from: int | None = None
    # session_ids -> {session_id: topic}, sessions outside the sample given their nearest topic.
    topic_of: Callable[[Iterable[str]], dict[str, str]] | None = field(default=None, repr=False, compare=False)
