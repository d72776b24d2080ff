"""The paraphrase classifier behind `kind: classifier` rules: character n-gram TF-IDF and logistic
regression over labelled agent replies shipped in `training/`.

The model fitted from each shipped training file is shipped beside it in `models/` (its numbers as
JSON, with the sha256 of the data and the recipe it was fitted with), so a run neither imports
scikit-learn nor fits anything. It is used only while it matches the data and the recipe exactly;
otherwise (a shop's own training file, data edited since) the model is fitted on first use and kept
for the process. Regenerate the shipped models after changing the data or the recipe:

    python scripts/fit_classifier.py

tests/test_classifier_model.py checks that every shipped model equals a fresh fit of its data.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qc_pipeline.errors import UserError
from qc_pipeline.rules.text import fold

TRAINING_DIR = Path(__file__).parent / "training"
MODEL_DIR = Path(__file__).parent / "models"
SEED = 0
# Everything that shapes the model besides the data; a shipped model records it and is used only with it.
RECIPE = {
    "vectorizer": {"analyzer": "char", "ngram_range": [1, 2], "sublinear_tf": True},
    "regression": {"C": 5.0, "class_weight": "balanced", "max_iter": 3000, "random_state": SEED},
    "text": "fold",
}
MODEL_FORMAT = 1
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizer


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@functools.cache
def read_examples(path: str) -> tuple[Example, ...]:
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read training data ({exc.strerror})") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Example(str(row["text"]), str(row["label"])))
        except (ValueError, KeyError, TypeError):
            raise UserError(f"{path}:{n}: expected a JSON object with text and label") from None
    if not out:
        raise UserError(f"{path}: no training examples")
    return tuple(out)


@functools.cache
def training_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def labels_of(path: str) -> set[str]:
    return {e.label for e in read_examples(path)}


def fit(examples: list[Example] | tuple[Example, ...]):
    """The recipe, fitted deterministically: the same examples always give the same model."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    vectorizer = {**RECIPE["vectorizer"], "ngram_range": tuple(RECIPE["vectorizer"]["ngram_range"])}
    model = make_pipeline(TfidfVectorizer(**vectorizer), LogisticRegression(**RECIPE["regression"]))
    # A few hundred short replies fit in a blink on one thread; BLAS threads fighting over two
    # busy cores made the same fit take seconds.
    with threadpool_limits(limits=1):
        model.fit([fold(e.text) for e in examples], [e.label for e in examples])
    return model


_SEPARATOR = "\x00"


@dataclass(frozen=True)
class Fitted:
    """The numbers of a fitted model, as scikit-learn holds them: the n-gram of every feature column,
    its idf, and the regression's labels, weights and intercepts."""
    labels: tuple[str, ...]
    grams: tuple[str, ...]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    sublinear_tf: bool

    @classmethod
    def of(cls, model) -> "Fitted":
        vectorizer, regression = model[0], model[-1]
        if (vectorizer.analyzer, vectorizer.ngram_range, vectorizer.norm) != ("char", (1, 2), "l2"):
            raise ValueError("Scorer mirrors character 1-2-gram TF-IDF with l2 norm only")
        grams = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        return cls(tuple(str(c) for c in regression.classes_), tuple(grams), np.asarray(vectorizer.idf_, float),
                   np.asarray(regression.coef_, float), np.asarray(regression.intercept_, float),
                   bool(vectorizer.sublinear_tf))

    def to_json(self, training: Path) -> str:
        """The model file: one key a line, floats written exactly (shortest round-trip form)."""
        fields = {
            "format": MODEL_FORMAT,
            "training": training.name,
            "training_sha256": training_digest(str(training)),
            "recipe": RECIPE,
            "labels": list(self.labels),
            "sublinear_tf": self.sublinear_tf,
            "grams": list(self.grams),
            "idf": self.idf.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }
        return "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()) + "\n}\n"

    @classmethod
    def from_data(cls, data: dict) -> "Fitted":
        return cls(tuple(data["labels"]), tuple(data["grams"]), np.asarray(data["idf"], float),
                   np.asarray(data["coef"], float), np.asarray(data["intercept"], float), bool(data["sublinear_tf"]))


def model_path(training: str | Path) -> Path:
    return MODEL_DIR / (Path(training).stem + ".json")


