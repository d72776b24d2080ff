"""Masking of buyers' personal data in report text. The warehouse keeps the originals.

The rules are declared once, in ``DETECTORS``, and run two ways:

- ``replacements``/``mask_text``/``highlight`` (Python ``re``) return spans of the original text with their
  replacement, so a flag's highlighted span (offsets into the original text) maps onto the masked text;
- ``mask_expr`` (polars, vectorised over a whole text column) masks the text shown without a highlight:
  transcripts, deduction reasons and the full lists beside the workbook.

Polars' regex engine has no lookarounds, so each boundary a detector needs ("no digit before") is matched
as a captured character and written back; a value right after another one (``138…,139…``) then lost its
boundary to the first match, which is why bounded detectors run twice (a masked value never matches again).
Earlier detectors win where spans overlap, in both ways: an ID number is never half-masked as a phone number.

Patterns are written over ASCII with «…» class tokens that also take every NFKC compatibility form of those
characters (full-width digits, ＠, －, the ideographic space): the rules match the text as NFKC reads it while
the span replaced is the original one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Union

import polars as pl

# A replacement is written from literal text and the detector's named groups: ("g", name) is that group.
Part = Union[str, tuple[str, str]]

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

ADDRESS_MASK = "****"
NICK_STARS = "***"

# Full-width and other compatibility forms of the characters the rules are written in (１３８, ＠, －, the
# ideographic space): a token «…» in a pattern stands for a character class holding the listed ASCII
# characters and every character Unicode NFKC folds to one of them. Matching these classes on the original
# text is matching on its NFKC form, character for character, with no offset map to keep: the masked span
# is the original one, and both engines (Python ``re`` and polars) read the same classes.
_SEPARATOR_EXTRA = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u00b7"  # dashes, minus, ー, ·: not NFKC-folded
_NAMED = {
    "d": "0-9",                   # a digit
    "sep": "- .",                 # what people put between the groups of a number (one of them)
    "at": "@",
    "mail": "A-Za-z0-9._%+-",     # a character of an e-mail address
    "id": "A-Za-z0-9_-",          # a character of a WeChat id or QQ number
}


@lru_cache(maxsize=None)
def _equivalents() -> dict[str, set[str]]:
    """ASCII character -> the characters whose NFKC form is exactly that character (itself included)."""
    found: dict[str, set[str]] = {chr(c): {chr(c)} for c in range(32, 127)}
    for code in range(0xA0, 0x20000):
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and folded in found:
            found[folded].add(ch)
    return found


def _ascii_set(spec: str) -> set[str]:
    out, i = set(), 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out |= {chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1)}
            i += 3
        else:
            out.add(spec[i])
            i += 1
    return out


def _escape(code: int) -> str:
    # \uXXXX / \UXXXXXXXX read the same in Python re and in the regex crate polars uses.
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


@lru_cache(maxsize=None)
def fold_class(spec: str) -> str:
    """The body of a character class (no brackets) for ``spec`` (a name in ``_NAMED`` or ASCII characters
    and ranges such as ``3-9``), widened to every NFKC equivalent."""
    chars: set[str] = set()
    for ch in _ascii_set(_NAMED.get(spec, spec)):
        chars |= _equivalents().get(ch, {ch})
    if spec == "sep":
        chars |= set(_SEPARATOR_EXTRA)
    codes, body, i = sorted(ord(c) for c in chars), [], 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        body.append(_escape(codes[i]) + ("-" + _escape(codes[j]) if j > i else ""))
        i = j + 1
    return "".join(body)


def fold(pattern: str) -> str:
    """``pattern`` with each «spec» token replaced by its folded character class."""
    return re.sub(r"«([^»]+)»", lambda m: "[" + fold_class(m.group(1)) + "]", pattern)


_D = "«d»"
_SEP = "«sep»{0,2}"   # "138  1234  5678", "138－1234－5678", "138.1234.5678"


@dataclass(frozen=True)
class Detector:
    name: str
    pattern: str                 # named groups only, no lookarounds (both engines read it); «…» tokens fold
    replacement: tuple[Part, ...]
    not_after: str = ""          # a class spec (as in «…») that must not precede the value ("" = any)
    not_before: str = ""         # a class spec that must not follow it
    kept_prefix: str = ""        # a leading group left as it is: the masked span starts after it

    def regex(self) -> str:
        return fold(self.pattern)

    def python(self) -> re.Pattern:
        before = f"(?<![{fold_class(self.not_after)}])" if self.not_after else ""
        after = f"(?![{fold_class(self.not_before)}])" if self.not_before else ""
        return re.compile(before + self.regex() + after)

    def polars(self) -> tuple[str, str, int]:
        """(pattern, replacement, passes) for ``str.replace_all``: the boundaries are captured and put back."""
        pattern = self.regex()
        value = "".join(p if isinstance(p, str) else f"${{{p[1]}}}" for p in self.replacement)
        if self.not_after:
            pattern, value = f"(?P<qc_lb>^|[^{fold_class(self.not_after)}])" + pattern, "${qc_lb}" + value
        if self.not_before:
            pattern, value = pattern + f"(?P<qc_la>[^{fold_class(self.not_before)}]|$)", value + "${qc_la}"
        return pattern, value, 2 if (self.not_after or self.not_before) else 1


_MONTH = "(?:«0»«1-9»|«1»«0-2»)"
_DAY = "(?:«0»«1-9»|«1-2»«d»|«3»«0-1»)"
_S1 = "«sep»?"        # a single optional separator: "110101 19900307 1234"
_LABEL_END = "«sep»{0,2}[:：]?«sep»{0,2}"

# The masking rules: earlier ones win where spans overlap. Each is documented in docs/reports.md.
DETECTORS: tuple[Detector, ...] = (
    # 18-digit resident ID: region, birth date, sequence, check digit, also spaced 6-8-4. The date check
    # keeps most order numbers (also long digit runs) out; the boundaries keep it from matching inside one.
    Detector(
        "id_number",
        rf"(?P<head>«1-9»{_D}{{2}}){_D}{{3}}{_S1}(?:«1»«8»|«1»«9»|«2»«0»){_D}{{2}}{_S1}{_MONTH}{_S1}{_DAY}{_S1}"
        rf"(?P<tail>{_D}{{3}}«0-9Xx»)",
        (("g", "head"), "*" * 11, ("g", "tail")),
        not_after="0-9A-Za-z", not_before="0-9A-Za-z",
    ),
    # 15-digit first-generation ID: region, YYMMDD, sequence.
    Detector(
        "id_number_15",
        rf"(?P<head>«1-9»{_D}{{2}}){_D}{{3}}{_S1}{_D}{{2}}{_MONTH}{_DAY}{_S1}(?P<tail>{_D}{{3}})",
        (("g", "head"), "*" * 9, ("g", "tail")),
        not_after="0-9A-Za-z", not_before="0-9A-Za-z",
    ),
    # Bank cards: 16-19 digits in groups of four, or a plain run right after a card word (a plain 18-19
    # digit run alone is an order number, which QC needs).
    Detector(
        "bank_card",
        rf"(?P<head>{_D}{{4}})(?:«sep»{_D}{{4}}){{3}}(?:«sep»{_D}{{1,3}})?",
        (("g", "head"), " **** **** ****"),
        not_after="0-9", not_before="0-9",
    ),
    Detector(
        "bank_card_labelled",
        rf"(?P<label>(?:银行卡|储蓄卡|信用卡|借记卡|卡)号?{_LABEL_END})(?P<head>{_D}{{4}}){_D}{{12,15}}",
        (("g", "label"), ("g", "head"), "************"),
        not_before="0-9", kept_prefix="label",
    ),
    Detector(
        "email",
        r"(?P<first>«mail»)«mail»*«at»(?P<domain>«A-Za-z0-9-»+(?:«.»«A-Za-z0-9-»+)*«.»«A-Za-z»{2,})",
        (("g", "first"), "***@", ("g", "domain")),
    ),
    # Mainland mobile numbers, also written 138-1234-5678, 138 1234 5678, 138.1234.5678, with +86 or 0.
    Detector(
        "mobile",
        rf"(?P<prefix>(?:(?:«+»|«0»«0»)?«8»«6»{_SEP}|«0»)?)(?P<head>«1»«3-9»{_D}){_SEP}{_D}{{4}}{_SEP}(?P<tail>{_D}{{4}})",
        (("g", "prefix"), ("g", "head"), "****", ("g", "tail")),
        not_after="0-9+", not_before="0-9",
    ),
    # Landlines with an area code: 0571-88886666, 0571 88886666, (021)12345678, （021）1234-5678.
    Detector(
        "landline",
        rf"(?P<prefix>(?:«(»«0»{_D}{{2,3}}«)»|«0»{_D}{{2,3}}«sep»{{1,2}}){_S1}){_D}{{3,4}}{_S1}(?P<tail>{_D}{{4}})",
        (("g", "prefix"), "****", ("g", "tail")),
        not_after="0-9", not_before="0-9",
    ),
    # WeChat ids and QQ numbers after the word that announces them: 微信 abc_123, vx：abc123, QQ 12345678.
    Detector(
        "im_id",
        rf"(?P<label>(?:微信号?|威信|薇信|«Vv»信|«Vv»«Xx»|«Ww»«Xx»|«Qq»«Qq»号?|扣扣){_LABEL_END})«id»{{5,30}}",
        (("g", "label"), "****"),
        not_after="A-Za-z0-9", kept_prefix="label",
    ),
    Detector("address", _REGION + _DETAIL, (("g", "region"), ADDRESS_MASK), kept_prefix="region"),
)
_COMPILED = tuple((d, d.python()) for d in DETECTORS)


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int  # exclusive, into the original text
    text: str


def mask_nick(nick: str | None) -> str:
    """t***1 style: the first and last character of a buyer nick around three stars; of a nick of one or two
    characters (a Chinese given name such as 赵六) only the first, or nothing would be hidden."""
    if not nick:
        return ""
    if len(nick) <= 2:
        return nick[0] + NICK_STARS
    return f"{nick[0]}{NICK_STARS}{nick[-1]}"


def mask_nick_expr(nick: pl.Expr) -> pl.Expr:
    """``mask_nick`` over a column."""
    return (
        pl.when(nick.is_null() | (nick == "")).then(pl.lit(""))
        .when(nick.str.len_chars() <= 2).then(nick.str.head(1) + NICK_STARS)
        .otherwise(nick.str.head(1) + NICK_STARS + nick.str.tail(1))
    )


def _render(detector: Detector, m: re.Match) -> Replacement:
    text = "".join(p if isinstance(p, str) else (m.group(p[1]) or "") for p in detector.replacement)
    start = m.start()
    if detector.kept_prefix:
        kept = m.group(detector.kept_prefix) or ""
        start += len(kept)
        text = text[len(kept):]
    return Replacement(start, m.end(), text)


def _nick_spans(text: str, nick: str) -> Iterable[tuple[int, int]]:
    pos = text.find(nick)
    while pos >= 0:
        yield pos, pos + len(nick)
        pos = text.find(nick, pos + len(nick))


def replacements(text: str, nicks: Iterable[str] = ()) -> list[Replacement]:
    """Non-overlapping spans of the original text to mask, in text order.

    The detectors run in turn, each over the text as the ones before it left it (exactly what ``mask_expr``
    does): an ID number is never half-masked as a phone number, and a value that runs into one already
    masked (an address right before a phone number) is masked together with it instead of left whole.
    """
    pieces = [_Piece(0, len(text), text, False)]
    for detector, pattern in _COMPILED:
        shown = "".join(p.shown for p in pieces)
        found = [_render(detector, m) for m in pattern.finditer(shown)]
        pieces = _merge(pieces, [r for r in found if r.start < r.end])
    # A buyer's nick quoted in the chat ("tb_1234 亲，在的") is as identifying as the nick column.
    for nick in sorted({n for n in nicks if n and len(n) > 1}, key=lambda n: (-len(n), n)):
        shown = "".join(p.shown for p in pieces)
        pieces = _merge(pieces, [Replacement(s, e, mask_nick(nick)) for s, e in _nick_spans(shown, nick)])
    return [Replacement(p.start, p.end, p.shown) for p in pieces if p.masked]


@dataclass(frozen=True)
class _Piece:
    start: int   # into the original text
    end: int
    shown: str   # the original text (plain) or what replaces it (masked)
    masked: bool


def _merge(pieces: list[_Piece], found: list[Replacement]) -> list[_Piece]:
    """Apply replacements given in offsets of the shown text (sorted, non-overlapping). Right to left, so the
    offsets of those still to come stay valid; a masked piece a replacement touches is taken in whole."""
    for r in reversed(found):
        pieces = _replace(pieces, r)
    return pieces


def _replace(pieces: list[_Piece], r: Replacement) -> list[_Piece]:
    out: list[_Piece] = []
    pos = 0
    start, prefix = None, ""
    for p in pieces:
        s, e = pos, pos + len(p.shown)
        pos = e
        if e <= r.start or s >= r.end:
            out.append(p)
            continue
        if start is None:
            if s < r.start and not p.masked:
                cut = r.start - s
                out.append(_Piece(p.start, p.start + cut, p.shown[:cut], False))
                start = p.start + cut
            else:
                start, prefix = p.start, p.shown[: max(0, r.start - s)]
        if e >= r.end:
            if e > r.end and not p.masked:
                cut = r.end - s
                out.append(_Piece(start, p.start + cut, prefix + r.text, True))
                out.append(_Piece(p.start + cut, p.end, p.shown[cut:], False))
            else:
                out.append(_Piece(start, p.end, prefix + r.text + p.shown[r.end - s:], True))
    return out


def mask_text(text: str | None, nicks: Iterable[str] = ()) -> str:
    if not text:
        return text or ""
    return apply(text, replacements(text, nicks))


def mask_expr(text: pl.Expr, nick: pl.Expr | None = None) -> pl.Expr:
    """``mask_text`` over a column, in polars: ``nick`` is the column holding each row's buyer nick."""
    out = text.fill_null("")
    for detector in DETECTORS:
        pattern, value, passes = detector.polars()
        for _ in range(passes):
            out = out.str.replace_all(pattern, value)
    if nick is not None:
        # Literal, per row: split on the row's nick and join with its masked form.
        out = (
            pl.when(nick.str.len_chars().fill_null(0) > 1)
            .then(out.str.split(nick.fill_null("")).list.join(mask_nick_expr(nick)))
            .otherwise(out)
        )
    return out


