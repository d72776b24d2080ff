"""Clustering buyers' questions into topics: spectral co-clustering of questions and words.

Questions are a few words long and two questions on one topic often share no word at all (身高 and 尺码),
so plain k-means on TF-IDF groups them by wording rather than by topic. Here a question and a word are
linked by the word's TF-IDF weight (jieba words, plus character 1-2-grams of them at half weight, so that
尺码 and 码数 share 码). The leading singular vectors of the degree-normalised question-word matrix
place questions that share words, or share words with questions that share words, close together
(Dhillon 2001; Ng, Jordan & Weiss 2002). k-means on those vectors gives the topics.

k: the singular values of that matrix are close to 1 for each group of questions that rarely shares
words with the rest, and drop after the last such group. k is where the drop is largest: the k in
[K_MIN, K_MAX] that maximises s_k - s_(k+1) (the eigengap heuristic), among the k whose clustering leaves
no topic smaller than MIN_TOPIC_SHARE of the questions (and at least MIN_TOPIC_SIZE) and none larger than
MAX_TOPIC_SHARE. Without the floor a rare question asked twice in words no one else uses (拉链坏了) is a
near-isolated group of its own and wins the largest gap; without the ceiling a small k can leave most
questions in one topic, which tells a trainer nothing. When no k keeps within both bounds, the largest gap
above the floor wins, else the largest gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from qc_pipeline.topics.words import tokens

K_MIN, K_MAX = 2, 12
CHAR_WEIGHT = 0.5
TOP_TERMS = 5
MIN_TOPIC_SHARE = 0.02
MIN_TOPIC_SIZE = 3
MAX_TOPIC_SHARE = 0.4
# Above this many questions the SVD is computed iteratively (only the leading vectors) to bound memory.
DENSE_LIMIT = 2000


@dataclass
class Clustering:
    labels: list[int]
    k: int
    top_terms: list[list[str]]                                  # per topic, most distinctive first
    singular_values: list[float] = field(default_factory=list)  # leading ones, for the k criterion
    chosen_by: str = "eigengap"                                 # eigengap | given | too_few
    embedding: np.ndarray | None = None                         # row per question, for typical examples
    # Labels for other tokenised questions: the topic whose centre (mean feature vector) each is nearest.
    assign: Callable[[list[list[str]]], np.ndarray] | None = field(default=None, repr=False, compare=False)


def _identity(words: list[str]) -> list[str]:
    return words


def _combine(word_matrix: sp.spmatrix, char_matrix: sp.spmatrix) -> sp.csr_matrix:
    return normalize(sp.hstack([word_matrix, CHAR_WEIGHT * normalize(char_matrix)]).tocsr())


def _features(docs: list[list[str]]) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, Callable]:
    """(question x feature matrix, question x word matrix, the words, the same features for other docs)."""
    words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    word_matrix = normalize(words.fit_transform(docs))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)
    char_matrix = chars.fit_transform([" ".join(d) for d in docs])
    combined = _combine(word_matrix, char_matrix)

    def transform(other: list[list[str]]) -> sp.csr_matrix:
        return _combine(normalize(words.transform(other)), chars.transform([" ".join(d) for d in other]))

    return combined, word_matrix.tocsr(), words.get_feature_names_out(), transform


def _assigner(matrix: sp.csr_matrix, labels: np.ndarray, k: int, transform: Callable) -> Callable:
    """Nearest topic centre by cosine in the feature space the topics were found in; a question sharing
    no feature with any clustered one goes to topic 0 (the largest)."""
    def assign(other: list[list[str]]) -> np.ndarray:
        if not other:
            return np.zeros(0, dtype=int)
        centres = normalize(np.vstack([np.asarray(matrix[labels == c].mean(axis=0)) for c in range(k)]))
        return np.asarray(np.argmax(transform(other) @ centres.T, axis=1)).ravel().astype(int)
    return assign


def _leading_vectors(matrix: sp.csr_matrix, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The `count` leading singular values and left vectors of the degree-normalised matrix, largest first."""
    row_deg = np.asarray(matrix.sum(axis=1)).ravel()
    col_deg = np.asarray(matrix.sum(axis=0)).ravel()
    scaled = sp.diags(1 / np.sqrt(row_deg)) @ matrix @ sp.diags(1 / np.sqrt(col_deg))
    if max(scaled.shape) <= DENSE_LIMIT or count >= min(scaled.shape) - 1:
        u, s, _ = np.linalg.svd(scaled.toarray(), full_matrices=False)
        u, s = u[:, :count], s[:count]
    else:
        start = np.random.default_rng(seed).random(min(scaled.shape))
        u, s, _ = svds(scaled, k=count, v0=start)
        order = np.argsort(-s)
        u, s = u[:, order], s[order]
    # Scaling back by the degree turns singular vectors into cluster indicators (normalised cut).
    return s, u / np.sqrt(row_deg)[:, None]