def shipped_model(training: str) -> Fitted | None:
    """The shipped model of this training file, when there is one fitted from exactly this data with
    exactly this recipe."""
    path = model_path(training)
    if Path(training).resolve().parent != TRAINING_DIR.resolve() or not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if (data.get("format"), data.get("training_sha256"), data.get("recipe")) != (
            MODEL_FORMAT, training_digest(training), RECIPE):
        return None
    return Fitted.from_data(data)


class Scorer:
    """The fitted model's probabilities for a batch of texts, computed with numpy from its vocabulary,
    idf and weights: the same numbers as the scikit-learn pipeline (see tests), without its
    per-n-gram Python loop, which cost more than everything else in the flag stage.
    `model` is a fitted scikit-learn pipeline or its `Fitted` numbers."""

    def __init__(self, model):
        fitted = model if isinstance(model, Fitted) else Fitted.of(model)
        self.labels = list(fitted.labels)
        self._sublinear = fitted.sublinear_tf
        self._idf = fitted.idf
        coef, bias = fitted.coef, fitted.intercept
        if coef.shape[0] == 1:  # two labels: scikit-learn keeps the second label's weights only
            coef, bias = np.vstack([-coef[0], coef[0]]) / 2, np.array([-bias[0], bias[0]]) / 2
        self._weights, self._bias = coef, bias
        # Unigrams index a dense table by code point; bigrams are two code points in one int64.
        self._unigram = np.full(0x110000, -1, dtype=np.int32)
        bigram_keys, bigram_ids = [], []
        for j, gram in enumerate(fitted.grams):
            if len(gram) == 1:
                self._unigram[ord(gram)] = j
            else:
                bigram_keys.append((ord(gram[0]) << 21) | ord(gram[1]))
                bigram_ids.append(j)
        order = np.argsort(bigram_keys)
        self._bigram_keys = np.asarray(bigram_keys, dtype=np.int64)[order]
        self._bigram_ids = np.asarray(bigram_ids, dtype=np.int64)[order]

    def predict_proba(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        # The vectorizer's own preprocessing: lower case, runs of white space to one space.
        cleaned = [_WHITE_SPACES.sub(" ", fold(t).lower()).replace(_SEPARATOR, " ") for t in texts]
        points = np.frombuffer(_SEPARATOR.join(cleaned).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        doc = np.repeat(np.arange(len(cleaned)), [len(t) + 1 for t in cleaned])[: len(points)]
        uni = self._unigram[points].astype(np.int64)
        bi = self._bigrams((points[:-1] << 21) | points[1:])
        docs = np.concatenate([doc[uni >= 0], doc[:-1][bi >= 0]])
        feats = np.concatenate([uni[uni >= 0], bi[bi >= 0]])
        keys, counts = np.unique(docs * len(self._idf) + feats, return_counts=True)
        docs, feats = keys // len(self._idf), keys % len(self._idf)
        tf = 1.0 + np.log(counts) if self._sublinear else counts.astype(float)
        value = tf * self._idf[feats]
        norm = np.sqrt(np.bincount(docs, value * value, minlength=len(texts)))
        norm[norm == 0] = 1.0
        logits = np.stack(
            [np.bincount(docs, value * w[feats], minlength=len(texts)) for w in self._weights], axis=1
        ) / norm[:, None] + self._bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return [dict(zip(self.labels, map(float, row))) for row in probs]

    def _bigrams(self, pairs: np.ndarray) -> np.ndarray:
        """The vocabulary column of each bigram key, -1 where the model never saw it."""
        if not len(self._bigram_keys):
            return np.full(len(pairs), -1)
        slot = np.minimum(np.searchsorted(self._bigram_keys, pairs), len(self._bigram_keys) - 1)
        return np.where(self._bigram_keys[slot] == pairs, self._bigram_ids[slot], -1)


@functools.cache
def load_scorer(path: str) -> Scorer:
    shipped = shipped_model(path)
    return Scorer(shipped if shipped is not None else fit(read_examples(path)))


def write_shipped_models() -> list[Path]:
    """Fit every shipped training file and write its model to MODEL_DIR."""
    MODEL_DIR.mkdir(exist_ok=True)
    written = []
    for training in sorted(TRAINING_DIR.glob("*.jsonl")):
        path = model_path(training)
        path.write_text(Fitted.of(fit(read_examples(str(training)))).to_json(training), encoding="utf-8")
        written.append(path)
    return written