# A text can only hold something to mask if it has a digit (ID, phones, cards), an "@" (e-mail), a word that
# announces a WeChat/QQ id, or a character of a street or estate word (address): every alternative of the
# address pattern's place word has one of these.
_CANDIDATE = fold(r"\d|«d»|«at»|[路街道巷弄同里区园寓厦场苑村镇乡信扣]|«Vv»«Xx»|«Ww»«Xx»|«Qq»«Qq»")


def mask_column(frame: pl.DataFrame, column: str, nick: str | None = None, alias: str | None = None) -> pl.DataFrame:
    """``frame`` with ``column`` masked (as ``alias``, default in place); ``nick`` names the buyer-nick column.
    Only rows that can hold personal data go through the expressions."""
    alias = alias or column
    text = pl.col(column).fill_null("")
    need = text.str.contains(_CANDIDATE)
    if nick is not None:
        n = pl.col(nick).fill_null("")
        need = need | ((n.str.len_chars() > 1) & text.str.contains(n, literal=True))
    frame = frame.with_row_index("_qc_row")
    todo = frame.filter(need).select(
        "_qc_row", mask_expr(pl.col(column), pl.col(nick) if nick is not None else None).alias(alias)
    )
    out = frame.with_columns(text.alias(alias)).update(todo, on="_qc_row")
    return out.drop("_qc_row")


