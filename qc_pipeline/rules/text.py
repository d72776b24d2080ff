"""Text helpers for matching: a length-preserving normal form and the buyer's words quoted back."""
from __future__ import annotations

import re

# Full-width letters and digits (ＱＱ, ６６６, １００％) are a common way to slip past keyword filters;
# folding them and ASCII case one character for one keeps every offset valid in the original text.
# Full-width punctuation (，！？) stays as it is: patterns name it, and most texts need no folding.
_WIDE_SYMBOLS = "０１２３４５６７８９％＋．＃＠＆－＿"
_FOLD = {ord(c): ord(c) - 0xFEE0 for c in _WIDE_SYMBOLS}
for _upper in range(ord("A"), ord("Z") + 1):
    _FOLD[_upper] = _FOLD[_upper + 0xFEE0] = _upper + 32
    _FOLD[_upper + 32 + 0xFEE0] = _upper + 32
_FOLD[0x3000] = 0x20
FOLD_TABLE = str.maketrans(_FOLD)
_FOLDABLE = re.compile("[" + re.escape("".join(map(chr, _FOLD))) + "]")


def compile_pattern(pattern: str) -> re.Pattern:
    """Rule patterns run on folded text, where Latin letters are lower case."""
    return re.compile(pattern, re.IGNORECASE)


def fold(text: str) -> str:
    """Half-width, lower-case letters and digits; every other character unchanged, so offsets carry over."""
    return text.translate(FOLD_TABLE) if _FOLDABLE.search(text) else text


def wide_forms(text: str) -> str:
    """The non-ASCII characters that `fold` turns into characters of `text` (full-width forms)."""
    targets = set(text)
    return "".join(sorted(chr(k) for k, v in _FOLD.items() if k > 0x7F and chr(v) in targets))


_OPEN, _CLOSE = "「『“\"‘'", "」』”\"’'"
_QUOTE = f"[{re.escape(_OPEN)}]([^{re.escape(_CLOSE)}]*)[{re.escape(_CLOSE)}]"
# A quote counts as the buyer's words when the agent says so: 您说「…」, 您提到的“…”, or asks
# what the quoted words mean (“最低价”是指哪一款). Quotes on their own may be the shop's own slogan.
_REPORTED = re.compile(
    r"(?:您|你|亲|买家|顾客)(?:刚才|刚刚|之前|前面|上面|这边)?"
    r"(?:说|提到|问|讲|反映|反馈|写|描述|留言|咨询)(?:的|了|过|说)?[:：,，]?\s*" + _QUOTE
)
_QUESTIONED = re.compile(_QUOTE + r"(?=是指|是什么意思|的意思是|指的是|具体是指)")
_QUOTE_CHARS = frozenset(_OPEN)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges [start, end) inside quotes that repeat the buyer's own words."""
    if _QUOTE_CHARS.isdisjoint(text):
        return []
    spans = [m.span(1) for m in _REPORTED.finditer(text)]
    spans += [m.span(1) for m in _QUESTIONED.finditer(text)]
    return spans