def _kmeans(vectors: np.ndarray, k: int, seed: int) -> np.ndarray:
    # One thread: at these sizes a second OpenMP thread saves nothing, and on a busy machine its spin-waits
    # cost 10-20 times the work (2 threads: 25 CPU-s for the eigengap's fits of 10,000 questions, 1: 1.4 s).
    # It also fixes the order in which each chunk's sums are added, so the labels are the same every run.
    with threadpool_limits(limits=1):
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(normalize(vectors[:, :k]))


def _eigengap(values: np.ndarray, vectors: np.ndarray, k_max: int, seed: int) -> tuple[int, np.ndarray]:
    """k and its labels: the largest gap whose topics are all within the size bounds; failing that, the
    largest gap whose topics are all above the floor; failing that, the largest gap."""
    n = len(vectors)
    floor = max(MIN_TOPIC_SIZE, int(np.ceil(MIN_TOPIC_SHARE * n)))
    by_gap = sorted(range(K_MIN, k_max + 1), key=lambda k: (-(values[k - 1] - values[k]), k))
    above_floor = None
    fitted: dict[int, np.ndarray] = {}
    for k in by_gap:
        labels = fitted[k] = _kmeans(vectors, k, seed)
        sizes = np.bincount(labels, minlength=k)
        if sizes.min() >= floor:
            if sizes.max() <= MAX_TOPIC_SHARE * n:
                return k, labels
            above_floor = above_floor or (k, labels)
    # Every k was fitted above (k-means is deterministic for a seed): the fallback reuses its labels.
    return above_floor or (by_gap[0], fitted[by_gap[0]])


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Number topics by size (largest 0), ties by first appearance, so labels read the same every run."""
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    mapping = {ids[i]: rank for rank, i in enumerate(order)}
    return np.array([mapping[x] for x in labels], dtype=int)


def _top_terms(word_matrix: sp.csr_matrix, vocabulary: np.ndarray, labels: np.ndarray, k: int) -> list[list[str]]:
    """Words by how much more weight they carry inside the topic than outside it."""
    out = []
    for c in range(k):
        inside = np.asarray(word_matrix[labels == c].mean(axis=0)).ravel()
        rest = labels != c
        outside = np.asarray(word_matrix[rest].mean(axis=0)).ravel() if rest.any() else np.zeros_like(inside)
        lift = inside - outside
        order = sorted(np.flatnonzero(lift > 0), key=lambda i: (-lift[i], vocabulary[i]))
        out.append([str(vocabulary[i]) for i in order[:TOP_TERMS]])
    return out


def cluster_docs(docs: list[list[str]], seed: int = 0, k: int | None = None) -> Clustering:
    """Cluster tokenised questions; every doc must hold at least one word."""
    n = len(docs)
    if n == 0:
        return Clustering([], 0, [], chosen_by="too_few")
    matrix, word_matrix, vocabulary, transform = _features(docs)
    k_max = min(K_MAX, n - 1, min(matrix.shape) - 1)
    if k == 1 or (k is None and k_max < K_MIN):
        labels = np.zeros(n, dtype=int)
        return Clustering(labels.tolist(), 1, _top_terms(word_matrix, vocabulary, labels, 1),
                          chosen_by="given" if k == 1 else "too_few",
                          assign=lambda other: np.zeros(len(other), dtype=int))
    if k is not None:
        k = max(1, min(int(k), n))
    wanted = max(k_max, k or 0) + 1
    values, vectors = _leading_vectors(matrix, min(wanted, min(matrix.shape)), seed)
    chosen_by = "given" if k is not None else "eigengap"
    if k is None:
        k, labels = _eigengap(values, vectors, min(k_max, len(values) - 1), seed)
    else:
        labels = _kmeans(vectors, k, seed)
    embedding = normalize(vectors[:, :k])
    labels = _canonical(labels)
    k = int(labels.max()) + 1
    return Clustering(
        labels.tolist(), k, _top_terms(word_matrix, vocabulary, labels, k),
        [round(float(v), 6) for v in values], chosen_by, embedding, _assigner(matrix, labels, k, transform),
    )


def cluster_questions(texts: list[str], seed: int = 0, k: int | None = None) -> tuple[list[int], int, list[list[str]]]:
    """Topic labels for raw question texts, the number of topics and each topic's top terms.

    A text with no words left after stop words (在吗, 你好) gets label -1 and joins no topic.
    """
    docs = [tokens(t) for t in texts]
    kept = [i for i, d in enumerate(docs) if d]
    result = cluster_docs([docs[i] for i in kept], seed=seed, k=k)
    labels = [-1] * len(texts)
    for i, label in zip(kept, result.labels):
        labels[i] = label
    return labels, result.k, result.top_terms
