"""The rules against hand-labelled agent sentences, and the classifier against held-out replies.

tests/data/rules_eval.jsonl was labelled the way a QC specialist would mark each sentence, not by
running the rules. A predicted hit counts as correct when it has the expected category and overlaps
the expected text (people and rules may mark 全网最低价 or just 最低价); each expected span is
matched at most once. The "dev" part was written together with the rules, the "test" and "final"
parts afterwards (docs/rules.md gives their first-run figures, before they taught the rules anything).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from qc_pipeline.rules import CATEGORIES, RuleSet, check_text, load_ruleset
from qc_pipeline.rules.loader import ruleset_version
from qc_pipeline.rules.tuning import held_out

EVAL = Path(__file__).parent / "data" / "rules_eval.jsonl"
MIN_PRECISION, MIN_RECALL = 0.95, 0.90
MIN_CLASSIFIER_PRECISION = 0.90


def eval_rows() -> list[dict]:
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def expected_spans(row: dict) -> list[tuple[str, int, int]]:
    """(category, start, end) per label; a text labelled twice means its first and second occurrence."""
    spans, seen = [], Counter()
    for label in row["expected"]:
        key = (label["category"], label["matched"])
        start = -1
        for _ in range(seen[key] + 1):
            start = row["text"].index(label["matched"], start + 1)
        seen[key] += 1
        spans.append((label["category"], start, start + len(label["matched"])))
    return spans


def score(rows: list[dict], ruleset: RuleSet) -> tuple[dict[str, Counter], list[str]]:
    counts = {c: Counter() for c in CATEGORIES}
    mistakes = []
    for row in rows:
        wanted = expected_spans(row)
        for hit in check_text(row["text"], ruleset):
            match = next(
                (w for w in wanted if w[0] == hit.category and hit.start < w[2] and w[1] < hit.end), None
            )
            if match:
                wanted.remove(match)
                counts[hit.category]["tp"] += 1
            else:
                counts[hit.category]["fp"] += 1
                mistakes.append(f"FP {hit.category:<16} {hit.rule_id:<20} 「{hit.matched}」 in {row['text']}")
        for category, start, end in wanted:
            counts[category]["fn"] += 1
            mistakes.append(f"FN {category:<16} {'':<20} 「{row['text'][start:end]}」 in {row['text']}")
    return counts, mistakes


def lexicon_rules() -> RuleSet:
    """The shipped set without its classifier rules: the table measures lexicon and regex rules."""
    shipped = load_ruleset()
    rules = [r if r.kind != "classifier" else replace(r, enabled=False) for r in shipped.rules]
    return RuleSet(rules, ruleset_version(rules))


def ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def table(counts: dict[str, Counter]) -> str:
    lines = [f"{'category':<18}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>9}"]
    for c, n in counts.items():
        p, r = ratio(n["tp"], n["tp"] + n["fp"]), ratio(n["tp"], n["tp"] + n["fn"])
        lines.append(f"{c:<18}{n['tp']:>5}{n['fp']:>5}{n['fn']:>5}{p:>11.3f}{r:>9.3f}")
    return "\n".join(lines)


def test_eval_file_is_large_and_covers_every_category():
    rows = eval_rows()
    assert len(rows) >= 400
    labelled = Counter(label["category"] for row in rows for label in row["expected"])
    assert set(labelled) == set(CATEGORIES)
    assert min(labelled.values()) >= 15
    assert sum(not row["expected"] for row in rows) >= 120  # sentences with nothing to flag


def test_lexicon_rules_precision_and_recall_per_category():
    ruleset = lexicon_rules()
    rows = eval_rows()
    for part in ("dev", "test", "final"):
        counts, _ = score([r for r in rows if r["split"] == part], ruleset)
        print(f"\n{part} part:\n{table(counts)}")
    counts, mistakes = score(rows, ruleset)
    print(f"\nall {len(rows)} sentences:\n{table(counts)}")
    print("\n".join(mistakes))
    failing = [
        c for c, n in counts.items()
        if ratio(n["tp"], n["tp"] + n["fp"]) < MIN_PRECISION or ratio(n["tp"], n["tp"] + n["fn"]) < MIN_RECALL
    ]
    assert not failing, f"below precision {MIN_PRECISION} / recall {MIN_RECALL}: {failing}\n{table(counts)}"


@pytest.mark.parametrize("label", ["arguing", "abuse"])
def test_classifier_precision_on_held_out_replies(label):
    curve, result = held_out_report()[label]
    print(f"\n{label}: threshold {result.threshold:.2f}, held-out precision {result.precision:.3f}, "
          f"recall {result.recall:.3f} ({result.flagged} flagged of {result.positives})")
    assert result.precision >= MIN_CLASSIFIER_PRECISION
    assert result.recall > 0.2  # it must still find paraphrases, not just stay silent


def test_shipped_thresholds_are_the_ones_the_tuning_chooses():
    shipped = {r.label: r.threshold for r in load_ruleset().rules if r.kind == "classifier"}
    chosen = {label: result.threshold for label, (_, result) in held_out_report().items()}
    assert shipped == chosen, "re-run `python -m qc_pipeline.rules.tuning` and copy its thresholds into rules.yaml"


_REPORT = {}


def held_out_report():
    if not _REPORT:
        _REPORT.update(held_out(load_ruleset().rule("ML-ARGUING").training))
    return _REPORT
