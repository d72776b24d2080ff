"""Recall and precision per category on the synthetic reply sets (tests/data/rules_synthetic/).

`scripts/make_synthetic_replies.py` writes them from templates: the dev phrasings were used while
writing the rules, the held-out ones are other wordings of the same classes, measured once before any
rule was changed for them (docs/rules.md gives that first run). Each set holds violations of every
category and replies of the exemption classes that must not be flagged.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from qc_pipeline.rules import CATEGORIES, load_ruleset
from qc_pipeline.rules.evaluation import evaluate, read_labels

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rules_synthetic"
MIN_PRECISION, MIN_RECALL = 0.9, 0.85
_REPORTS = {}


def report(part: str):
    if part not in _REPORTS:
        _REPORTS[part] = evaluate(read_labels(DATA / f"{part}.jsonl"), load_ruleset())
        print(f"\nsynthetic {part}:\n{_REPORTS[part].table()}\n" + "\n".join(_REPORTS[part].mistakes))
    return _REPORTS[part]


def test_files_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_synthetic", ROOT / "scripts" / "make_synthetic_replies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for part in ("dev", "heldout"):
        written = [json.loads(line) for line in (DATA / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert written == module.replies(part)


@pytest.mark.parametrize("part", ["dev", "heldout"])
def test_every_category_and_the_exemption_classes_are_covered(part):
    rows = read_labels(DATA / f"{part}.jsonl")
    for category in CATEGORIES:
        assert sum(category in r["categories"] for r in rows) >= 15
    assert sum(not r["categories"] for r in rows) >= 120


@pytest.mark.parametrize("part", ["dev", "heldout"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_recall_and_precision_per_category(part, category):
    r = report(part)
    assert r.recall(category) >= MIN_RECALL, r.table()
    assert r.precision(category) >= MIN_PRECISION, r.table()
