"""Precision and recall of a rule set against labelled agent replies (docs/rules.md, "Labelling rubric").

A labelled reply is `{"id", "text", "categories": [...], "spans": [{"category", "text"}]}`. Scoring
counts violations as the QC team does, per reply and category: a category the rules flag in a reply is
a true positive when the reply is labelled with it and one of its hits overlaps one of the labelled
spans of that category, otherwise a false positive; a labelled category with no such hit is a false
negative. False flags per 1,000 replies is false positives × 1000 ÷ replies.

    python -m qc_pipeline.rules.evaluation FILE.jsonl [--show]
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qc_pipeline.rules.flagging import check_text
from qc_pipeline.rules.model import CATEGORIES, RuleSet


@dataclass
class Report:
    replies: int = 0
    counts: dict[str, Counter] = field(default_factory=lambda: {c: Counter() for c in CATEGORIES})
    mistakes: list[str] = field(default_factory=list)

    def precision(self, category: str | None = None) -> float:
        tp, fp = self._sum("tp", category), self._sum("fp", category)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, category: str | None = None) -> float:
        tp, fn = self._sum("tp", category), self._sum("fn", category)
        return tp / (tp + fn) if tp + fn else 1.0

    def positives(self, category: str | None = None) -> int:
        return self._sum("tp", category) + self._sum("fn", category)

    def false_per_1000(self) -> float:
        return 1000 * self._sum("fp") / self.replies if self.replies else 0.0

    def _sum(self, key: str, category: str | None = None) -> int:
        return sum(n[key] for c, n in self.counts.items() if category in (None, c))

    def table(self) -> str:
        lines = [f"{'category':<18}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>9}"]
        for c, n in [*self.counts.items(), ("all", None)]:
            key = None if c == "all" else c
            tp, fp, fn = self._sum("tp", key), self._sum("fp", key), self._sum("fn", key)
            lines.append(f"{c:<18}{tp:>5}{fp:>5}{fn:>5}{self.precision(key):>11.3f}{self.recall(key):>9.3f}")
        lines.append(f"{self.replies} replies, {self.false_per_1000():.1f} false flags per 1,000")
        return "\n".join(lines)


def read_labels(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if not isinstance(row.get("text"), str):
                raise ValueError(f"{path}:{n}: no text")
            rows.append(row)
    return rows


def label_spans(row: dict) -> dict[str, list[tuple[int, int]]]:
    """Character ranges of each labelled category; a span not found in the text covers the reply
    (the category is still labelled, and any hit of it counts)."""
    out: dict[str, list[tuple[int, int]]] = {c: [] for c in row.get("categories", [])}
    text = row["text"]
    for span in row.get("spans", []):
        words = span.get("text") or ""
        start = text.find(words) if words else -1
        out.setdefault(span["category"], []).append(
            (start, start + len(words)) if start >= 0 else (0, len(text)))
    for category, spans in out.items():
        if not spans:
            spans.append((0, len(text)))
    return out


def buyer_context(row: dict) -> str | None:
    """The buyer's last message before the reply: the last `context` turn with role buyer. A context
    given as one string of unsegmented earlier turns (buyer and agent joined by commas) cannot be split
    into turns reliably, so it counts as unknown; so does a context turn whose role is not buyer."""
    context = row.get("context")
    if isinstance(context, str) or not context:
        return None
    for turn in reversed(context):
        if isinstance(turn, dict) and turn.get("role") == "buyer":
            return turn.get("text") or None
    return None


def evaluate(rows: list[dict], ruleset: RuleSet) -> Report:
    report = Report()
    for row in rows:
        report.replies += 1
        wanted = label_spans(row)
        hits: dict[str, list] = {}
        for hit in check_text(row["text"], ruleset, context=buyer_context(row)):
            hits.setdefault(hit.category, []).append(hit)
        for category in set(hits) | set(wanted):
            if category not in report.counts:
                continue
            got = hits.get(category, [])
            spans = wanted.get(category, [])
            if got and any(h.start < b and a < h.end for h in got for a, b in spans):
                report.counts[category]["tp"] += 1
            elif got:
                report.counts[category]["fp"] += 1
                shown = ", ".join(f"{h.rule_id}「{h.matched}」" for h in got)
                report.mistakes.append(f"FP {category:<16} {shown} in {row.get('id')}: {row['text']}")
                if spans:  # flagged, but at other words: the labelled words are still missed
                    report.counts[category]["fn"] += 1
            else:
                report.counts[category]["fn"] += 1
                words = " / ".join(row["text"][a:b] for a, b in spans)
                report.mistakes.append(f"FN {category:<16} 「{words}」 in {row.get('id')}: {row['text']}")
    return report


def main(argv: list[str]) -> None:
    from qc_pipeline.rules.loader import load_ruleset

    ruleset = load_ruleset()
    for path in [a for a in argv if not a.startswith("--")]:
        report = evaluate(read_labels(Path(path)), ruleset)
        print(f"{path}\n{report.table()}")
        if "--show" in argv:
            print("\n".join(sorted(report.mistakes)))


if __name__ == "__main__":
    main(sys.argv[1:])
