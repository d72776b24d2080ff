"""Topic mining over the warehouse: which weeks, which questions, and the figures of each topic."""
from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.reports.weeks import check_week, previous_week, unknown_week
from qc_pipeline.topics.cluster import cluster_docs
from qc_pipeline.topics.figures import topic_figures, typical_examples
from qc_pipeline.topics.model import TopicResult
from qc_pipeline.topics.phrases import quick_phrases
from qc_pipeline.topics.questions import agent_answers, opening_questions, session_facts
from qc_pipeline.topics.words import tokens

TERMS_IN_NAME = 3


def session_weeks(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [w for (w,) in con.execute(
        "SELECT DISTINCT strftime(started_at, '%G-W%V') AS w FROM sessions ORDER BY w"
    ).fetchall()]


def window(con: duckdb.DuckDBPyConnection, weeks: int, end_week: str | None) -> list[str]:
    """`weeks` ISO weeks ending with `end_week` (default: the latest week the warehouse holds)."""
    if weeks < 1:
        raise UserError(f"--weeks {weeks}: must be at least 1")
    held = session_weeks(con)
    if end_week is None:
        if not held:
            raise UserError("the warehouse holds no sessions yet (run `qc run` first)")
        end_week = held[-1]
    check_week(end_week)
    if end_week not in held:
        raise unknown_week(end_week, held)
    out = [end_week]
    while len(out) < weeks:
        out.append(previous_week(out[-1]))
    return sorted(out)


def topic_name(terms: list[str], topic_id: int) -> str:
    return "/".join(terms[:TERMS_IN_NAME]) or f"topic {topic_id + 1}"


def _cluster_window(con: duckdb.DuckDBPyConnection, span: list[str], seed: int, k: int | None):
    opening = opening_questions(con, span)
    # Many openings are worded alike (在吗 尺码怎么选): each distinct wording is segmented once.
    words: dict[str, list[str]] = {}
    docs = [words[q] if q in words else words.setdefault(q, tokens(q)) for q in opening["question"].to_list()]
    asked = opening.filter(pl.Series([bool(d) for d in docs], dtype=pl.Boolean))
    clustering = cluster_docs([d for d in docs if d], seed=seed, k=k)
    names = [topic_name(t, i) for i, t in enumerate(clustering.top_terms)]
    labels = np.array(clustering.labels, dtype=int)
    assignments = asked.select(
        "session_id",
        pl.Series("topic_id", labels, dtype=pl.Int32),
        pl.Series("topic", [names[x] for x in labels], dtype=pl.Utf8),
        "question",
    )
    return opening, asked, clustering, names, assignments


def session_topics(con: duckdb.DuckDBPyConnection, end_week: str, weeks: int = 4, seed: int = 0) -> dict[str, str]:
    """session_id -> topic name, mined as `mine_topics` does over the weeks up to `end_week`."""
    span = [end_week]
    while len(span) < weeks:
        span.append(previous_week(span[-1]))
    *_, assignments = _cluster_window(con, sorted(span), seed, None)
    return dict(zip(assignments["session_id"].to_list(), assignments["topic"].to_list()))


def mine_topics(
    con: duckdb.DuckDBPyConnection, weeks: int = 4, end_week: str | None = None, seed: int = 0, k: int | None = None
) -> TopicResult:
    """Cluster the opening questions of the sessions started in the window and describe each topic."""
    span = window(con, weeks, end_week)
    opening, asked, clustering, names, assignments = _cluster_window(con, span, seed, k)
    labels = np.array(clustering.labels, dtype=int)
    ids = asked["session_id"].to_list()
    facts = session_facts(con, ids)
    facts = assignments.select("session_id", "topic_id").join(facts, on="session_id", how="left")
    converted = set(facts.filter(pl.col("converted_days").list.len() > 0)["session_id"].to_list())
    answers = agent_answers(con, ids)
    phrases = quick_phrases(list(answers.iter_rows()), dict(zip(ids, labels.tolist())), converted)
    questions, buyers = asked["question"].to_list(), asked["buyer"].to_list()
    topics = []
    for t in range(clustering.k):
        rows = np.flatnonzero(labels == t).tolist()
        topics.append(topic_figures(
            t, names[t], clustering.top_terms[t], facts.filter(pl.col("topic_id") == t), len(ids),
            typical_examples(rows, clustering.embedding, questions, buyers), phrases.get(t, []),
        ))
    return TopicResult(
        weeks=span, end_week=span[-1], seed=seed, k=clustering.k, chosen_by=clustering.chosen_by,
        singular_values=clustering.singular_values, questions=len(ids), skipped=opening.height - len(ids),
        topics=topics, assignments=assignments,
    )
