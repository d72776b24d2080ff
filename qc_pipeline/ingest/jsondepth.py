"""How deeply a JSON text nests arrays and objects, found before any parser recurses into it.

Python's JSON parsers recurse once per level: a file nested 100,000 deep raises RecursionError, and even
a few hundred levels exhaust the interpreter's stack. The text is scanned with numpy instead (brackets
inside strings do not count), so the limit costs a few passes over the bytes and no recursion.
"""
from __future__ import annotations

import numpy as np

# +1 for a byte opening an array or object, -1 for one closing it.
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def too_deep(text: str, limit: int, *, per_line: bool = False) -> list[int]:
    """The 1-based lines where the nesting first goes beyond ``limit`` levels: the first such line of the
    whole text, or with ``per_line`` (JSON lines, where a line cannot continue the one before) every line
    nesting deeper than ``limit`` on its own."""
    if text.count("[") + text.count("{") <= limit:
        return []
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    breaks = np.flatnonzero(data == ord("\n"))
    quotes = _unescaped_quotes(data)
    steps = _STEP[data]
    where = np.flatnonzero(steps)
    step = steps[where].astype(np.int64)
    del steps
    line = np.searchsorted(breaks, where)  # line breaks before each bracket: its 0-based line
    if per_line and len(breaks):
        line_start = np.where(line > 0, breaks[np.maximum(line - 1, 0)] + 1, 0)
    else:
        line_start = np.zeros(len(where), dtype=np.int64)
    # Inside a string when an odd number of unescaped quotes precede it on its line (or in the text).
    quotes_before = np.searchsorted(quotes, where) - np.searchsorted(quotes, line_start)
    outside = quotes_before % 2 == 0
    where, step, line, line_start = where[outside], step[outside], line[outside], line_start[outside]
    depth = np.cumsum(step)
    if per_line and len(depth):
        first_of_line = np.searchsorted(where, line_start)
        depth = depth - (depth - step)[first_of_line]
    deep = np.unique(line[depth > limit]) + 1
    return [int(n) for n in (deep if per_line else deep[:1])]


def _unescaped_quotes(data: np.ndarray) -> np.ndarray:
    """Positions of the quotes not escaped by an odd run of backslashes just before them."""
    quotes = np.flatnonzero(data == ord('"'))
    before = quotes[quotes > 0] - 1
    touching = np.zeros(len(quotes), dtype=bool)
    touching[len(quotes) - len(before):] = data[before] == ord("\\")
    if not touching.any():
        return quotes
    backslashes = np.flatnonzero(data == ord("\\"))
    # The index (within ``backslashes``) where each backslash's run starts.
    new_run = np.concatenate([[True], np.diff(backslashes) != 1])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(backslashes)), 0))
    last = np.searchsorted(backslashes, quotes[touching]) - 1  # the backslash just before each such quote
    escaped = np.zeros(len(quotes), dtype=bool)
    escaped[touching] = (last - run_start[last] + 1) % 2 == 1
    return quotes[~escaped]
