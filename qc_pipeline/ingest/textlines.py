"""Splitting export text into lines the way the exports break them."""
from __future__ import annotations

import re

_BREAK = re.compile(r"\r\n|\n|\r")


def split_lines(text: str) -> list[str]:
    """Lines without their terminators (CRLF, LF or CR). Unlike str.splitlines, characters such as
    U+2028 or form feed inside a message do not split it."""
    lines = _BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def ends_mid_line(text: str) -> bool:
    return bool(text) and not text.endswith(("\n", "\r"))


def is_prefix_of_any(fragment: str, candidates: set[str]) -> bool:
    return bool(fragment) and any(c != fragment and c.startswith(fragment) for c in candidates)