def highlight_columns(
    frame: pl.DataFrame, text: str, start: str, end: str, nick: str | None = None, mask: bool = True
) -> pl.DataFrame:
    """``highlight`` with one span per row, over whole columns: adds ``qc_before``, ``qc_inside`` (the
    highlighted piece) and ``qc_after``.

    A text that masking leaves as it is (most flagged messages) is cut at the span as it stands; the few that
    hold personal data go through ``highlight``, whose span widens over a masked value it cuts into.
    """
    body = pl.col(text).fill_null("")
    length = body.str.len_chars()
    a = pl.col(start).cast(pl.Int64).clip(0, length)
    b = pl.max_horizontal(a, pl.col(end).cast(pl.Int64).clip(0, length))
    frame = frame.with_columns(
        body.str.slice(0, a).alias("qc_before"),
        body.str.slice(a, b - a).alias("qc_inside"),
        body.str.slice(b).alias("qc_after"),
    )
    if not mask:
        return frame
    frame = mask_column(frame, text, nick, alias="qc_whole").with_row_index("_qc_row")
    odd = frame.filter(pl.col("qc_whole") != body)
    if odd.height:
        fixed = []
        for row in odd.iter_rows(named=True):
            nicks = [row[nick]] if nick is not None and row[nick] else []
            pieces = highlight(row[text] or "", [(row[start], row[end])], True, nicks)
            lit = [i for i, (_, hl) in enumerate(pieces) if hl]
            i = lit[0] if lit else len(pieces)
            fixed.append({"_qc_row": row["_qc_row"], "qc_before": "".join(p for p, _ in pieces[:i]),
                          "qc_inside": pieces[i][0] if lit else "", "qc_after": "".join(p for p, _ in pieces[i + 1:])})
        frame = frame.update(pl.DataFrame(fixed, schema_overrides={"_qc_row": pl.UInt32}), on="_qc_row")
    return frame.drop("_qc_row", "qc_whole")


