"""A message's text cut into pieces, with the flagged spans marked and buyers' personal data masked.

Flag offsets point into the original text while masking changes its length, so the text is cut at the
span boundaries first and each piece is masked on its own. A boundary that falls inside a masked value
(a phone number, an address) is moved to the edge of that value: the reader sees that the hit touches
personal data without seeing the data.
"""
from __future__ import annotations

from typing import Hashable, Iterable

from qc_pipeline.reports.masking import Replacement, apply, replacements


def highlight(
    text: str, spans: Iterable[tuple[int, int, Hashable]], mask: bool, nicks: Iterable[str] = ()
) -> list[tuple[str, tuple]]:
    """(piece, keys of the spans covering it) in text order; an empty key tuple means not flagged."""
    text = text or ""
    found = replacements(text, nicks) if mask else []
    widened = []
    for start, end, key in spans:
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        if start >= end:
            continue
        for r in found:
            if r.start < start < r.end:
                start = r.start
            if r.start < end < r.end:
                end = r.end
        widened.append((start, end, key))
    cuts = sorted({0, len(text), *(s for s, _, _ in widened), *(e for _, e, _ in widened)})
    pieces: list[tuple[str, tuple]] = []
    for a, b in zip(cuts, cuts[1:]):
        keys = tuple(k for s, e, k in widened if s <= a and b <= e)
        inside = [Replacement(r.start - a, r.end - a, r.text) for r in found if a <= r.start and r.end <= b]
        piece = apply(text[a:b], inside)
        if pieces and pieces[-1][1] == keys:
            pieces[-1] = (pieces[-1][0] + piece, keys)
        else:
            pieces.append((piece, keys))
    return pieces or [("", ())]
