"""The rule set's vocabulary: categories, severities, rules, hits."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from qc_pipeline.store.schema import FLAG_CATEGORIES

if TYPE_CHECKING:
    from qc_pipeline.rules.engine import Engine

# agent_week has one column per category, so the warehouse schema owns the list.
CATEGORIES: tuple[str, ...] = FLAG_CATEGORIES
SEVERITIES = ("critical", "major", "minor")
# Buyers and the platform's system lines are never the shop's words, so no rule may check them.
CHECKED_ROLES = ("agent", "auto")
KINDS = ("lexicon", "classifier")
BOUNDARIES = ("word", "none")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    explanation_zh: str
    explanation_en: str
    source: str
    enabled: bool = True
    weight: float = 1.0
    kind: str = "lexicon"
    roles: tuple[str, ...] = CHECKED_ROLES
    # lexicon rules
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    exempt_terms: tuple[str, ...] = ()
    exempt_patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    boundary: str = "word"
    skip_quotes: bool = True
    # named classes of context that take a hit back (context.Context), judged in order
    contexts: tuple = ()
    # a rule about whole short replies (a bare refusal) reads only messages up to this many characters
    max_chars: int = 0
    # classifier rules
    training: str = ""
    label: str = ""
    threshold: float = 0.0
    cues: tuple[str, ...] = ()
    # replies shorter than this (white space aside) carry too few characters for the model to read
    min_chars: int = 0
    # where the rule was defined; not part of the rule-set version
    origin: str = field(default="", compare=False)

    def fingerprint(self) -> dict:
        """Everything that can change what the rule flags, for the rule-set version."""
        data = {k: v for k, v in self.__dict__.items() if k != "origin"}
        data["contexts"] = [c.fingerprint() for c in self.contexts]
        if self.kind == "classifier":
            from qc_pipeline.rules.classifier import RECIPE, training_digest

            # The model is a function of the data and the recipe: both are part of the version.
            data["training"] = training_digest(self.training)
            data["recipe"] = RECIPE
        return data


@dataclass(frozen=True)
class Candidate:
    """One word or pattern match the lexicon pass found, and what the checks made of it."""
    rule_id: str
    category: str
    start: int
    end: int
    matched: str
    kept: bool
    reason: str


class Hits(list):
    """The hits of one message (a plain list of `Hit`); `check_text` also fills `candidates`: every
    match considered, kept or dropped, with the reason, for `qc rules check`."""
    candidates: list[Candidate]

    def __init__(self, hits=(), candidates=None):
        super().__init__(hits)
        self.candidates = list(candidates or [])


@dataclass(frozen=True)
class Hit:
    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    matched: str
    explanation_zh: str
    explanation_en: str
    probability: float | None = None


class RuleSet:
    """The effective rules (shipped, then each shop file) and the version stored with every flag."""

    def __init__(self, rules: list[Rule], version: str):
        self.rules = rules
        self.version = version

    def __repr__(self) -> str:
        on = sum(r.enabled for r in self.rules)
        return f"RuleSet(version={self.version!r}, rules={len(self.rules)}, enabled={on})"

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def enabled(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]

    @cached_property
    def engine(self) -> Engine:
        # Compiled on first use so that loading or listing rules stays cheap.
        from qc_pipeline.rules.engine import Engine

        return Engine(self.enabled)
