"""Masking of buyers' personal data in report text. The warehouse keeps the originals.

Each detector returns spans of the original text with their replacement, so a flag's highlighted
span (offsets into the original text) can be mapped onto the masked text exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# 18-digit resident ID: region, birth date, sequence, check digit. The date check keeps most order
# numbers (also long digit runs) out; lookarounds keep it from matching inside a longer number.
_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
# Mainland mobile numbers, also written 138-1234-5678, 138 1234 5678 or with +86.
_MOBILE = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# Landlines with an area code: 0571-88886666, (021)12345678.
_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3}-)\s?(\d{3,4})-?(\d{4})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# Addresses: an optional administrative prefix (kept, it is too coarse to identify anyone) followed by
# the street or estate and the house number (masked).
_NAME = r"[^\W\d_的是在住我你他她寄发到改成为址：:，,。；;、\s]"
_REGION = (
    rf"(?P<region>(?:{_NAME}{{2,7}}?(?:省|自治区))?(?:{_NAME}{{2,7}}?(?:市|州|盟))?"
    rf"(?:{_NAME}{{1,7}}?(?:区|县|旗))?)"
)
_PLACE = r"(?:路|街|大道|道|巷|弄|胡同|里|小区|花园|公寓|大厦|广场|苑|村|镇|乡)"
_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|户)"
_DETAIL = (
    rf"(?P<detail>{_NAME}{{1,8}}?{_PLACE}"
    rf"(?:\s?{_NAME}{{0,8}}?(?:[0-9A-Za-z一二三四五六七八九十]+(?:-[0-9A-Za-z]+)?)\s?{_UNIT})+"
    rf"(?:\s?[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)?)"
)
_ADDRESS = re.compile(_REGION + _DETAIL)

ADDRESS_MASK = "****"


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int  # exclusive, into the original text
    text: str


def mask_nick(nick: str | None) -> str:
    """t***1 style: the first and last character of a buyer nick around three stars."""
    if not nick:
        return ""
    if len(nick) == 1:
        return nick + "***"
    return f"{nick[0]}***{nick[-1]}"


def _phone(m: re.Match) -> str:
    prefix = m.group(0)[: m.start(1) - m.start(0)]
    return f"{prefix}{m.group(1)}****{m.group(3)}"


def _landline(m: re.Match) -> str:
    prefix = m.group(0)[: m.start(1) - m.start(0)]
    return f"{prefix}****{m.group(2)}"


def _id_number(m: re.Match) -> str:
    value = m.group(0)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def _email(m: re.Match) -> str:
    local, domain = m.group(0).split("@", 1)
    return f"{local[0]}***@{domain}"


def _address(m: re.Match) -> str:
    return m.group("region") + ADDRESS_MASK


def _address_span(m: re.Match) -> tuple[int, int]:
    return m.start("region") + len(m.group("region")), m.end()


def replacements(text: str, nicks: Iterable[str] = ()) -> list[Replacement]:
    """Non-overlapping spans to mask, in text order. Earlier detectors win where spans overlap, so an
    ID number is never half-masked as a phone number."""
    found: list[Replacement] = []

    def add(start: int, end: int, value: str) -> None:
        if start < end and all(end <= r.start or start >= r.end for r in found):
            found.append(Replacement(start, end, value))

    for m in _ID.finditer(text):
        add(m.start(), m.end(), _id_number(m))
    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), _email(m))
    for m in _MOBILE.finditer(text):
        add(m.start(), m.end(), _phone(m))
    for m in _LANDLINE.finditer(text):
        add(m.start(), m.end(), _landline(m))
    for m in _ADDRESS.finditer(text):
        start, end = _address_span(m)
        add(start, end, ADDRESS_MASK)
    # A buyer's nick quoted in the chat ("tb_1234 亲，在的") is as identifying as the nick column.
    for nick in sorted({n for n in nicks if n and len(n) > 1}, key=lambda n: (-len(n), n)):
        for m in re.finditer(re.escape(nick), text):
            add(m.start(), m.end(), mask_nick(nick))
    return sorted(found, key=lambda r: r.start)


def mask_text(text: str | None, nicks: Iterable[str] = ()) -> str:
    if not text:
        return text or ""
    return apply(text, replacements(text, nicks))


def apply(text: str, found: list[Replacement]) -> str:
    out, pos = [], 0
    for r in found:
        out.append(text[pos:r.start])
        out.append(r.text)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def segments(
    text: str, span: tuple[int, int] | None, mask: bool, nicks: Iterable[str] = ()
) -> list[tuple[str, bool]]:
    """The text as (piece, highlighted) pieces with the [start, end) span highlighted.

    With masking, a span boundary inside a masked value widens to the whole masked value: the reader
    sees that the hit touches personal data without seeing the data.
    """
    found = replacements(text, nicks) if mask else []
    if span is None:
        return [(apply(text, found), False)]
    start, end = max(0, span[0]), min(len(text), span[1])
    for r in found:
        if r.start < start < r.end:
            start = r.start
        if r.start < end < r.end:
            end = r.end
    inside = [r for r in found if start <= r.start and r.end <= end]
    before = [r for r in found if r.end <= start]
    after = [r for r in found if r.start >= end]
    pieces = [
        (apply(text[:start], before), False),
        (apply(text[start:end], [Replacement(r.start - start, r.end - start, r.text) for r in inside]), True),
        (apply(text[end:], [Replacement(r.start - end, r.end - end, r.text) for r in after]), False),
    ]
    return [p for p in pieces if p[0] or p[1]]
