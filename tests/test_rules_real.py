"""The rules on real agent replies labelled by hand against docs/rules.md's labelling rubric.

The replies are third-party text that may not be redistributed, so only their labels are in the
repository (tests/data/real/labels/, offsets and a hash of each reply, no text). dev.jsonl, dev2.jsonl,
dev3.jsonl and test.jsonl in tests/data/real/ join them onto the corpus extracted from the public dialogue sets
(scripts/real_corpus.py, then scripts/real_labels.py assemble; tests/data/real/README.md); or point
CHAT_QC_REAL_LABELS at a folder holding such files. Without them the tests skip. The rules were tuned on dev, dev2 and dev3
only; test is only measured. Each reply is checked with the buyer's message it answers when the file
gives it as a turn of its own (dev); the context of dev2 and dev3 is one unsegmented string of earlier
turns, so their replies are checked without one.

Targets (issue 12): precision >= 0.9 overall and in every category with >= 10 labelled positives,
recall >= 0.7 in those categories, and at most 3 false flags per 1,000 real replies. Dev meets them and
asserts them. Where a split misses them, a regression floor at the figures measured (docs/rules.md)
is asserted, and the targets are a strict xfail, so that a fix that reaches them fails the xfail and
makes someone turn it into a plain assertion.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from qc_pipeline.rules import CATEGORIES, load_ruleset
from qc_pipeline.rules.evaluation import evaluate, read_labels

REAL = Path(__file__).parent / "data" / "real"
DIR = Path(os.environ.get("CHAT_QC_REAL_LABELS") or REAL)
LABELS = REAL / "labels"  # committed: id, sha1 of the text, categories, spans as offsets, note
MIN_PRECISION, MIN_RECALL, MAX_FALSE_PER_1000, MIN_POSITIVES = 0.9, 0.7, 3.0, 10

# What the rules measure where they miss the targets (rounded down; false flags rounded up):
# (precision, recall, false flags per 1,000) overall, and per category with enough positives.
FLOORS = {
    "dev": {"all": (0.94, 0.89, 0.7), "delivery_promise": (1.0, 0.93)},
    "dev2": {"all": (1.0, 0.73, 0.0), "hedging": (1.0, 0.84), "flat_refusal": (1.0, 0.35),
             "delivery_promise": (1.0, 0.9), "slang": (1.0, 1.0)},
    "dev3": {"all": (0.91, 0.65, 0.9), "hedging": (0.66, 0.46), "flat_refusal": (0.88, 0.29),
             "delivery_promise": (0.96, 0.83), "slang": (1.0, 1.0)},
    "test": {"all": (0.77, 0.72, 2.9), "delivery_promise": (0.93, 0.88), "flat_refusal": (0.63, 0.7)},
    # flagged replies are oversampled in dev4 and test4, so their false flags per 1,000 are the sample's
    "dev4": {"all": (0.64, 0.89, 91.0), "flat_refusal": (0.75, 0.96), "delivery_promise": (0.62, 0.9)},
    "test4": {"all": (0.67, 0.95, 84.6), "flat_refusal": (0.74, 0.9), "delivery_promise": (0.78, 1.0)},
    # JDDC 2.1 (appliance and shoe after-sales): no category has 10 positives in either split
    "dev5": {"all": (0.68, 0.61, 3.3)},
    "test5": {"all": (0.26, 0.45, 15.7)},
}
MISSED = {
    "dev2": "target not met on dev2: flat_refusal recall 0.353 (6 of 17). Its buyer turns are not "
            "segmented, so bare inability reports (改不了的, 无法换的) are judged without the request they "
            "answer, which is ambiguous, and are not flagged; precision 1.000, 0.0 false flags per 1,000",
    "dev3": "target not met on dev3: flat_refusal recall 0.296 (8 of 27; its bare inability reports, "
            "退不了了, are judged without the request they answer, as in dev2) and hedging 0.667 / 0.462 "
            "(bare 不清楚呢 with nothing named, guesses about the logistics record); precision 0.914, "
            "0.9 false flags per 1,000",
    "dev4": "target not met on dev4 (the later sources, tuned on): precision 0.649, recall 0.893; "
            "hedging 0.500, delivery_promise 0.625, flat_refusal 0.757 (docs/rules.md, fresh real replies)",
    "test4": "target not met on test4 (the later sources, held out): precision 0.670, recall 0.952; "
             "flat_refusal 0.744, delivery_promise 0.783 (docs/rules.md, fresh real replies)",
    "test": "target not met on the real test split: precision 0.773, recall 0.723, 2.9 false flags "
            "per 1,000 (docs/rules.md)",
    "dev5": "target not met on dev5 (JDDC 2.1, tuned on): precision 0.684, recall 0.619, 3.3 false flags "
            "per 1,000: hedges about how the goods behave in the buyer's use (docs/rules.md, JDDC 2.1 round)",
    "test5": "target not met on test5 (JDDC 2.1, held out): precision 0.263, recall 0.455, 15.6 false flags "
             "per 1,000: hedging 3 of 22 flags true, the dev5 classes too narrow for the rest of the source "
             "(docs/rules.md, JDDC 2.1 round)",
}

_REPORTS = {}


def committed_labels(split: str) -> list[dict]:
    path = LABELS / f"{split}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _why_absent(split: str, path: Path) -> str:
    labels = committed_labels(split)
    if not labels:
        return (f"no labelled real {split} replies: {LABELS / (split + '.jsonl')} holds no labels yet and "
                f"there is no {path} (tests/data/real/README.md)")
    return (f"{len(labels)} {split} labels are committed but the corpus is absent: {path} is assembled from "
            "them and the public dialogue sets, whose text is not redistributable (scripts/real_corpus.py, "
            "then scripts/real_labels.py assemble; tests/data/real/README.md)")


def _assert_current(split: str, rows: list[dict], path: Path) -> None:
    """The assembled file must carry exactly the committed labels, or it measures labels nobody kept."""
    def key(row, digest):
        return row["id"], digest, tuple(sorted(row.get("categories", [])))
    want = {key(r, r["sha1"]) for r in committed_labels(split)}
    have = {key(r, hashlib.sha1(r["text"].encode("utf-8")).hexdigest()) for r in rows}
    if want and have != want:
        pytest.fail(f"{path} does not match the committed {LABELS / (split + '.jsonl')} "
                    f"({len(have - want)} rows not committed, {len(want - have)} committed rows missing): "
                    "run python scripts/real_labels.py assemble")


def report(split: str):
    path = DIR / f"{split}.jsonl"
    if not path.is_file():
        pytest.skip(_why_absent(split, path))
    if split not in _REPORTS:
        rows = read_labels(path)
        if DIR == REAL:
            _assert_current(split, rows, path)
        _REPORTS[split] = evaluate(rows, load_ruleset())
        print(f"\nreal {split}:\n{_REPORTS[split].table()}")
    return _REPORTS[split]


def _targets(split: str, category: str | None):
    r = report(split)
    if category is None:
        assert r.precision() >= MIN_PRECISION, r.table()
        assert r.false_per_1000() <= MAX_FALSE_PER_1000, r.table()
        return
    if r.positives(category) < MIN_POSITIVES:
        pytest.skip(f"{category}: {r.positives(category)} labelled positives in {split}, fewer than {MIN_POSITIVES}")
    assert r.precision(category) >= MIN_PRECISION, r.table()
    assert r.recall(category) >= MIN_RECALL, r.table()


# tuned on: dev, dev2, dev3, dev4, dev5; measured only: test, test4, test5
SPLITS = ["dev", "dev2", "dev3", "test", "dev4", "test4", "dev5", "test5"]


@pytest.mark.parametrize("split", SPLITS)
def test_labelled_split_is_big_enough(split):
    r = report(split)
    # dev4 and test4 are a few hundred replies each: every reply the rules flag in the later sources, and
    # a random draw of the rest (docs/rules.md, "Fresh real replies")
    assert r.replies >= (250 if split in ("dev4", "test4") else 1500)
    assert r.positives() >= 20


def test_dev_meets_the_targets_overall():
    _targets("dev", None)


@pytest.mark.parametrize("category", CATEGORIES)
def test_dev_meets_the_targets_where_a_category_has_enough_positives(category):
    _targets("dev", category)


@pytest.mark.parametrize("split", SPLITS)
def test_no_regression_below_the_measured_figures(split):
    r = report(split)
    for category, floor in FLOORS[split].items():
        key = None if category == "all" else category
        assert r.precision(key) >= floor[0], (category, r.table())
        assert r.recall(key) >= floor[1], (category, r.table())
        if len(floor) > 2:
            assert r.false_per_1000() <= floor[2], r.table()


@pytest.mark.parametrize("split", [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason=MISSED[s]))
                                   for s in ("dev2", "dev3", "test", "dev4", "test4", "dev5", "test5")])
def test_the_targets_overall_and_per_category(split):
    r = report(split)
    assert r.precision() >= MIN_PRECISION and r.false_per_1000() <= MAX_FALSE_PER_1000, r.table()
    for category in CATEGORIES:
        if r.positives(category) >= MIN_POSITIVES:
            assert r.precision(category) >= MIN_PRECISION and r.recall(category) >= MIN_RECALL, r.table()
