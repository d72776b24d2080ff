"""Quick-phrase (快捷短语) candidates: the answers agents type again and again for one topic.

Answers are compared after normalising (case, width, punctuation, spaces, digits), then wordings whose
character-bigram sets have cosine similarity ≥ MERGE_SIMILARITY are merged into the most
used one, so "亲，今天16点前拍下当天发货哦" and "亲 今天16:00前拍下当天发货的哦～" count as one answer.
Answers every topic gets (greetings, sign-offs) are left out: a candidate must be used in at least
MIN_LIFT times as large a share of the topic's sessions as of all sessions.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from qc_pipeline.reports.masking import mask_text
from qc_pipeline.topics.model import QuickPhrase

MERGE_SIMILARITY = 0.8
MIN_SESSIONS = 2
MIN_LIFT = 1.5
PER_TOPIC = 5
# Merging compares each wording with the groups found so far; the rarest wordings add little.
MAX_WORDINGS = 2000

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _DIGITS.sub("0", _PUNCT.sub("", text))


def merge_wordings(counts: Counter) -> dict[str, str]:
    """normalised wording -> the wording of its group (the most used one among its near-duplicates)."""
    wordings = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_WORDINGS]
    if not wordings:
        return {}
    # Binary bigrams: a wording's rare bigrams are its differences, so inverse document frequency would
    # stress exactly what a near-duplicate is allowed to differ in.
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), binary=True, use_idf=False).fit_transform(
        [w if len(w) > 1 else w + " " for w in wordings]
    )
    similarity = (vectors @ vectors.T).astype(np.float32).toarray()
    heads: list[int] = []
    group: dict[str, str] = {}
    for i, wording in enumerate(wordings):
        if heads:
            sims = similarity[i, heads]
            best = int(np.argmax(sims))
            if sims[best] >= MERGE_SIMILARITY:
                group[wording] = wordings[heads[best]]
                continue
        heads.append(i)
        group[wording] = wording
    return group


def quick_phrases(
    answers: list[tuple[str, str, str]],
    topic_of: dict[str, int],
    converted: set[str],
) -> dict[int, list[QuickPhrase]]:
    """answers: (session_id, buyer, text) of human agent messages; topic_of: session -> topic;
    converted: sessions whose buyer-day converted. Returns each topic's candidates, most used first."""
    normal = [(sid, buyer, text, normalise(text)) for sid, buyer, text in answers if sid in topic_of]
    normal = [a for a in normal if a[3]]
    sessions_by_wording: dict[str, set[str]] = defaultdict(set)
    for sid, _, _, norm in normal:
        sessions_by_wording[norm].add(sid)
    group_of = merge_wordings(Counter({w: len(s) for w, s in sessions_by_wording.items()}))

    sessions_by_group: dict[str, set[str]] = defaultdict(set)
    originals: dict[str, Counter] = defaultdict(Counter)
    buyers: dict[str, set[str]] = defaultdict(set)
    wordings: dict[str, set[str]] = defaultdict(set)
    for sid, buyer, text, norm in normal:
        head = group_of.get(norm)
        if head is None:
            continue
        sessions_by_group[head].add(sid)
        originals[head][text] += 1
        buyers[head].add(buyer)
        wordings[head].add(norm)

    total = len(topic_of)
    topic_sizes = Counter(topic_of.values())
    several_topics = len(topic_sizes) > 1
    out: dict[int, list[QuickPhrase]] = defaultdict(list)
    for head, sessions in sessions_by_group.items():
        by_topic: dict[int, set[str]] = defaultdict(set)
        for sid in sessions:
            by_topic[topic_of[sid]].add(sid)
        overall_share = len(sessions) / total
        text = sorted(originals[head].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        for topic, used in by_topic.items():
            if len(used) < MIN_SESSIONS:
                continue
            lift = (len(used) / topic_sizes[topic]) / overall_share
            if several_topics and lift < MIN_LIFT:
                continue
            orders = len(used & converted)
            out[topic].append(QuickPhrase(
                text=mask_text(text, buyers[head]),
                sessions=len(used),
                orders=orders,
                order_rate=orders / len(used),
                variants=len(wordings[head]),
                lift=round(lift, 2),
            ))
    return {t: sorted(p, key=lambda q: (-q.sessions, -q.orders, q.text))[:PER_TOPIC] for t, p in out.items()}
