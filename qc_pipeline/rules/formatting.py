"""Plain-text views for `qc rules check` and `qc rules list`."""
from __future__ import annotations

from qc_pipeline.rules.model import CATEGORIES, SEVERITIES, Hit, RuleSet


def format_hits(text: str, hits: list[Hit]) -> str:
    """The sentence, then each hit: severity, rule, span, the hit marked in context, and why."""
    lines = [f"「{text}」", f"{len(hits)} hit{'s' if len(hits) != 1 else ''}" + (":" if hits else "")]
    for n, h in enumerate(hits, start=1):
        score = f"  p={h.probability:.2f}" if h.probability is not None else ""
        lines.append(f"{n}. [{h.severity}] {h.rule_id} ({h.category})  chars {h.start}–{h.end}: 「{h.matched}」{score}")
        if h.end - h.start < len(text):
            lines.append(f"   {text[:h.start]}【{h.matched}】{text[h.end:]}")
        lines.append(f"   {h.explanation_zh}")
        lines.append(f"   {h.explanation_en}")
    candidates = getattr(hits, "candidates", None)
    if candidates:
        lines.append(f"{len(candidates)} candidate{'s' if len(candidates) != 1 else ''} considered:")
        for c in candidates:
            verdict = "kept   " if c.kept else "dropped"
            lines.append(f"- {verdict} {c.rule_id} ({c.category}) chars {c.start}–{c.end} 「{c.matched}」: {c.reason}")
    return "\n".join(lines)


def format_rules(ruleset: RuleSet) -> str:
    """Every rule, grouped by category: id, severity, weight, whether it is on, why, and its source."""
    on = sum(r.enabled for r in ruleset.rules)
    lines = [f"rule set {ruleset.version}: {len(ruleset.rules)} rules, {on} on"]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    for category in CATEGORIES:
        rules = sorted((r for r in ruleset.rules if r.category == category), key=lambda r: (rank[r.severity], r.id))
        if not rules:
            continue
        lines.append("")
        lines.append(category)
        for r in rules:
            state = "on " if r.enabled else "off"
            what = f"{r.kind}, threshold {r.threshold:g}" if r.kind == "classifier" else _size(r)
            lines.append(f"  {state} {r.id:<22} {r.severity:<8} weight {r.weight:g}  ({what})")
            lines.append(f"      {r.explanation_zh}")
            lines.append(f"      {r.explanation_en}")
            lines.append(f"      source: {r.source}")
    return "\n".join(lines)


def _size(rule) -> str:
    parts = [f"{len(rule.terms)} terms"] if rule.terms else []
    if rule.patterns:
        parts.append(f"{len(rule.patterns)} patterns")
    if rule.exempt_terms or rule.exempt_patterns:
        parts.append(f"{len(rule.exempt_terms) + len(rule.exempt_patterns)} exemptions")
    return ", ".join(parts)