def apply(text: str, found: list[Replacement]) -> str:
    out, pos = [], 0
    for r in found:
        out.append(text[pos:r.start])
        out.append(r.text)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def highlight(
    text: str, spans: Iterable[tuple[int, int]], mask: bool, nicks: Iterable[str] = ()
) -> list[tuple[str, bool]]:
    """The text as (piece, highlighted) pieces with every [start, end) span highlighted.

    With masking, a span boundary inside a masked value widens to the whole masked value: the reader
    sees that the hit touches personal data without seeing the data. Overlapping spans merge.
    """
    found = replacements(text, nicks) if mask else []
    widened = []
    for start, end in spans:
        start, end = max(0, start), min(len(text), end)
        for r in found:
            if r.start < start < r.end:
                start = r.start
            if r.start < end < r.end:
                end = r.end
        widened.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(widened):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, pos = [], 0
    for start, end in merged:
        pieces.append((_masked_slice(text, pos, start, found), False))
        pieces.append((_masked_slice(text, start, end, found), True))
        pos = end
    pieces.append((_masked_slice(text, pos, len(text), found), False))
    return [p for p in pieces if p[0] or p[1]]


def _masked_slice(text: str, start: int, end: int, found: list[Replacement]) -> str:
    inside = [Replacement(r.start - start, r.end - start, r.text) for r in found if start <= r.start and r.end <= end]
    return apply(text[start:end], inside)


def segments(
    text: str, span: tuple[int, int] | None, mask: bool, nicks: Iterable[str] = ()
) -> list[tuple[str, bool]]:
    """``highlight`` with at most one span."""
    if span is None:
        return [(apply(text, replacements(text, nicks) if mask else []), False)]
    return highlight(text, [span], mask, nicks)
