"""The precise step: every hit of the enabled rules in one message, with its exact character span.

One Aho–Corasick pass over the folded text finds every term, regex trigger, exemption term, softener
and classifier cue at once; regexes, exemptions and word checks then run only for the rules it woke,
cheapest first, and only for hits not already inside a longer hit of their category.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from qc_pipeline.rules.classifier import load_scorer
from qc_pipeline.rules.context import CompiledContext, clause_of
from qc_pipeline.rules.model import Candidate, Hit, Rule
from qc_pipeline.rules.text import compile_pattern, fold, quoted_spans, wide_forms
from qc_pipeline.rules.words import glued, word_check


@dataclass(frozen=True)
class _SpanRule:
    rule: Rule
    patterns: tuple[re.Pattern, ...]
    exempt_patterns: tuple[re.Pattern, ...]
    # One search for all exemption patterns: a text where none matches needs no spans at all,
    # which is the case for nearly every real violation.
    any_exempt: re.Pattern | None
    contexts: tuple[CompiledContext, ...]

    @classmethod
    def compile(cls, rule: Rule) -> _SpanRule:
        exempt = tuple(map(compile_pattern, rule.exempt_patterns))
        try:
            combined = compile_pattern("|".join(f"(?:{p})" for p in rule.exempt_patterns)) if exempt else None
        except re.error:  # the same group name in two patterns
            combined = None
        return cls(rule, tuple(map(compile_pattern, rule.patterns)), exempt, combined,
                   tuple(CompiledContext(c) for c in rule.contexts))

    def exempt_spans(self, folded: str) -> list[tuple[int, int]]:
        if self.any_exempt is not None and self.any_exempt.search(folded) is None:
            return []
        return [m.span() for p in self.exempt_patterns for m in p.finditer(folded)]


class Engine:
    def __init__(self, rules: list[Rule]):
        # Rules are numbered in id order, so sorting hits by number breaks ties by rule id.
        lexicon = sorted((r for r in rules if r.kind == "lexicon"), key=lambda r: r.id)
        self._rules = [_SpanRule.compile(r) for r in lexicon]
        self.classifier_rules = [r for r in rules if r.kind == "classifier"]
        self.roles = sorted({role for r in rules for role in r.roles})
        # Per word: (terms, exemption terms) as (rule, length), then the rules it triggers,
        # softens and cues.
        slots: dict[str, tuple[list, list, list, list, list]] = defaultdict(lambda: ([], [], [], [], []))
        for i, r in enumerate(lexicon):
            for w in r.terms:
                slots[w][0].append((i, len(w)))
            for w in r.exempt_terms:
                slots[w][1].append((i, len(w)))
            for w in r.triggers:
                slots[w][2].append(i)
            for w in r.unless:
                slots[w][3].append((i, len(w)))
        for i, r in enumerate(self.classifier_rules):
            for w in r.cues:
                slots[w][4].append(i)
        self._automaton = ahocorasick.Automaton()
        for word, lists in slots.items():
            self._automaton.add_word(word, tuple(map(tuple, lists)))
        if slots:
            self._automaton.make_automaton()
        # What makes a message worth the precise step: any of these substrings (ASCII case aside),
        # or any full-width character that folds onto one of their letters or digits. A classifier
        # rule without cues reads everything.
        wake = {w for r in lexicon if not r.max_chars for w in (*r.terms, *r.triggers)}
        wake |= {w for r in self.classifier_rules for w in r.cues}
        self.wake_terms = _shortest(wake) + list(wide_forms("".join(wake)))
        # Rules about whole short replies wake only short messages: their words (不能, 无法) are common
        # in long ones.
        short = {w for r in lexicon if r.max_chars for w in (*r.terms, *r.triggers)} - wake
        self.short_wake_terms = _shortest(short) + list(wide_forms("".join(short))) if short else []
        self.short_max_chars = max((r.max_chars for r in lexicon if r.max_chars), default=0)
        self.wake_all = any(not r.cues for r in self.classifier_rules)
        # Only rules whose contexts read the buyer's message make it part of what a reply is checked with.
        self.reads_buyer = any(c.reads_buyer for r in self._rules for c in r.contexts)
        self._words = word_check(frozenset(w for r in lexicon for w in r.terms))

    def check(self, text: str, role: str, trace: list[Candidate] | None = None, context: str | None = None) -> list[Hit]:
        """The hits of one message; `context` is the buyer's last message before it (None: unknown);
        `trace`, when given, receives every candidate with its verdict."""
        return self.check_many([(text, role, context)], trace)[0]

    def check_many(self, items: list[tuple], trace: list[Candidate] | None = None) -> list[list[Hit]]:
        """Hits per (text, role) or (text, role, buyer context), each list ordered by start, then rule id."""
        results, pending = [], defaultdict(list)
        for n, item in enumerate(items):
            text, role = item[0], item[1]
            context = item[2] if len(item) > 2 else None
            hits, wanted = self._spans(text, role, trace, context)
            results.append(hits)
            for i in wanted:
                pending[self.classifier_rules[i].training].append((n, i))
        for training, asks in pending.items():
            scorer = load_scorer(training)
            rows = sorted({n for n, _ in asks})
            probs = dict(zip(rows, scorer.predict_proba([items[n][0] for n in rows])))
            for n, i in asks:
                rule = self.classifier_rules[i]
                p = probs[n][rule.label]
                text = items[n][0]
                if trace is not None:
                    verdict = "at or above" if p >= rule.threshold else "below"
                    trace.append(Candidate(rule.id, rule.category, 0, len(text), text, p >= rule.threshold,
                                           f"classifier p={p:.2f}, {verdict} its threshold {rule.threshold:g}"))
                if p >= rule.threshold:
                    results[n].append(Hit(rule.id, rule.category, rule.severity, 0, len(text), text,
                                          rule.explanation_zh, rule.explanation_en, p))
                    results[n].sort(key=lambda h: (h.start, h.rule_id))
        return results

    def _spans(self, text: str, role: str, trace=None, context: str | None = None) -> tuple[list[Hit], list[int]]:
        """Lexicon hits, collapsed per category, and the classifier rules this text should go to."""
        if not text:
            return [], []
        folded = fold(text)
        # (-length, start, rule, from a pattern): sorts longest, earliest, then by rule id
        found: list[tuple[int, int, int, bool]] = []
        exempt_terms: dict[int, list[tuple[int, int]]] = {}
        triggered, cued = set(), set()
        softened: dict[int, str] = {}
        for last, (terms, exempts, triggers, softeners, cues) in self._automaton.iter(folded):
            end = last + 1
            for i, n in terms:
                found.append((-n, end - n, i, False))
            for i, n in exempts:
                exempt_terms.setdefault(i, []).append((end - n, end))
            if triggers:
                triggered.update(triggers)
            for i, n in softeners:
                softened.setdefault(i, text[end - n:end])
            if cues:
                cued.update(cues)
        for i in triggered:
            found += [(m.start() - m.end(), m.start(), i, True)
                      for p in self._rules[i].patterns for m in p.finditer(folded) if m.end() > m.start()]
        kept: list[tuple[int, int, Rule]] = []
        if found:
            found.sort()
            kept = self._check(text, folded, role, found, exempt_terms, softened, trace, context)
        hits = [Hit(r.id, r.category, r.severity, s, e, text[s:e], r.explanation_zh, r.explanation_en)
                for s, e, r in kept]
        flagged = {r.category for _, _, r in kept}
        wanted = [
            i for i, r in enumerate(self.classifier_rules)
            if (i in cued or not r.cues) and role in r.roles and r.category not in flagged
            and (not r.min_chars or len("".join(text.split())) >= r.min_chars)
        ]
        return hits, wanted

    def _check(self, text, folded, role, found, exempt_terms, softened, trace=None, context=None) -> list[tuple[int, int, Rule]]:
        """The found hits that survive every check, longest first; a hit inside one already kept in
        its category would be collapsed into it anyway, so it is dropped before any check. With
        `trace`, every candidate is recorded with the reason it was kept or dropped."""
        kept: list[tuple[int, int, Rule]] = []
        exempt: dict[int, list[tuple[int, int]]] = {}
        quotes = None
        buyer = fold(context) if context else None
        for negative_length, s, i, from_pattern in found:
            e = s - negative_length
            compiled = self._rules[i]
            rule = compiled.rule
            why = self._drop(text, folded, role, s, e, i, compiled, from_pattern, kept, exempt_terms, softened, exempt)
            if why is None and rule.skip_quotes:
                if quotes is None:
                    quotes = quoted_spans(text)
                if quotes and any(a <= s and e <= b for a, b in quotes):
                    why = "quoted back from the buyer"
            if why is None and compiled.contexts:
                clause = clause_of(folded, s, e)
                for c in compiled.contexts:
                    if c.applies(folded, s, e, clause, buyer):
                        why = f"context '{c.context.id}': {c.context.why}"
                        break
            if trace is not None and why != "":
                trace.append(Candidate(rule.id, rule.category, s, e, text[s:e], why is None,
                                       why or "no exemption or context applies"))
            if why is None:
                kept.append((s, e, rule))
        kept.sort(key=lambda k: (k[0], k[2].id))
        return kept

    def _drop(self, text, folded, role, s, e, i, compiled, from_pattern, kept, exempt_terms, softened, exempt):
        """Why the lexicon checks drop this candidate, or None; "" for a hit not worth showing (a
        shorter match inside one already kept, another role's rule)."""
        rule = compiled.rule
        if role not in rule.roles:
            return ""
        if rule.max_chars and len(text) > rule.max_chars:
            return ""
        if kept and any(k.category == rule.category and a < e and s < b for a, b, k in kept):
            return ""
        if i in softened:
            return f"the message says 「{softened[i]}」, which takes the rule back (unless)"
        # Cheapest first: exemption terms came with the automaton pass for free.
        terms = exempt_terms.get(i)
        if terms:
            for a, b in terms:
                if a <= s and e <= b:
                    return f"inside the exempt phrase 「{text[a:b]}」"
        if glued(folded, s, e):
            return "part of a longer run of letters or digits"
        # A pattern states its own context; word boundaries are for terms.
        if rule.boundary == "word" and not from_pattern and not self._words.is_word(folded, s, e):
            return "not a word of its own here (part of a longer word)"
        if compiled.exempt_patterns:
            spans = exempt.get(i)
            if spans is None:
                spans = exempt[i] = compiled.exempt_spans(folded)
            for a, b in spans:
                if a <= s and e <= b:
                    return f"inside 「{text[a:b]}」, an exemption pattern"
        return None


def _shortest(words: set[str]) -> list[str]:
    """The words that hold no other word: a text holding 你自己没看清楚 already holds 你."""
    kept: list[str] = []
    for word in sorted(words, key=lambda w: (len(w), w)):
        if not any(k in word for k in kept):
            kept.append(word)
    return kept
