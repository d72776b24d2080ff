"""The second stage: each candidate hit judged by the clause around it.

A rule's `contexts` are named classes of text that are not a violation although they hold the rule's
word — a time or a quantity after 最, a third party before 可能, a reason in the same message as 没办法.
Each class says why, and gives one or more conditions, all of which must hold:

- `hit`: a regular expression the matched words themselves must match whole (最快, not 最好);
- `before`: a regular expression that must end exactly where the hit starts, within its clause;
- `after`: one that must start exactly where the hit ends, within its clause;
- `clause`: one found anywhere in the hit's clause (the text between two sentence marks), hit included;
- `message`: one found anywhere in the message;
- `later`: one found in the message after the hit (a check offered after a guess, not before it);
- `clause_terms`, `message_terms`: literal words (or `@lexicon` lines) found in the clause or message;
- `clause_lacks_terms`: literal words none of which is in the clause (the hedge names nothing checkable);
- `message_lacks`: a regular expression not found anywhere in the message;
- `buyer`: a regular expression found in the buyer's last message before the reply (the question or
  request it answers); never holds when that message is unknown;
- `buyer_lacks`: a regular expression not found there; holds when that message is unknown, so that a
  class which needs the buyer to have asked for something drops the hit when nobody knows.

The first class that applies drops the hit and is its reason; a hit no class applies to is kept. All of
it runs on folded text (`text.fold`), only for candidates the prefilter and the lexicon pass found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qc_pipeline.rules.text import compile_pattern

CONDITIONS = ("hit", "before", "after", "clause", "message", "later", "clause_terms", "message_terms", "clause_lacks_terms", "message_lacks", "buyer", "buyer_lacks")
# A clause ends at a sentence or clause mark; a full stop between digits (2.5) is a decimal point.
# Agents in some shops separate sentences with runs of spaces instead (今日可以送到的  请您保持手机畅通).
_CLAUSE_MARK = re.compile(r"[，。！？；;!?\n～~…]|,|(?<![0-9])\.(?![0-9])|\s{2,}")


@dataclass(frozen=True)
class Context:
    id: str
    why: str
    hit: str = ""
    before: str = ""
    after: str = ""
    clause: str = ""
    message: str = ""
    later: str = ""
    clause_terms: tuple[str, ...] = ()
    message_terms: tuple[str, ...] = ()
    clause_lacks_terms: tuple[str, ...] = ()
    message_lacks: str = ""
    buyer: str = ""
    buyer_lacks: str = ""

    def fingerprint(self) -> dict:
        return dict(self.__dict__)


class CompiledContext:
    __slots__ = ("context", "_hit", "_before", "_after", "_clause", "_message", "_later", "_clause_terms", "_message_terms", "_lacks", "_message_lacks", "_buyer", "_buyer_lacks")

    def __init__(self, context: Context):
        self.context = context
        self._hit = compile_pattern(context.hit) if context.hit else None
        self._before = compile_pattern(f"(?:{context.before})\\Z") if context.before else None
        self._after = compile_pattern(context.after) if context.after else None
        self._clause = compile_pattern(context.clause) if context.clause else None
        self._message = compile_pattern(context.message) if context.message else None
        self._later = compile_pattern(context.later) if context.later else None
        self._clause_terms = context.clause_terms
        self._message_terms = context.message_terms
        self._lacks = context.clause_lacks_terms
        self._message_lacks = compile_pattern(context.message_lacks) if context.message_lacks else None
        self._buyer = compile_pattern(context.buyer) if context.buyer else None
        self._buyer_lacks = compile_pattern(context.buyer_lacks) if context.buyer_lacks else None

    @property
    def reads_buyer(self) -> bool:
        return self._buyer is not None or self._buyer_lacks is not None

    def applies(self, folded: str, start: int, end: int, clause: tuple[int, int], buyer: str | None = None) -> bool:
        """`buyer` is the folded buyer message the reply answers, or None when unknown."""
        # Slices, not pos/endpos: so that ^ and $ in a condition mean the clause's own ends.
        lo, hi = clause
        if self._hit is not None and self._hit.fullmatch(folded, start, end) is None:
            return False
        if self._before is not None and self._before.search(folded[lo:start]) is None:
            return False
        if self._after is not None and self._after.match(folded[end:hi]) is None:
            return False
        if self._clause is not None and self._clause.search(folded[lo:hi]) is None:
            return False
        if self._clause_terms and not any(t in folded[lo:hi] for t in self._clause_terms):
            return False
        if self._lacks and any(t in folded[lo:hi] for t in self._lacks):
            return False
        if self._message_lacks is not None and self._message_lacks.search(folded) is not None:
            return False
        if self._message is not None and self._message.search(folded) is None:
            return False
        if self._later is not None and self._later.search(folded, end) is None:
            return False
        if self._message_terms and not any(t in folded for t in self._message_terms):
            return False
        if self._buyer is not None and (buyer is None or self._buyer.search(buyer) is None):
            return False
        if self._buyer_lacks is not None and buyer is not None and self._buyer_lacks.search(buyer) is not None:
            return False
        return True


def clause_of(folded: str, start: int, end: int) -> tuple[int, int]:
    """[lo, hi) of the clause holding the hit: from after the last clause mark before it up to and
    including the first one after it, so that a condition can see a question mark (a hit may itself
    hold a mark, as 保证，明天到 does)."""
    lo = 0
    for m in _CLAUSE_MARK.finditer(folded, 0, start):
        lo = m.end()
    m = _CLAUSE_MARK.search(folded, end)
    return lo, (m.end() if m else len(folded))
