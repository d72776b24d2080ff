"""How the classifier rules' thresholds are chosen, and how they hold up on replies the model never saw.

    python -m qc_pipeline.rules.tuning [training.jsonl]

Every fifth reply (by a hash of its text, so the split never changes) is held out. On the others,
5-fold out-of-fold probabilities give each label's precision and recall at thresholds 0.50 … 0.95, and
the threshold is the lowest whose out-of-fold precision reaches 0.95: a flag must be right far more
often than not, and missing a paraphrase costs less than accusing a polite agent. The held-out replies,
scored by the same recipe fitted on the rest, then give the figures in docs/rules.md.
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass

from qc_pipeline.rules.classifier import TRAINING_DIR, SEED, Example, Scorer, fit, read_examples

HOLDOUT_EVERY = 5
TARGET_PRECISION = 0.95
GRID = [round(0.50 + 0.05 * i, 2) for i in range(10)]
FLAGGED_LABELS = ("arguing", "abuse")


@dataclass(frozen=True)
class Score:
    threshold: float
    precision: float
    recall: float
    flagged: int
    positives: int


def split(examples) -> tuple[list[Example], list[Example]]:
    """(train, held_out), decided by each text's hash."""
    train, held = [], []
    for e in examples:
        digest = int(hashlib.md5(e.text.encode("utf-8")).hexdigest(), 16)
        (held if digest % HOLDOUT_EVERY == 0 else train).append(e)
    return train, held


def out_of_fold(examples: list[Example]) -> list[dict[str, float]]:
    from sklearn.model_selection import StratifiedKFold

    labels = [e.label for e in examples]
    probs: list[dict[str, float]] = [{} for _ in examples]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for fit_idx, score_idx in folds.split(labels, labels):
        scorer = Scorer(fit([examples[i] for i in fit_idx]))
        for i, p in zip(score_idx, scorer.predict_proba([examples[i].text for i in score_idx])):
            probs[i] = p
    return probs


def score(probs: list[dict[str, float]], examples: list[Example], label: str, threshold: float) -> Score:
    flagged = [p[label] >= threshold for p in probs]
    truth = [e.label == label for e in examples]
    hits = sum(f and t for f, t in zip(flagged, truth))
    n_flagged, n_true = sum(flagged), sum(truth)
    return Score(threshold, hits / n_flagged if n_flagged else 1.0, hits / n_true if n_true else 1.0,
                 n_flagged, n_true)


def choose_threshold(probs: list[dict[str, float]], examples: list[Example], label: str) -> float:
    for threshold in GRID:
        if score(probs, examples, label, threshold).precision >= TARGET_PRECISION:
            return threshold
    return GRID[-1]


def held_out(path: str) -> dict[str, tuple[list[Score], Score]]:
    """Per label: the out-of-fold curve on the training part, and the held-out score at the chosen threshold."""
    train, held = split(read_examples(path))
    oof = out_of_fold(train)
    held_probs = Scorer(fit(train)).predict_proba([e.text for e in held])
    report = {}
    for label in FLAGGED_LABELS:
        curve = [score(oof, train, label, t) for t in GRID]
        chosen = choose_threshold(oof, train, label)
        report[label] = (curve, score(held_probs, held, label, chosen))
    return report


def main(argv: list[str]) -> None:
    path = argv[0] if argv else str(TRAINING_DIR / "replies.jsonl")
    train, held = split(read_examples(path))
    print(f"{path}: {len(train)} training replies, {len(held)} held out")
    for label, (curve, result) in held_out(path).items():
        print(f"\n{label}: out-of-fold on the training part")
        for s in curve:
            mark = "  <- chosen" if s.threshold == result.threshold else ""
            print(f"  threshold {s.threshold:.2f}  precision {s.precision:.3f}  recall {s.recall:.3f}  "
                  f"flagged {s.flagged}{mark}")
        print(f"  held out at {result.threshold:.2f}: precision {result.precision:.3f}, recall {result.recall:.3f} "
              f"({result.flagged} flagged, {result.positives} {label} replies)")


if __name__ == "__main__":
    main(sys.argv[1:])
