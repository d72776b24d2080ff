"""Topic mining over the warehouse: which weeks, which questions, and the figures of each topic."""
from __future__ import annotations

from typing import Iterable

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
    """The weeks the warehouse holds among the `weeks` ISO weeks ending with `end_week` (default: the latest
    week it holds): a page never names a week there is nothing of."""
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
    return sorted(w for w in out if w in held)


def topic_name(terms: list[str], topic_id: int) -> str:
    return "/".join(terms[:TERMS_IN_NAME]) or f"topic {topic_id + 1}"


def shipped_max_questions() -> int:
    from qc_pipeline.config import load_config

    return load_config().topics_max_questions


def _cluster_window(con: duckdb.DuckDBPyConnection, span: list[str], seed: int, k: int | None,
                    max_questions: int | None):
    """Cluster the window's opening questions, or a seeded sample of `max_questions` of them when there are
    more (default: the shipped config's [topics] max_questions)."""
    if max_questions is None:
        max_questions = shipped_max_questions()
    everything = opening_questions(con, span)
    opening = everything
    if everything.height > max_questions:
        picked = np.sort(np.random.default_rng(seed).choice(everything.height, size=max_questions, replace=False))
        opening = everything.select(pl.all().gather(picked))
    # Many openings are worded alike (在吗 尺码怎么选): each distinct wording is segmented once.
    words: dict[str, list[str]] = {}

    def segment(q: str) -> list[str]:
        return words[q] if q in words else words.setdefault(q, tokens(q))

    docs = [segment(q) for q in opening["question"].to_list()]
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
    known = dict(zip(assignments["session_id"].to_list(), assignments["topic"].to_list()))

    def topic_of(session_ids: Iterable[str]) -> dict[str, str]:
        """session_id -> topic for these sessions: a clustered one's own, else (a session outside the sample)
        the nearest topic's, when its opening in the window has words."""
        wanted = list(dict.fromkeys(session_ids))
        out = {s: known[s] for s in wanted if s in known}
        others = [s for s in wanted if s not in known]
        if not others or clustering.assign is None or opening is everything:
            return out
        rows = everything.filter(pl.col("session_id").is_in(others))
        pairs = [(s, d) for s, q in zip(rows["session_id"].to_list(), rows["question"].to_list()) if (d := segment(q))]
        if pairs:
            for (s, _), t in zip(pairs, clustering.assign([d for _, d in pairs])):
                out[s] = names[int(t)]
        return out

    sampled_from = everything.height if opening is not everything else None
    return opening, asked, clustering, names, assignments, topic_of, sampled_from


def _span(end_week: str, weeks: int) -> list[str]:
    span = [end_week]
    while len(span) < weeks:
        span.append(previous_week(span[-1]))
    return sorted(span)


def session_topics(
    con: duckdb.DuckDBPyConnection, end_week: str, weeks: int = 4, seed: int = 0,
    max_questions: int | None = None, sessions: Iterable[str] = (),
) -> dict[str, str]:
    """session_id -> topic name, mined as `mine_topics` does over the weeks up to `end_week`: every clustered
    session, and those of `sessions` outside a sample with their nearest topic."""
    *_, assignments, topic_of, _ = _cluster_window(con, _span(end_week, weeks), seed, None, max_questions)
    return {**dict(zip(assignments["session_id"].to_list(), assignments["topic"].to_list())), **topic_of(sessions)}


class ClusteredWindow:
    """The clustering of one window, before the topics are described: `mine_topics(clustered=)` takes it, so
    a caller that needed the topics of a few sessions first (the case library) does not cluster twice."""

    def __init__(self, con: duckdb.DuckDBPyConnection, weeks: int = 4, end_week: str | None = None, seed: int = 0,
                 k: int | None = None, max_questions: int | None = None, checked: bool = True):
        # checked=False: `end_week` need not have sessions starting in it (as `session_topics`).
        self.span = window(con, weeks, end_week) if checked else _span(end_week, weeks)
        self.seed, self.k = seed, k
        self.parts = _cluster_window(con, self.span, seed, k, max_questions)

    def topic_of(self, session_ids: Iterable[str]) -> dict[str, str]:
        return self.parts[5](session_ids)


def mine_topics(
    con: duckdb.DuckDBPyConnection, weeks: int = 4, end_week: str | None = None, seed: int = 0, k: int | None = None,
    max_questions: int | None = None, clustered: ClusteredWindow | None = None,
) -> TopicResult:
    """Cluster the opening questions of the sessions started in the window (a seeded sample of
    `max_questions` when there are more; default from the shipped config) and describe each topic.
    `clustered`: that clustering, already done (same window, seed and k)."""
    if clustered is None:
        clustered = ClusteredWindow(con, weeks, end_week, seed, k, max_questions)
    span, seed = clustered.span, clustered.seed
    opening, asked, clustering, names, assignments, topic_of, sampled_from = clustered.parts
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
        topics=topics, assignments=assignments, sampled_from=sampled_from, topic_of=topic_of,
    )
