"""Records holding a damaged line (bytes the file's encoding cannot read, see encoding.py) are
quarantined, with the line and why, instead of being loaded with a hole in their text.

A damaged line keeps its place in the decoded text with a mark where its bad bytes were, so whatever
record the layout builds from it (a CSV row, a desktop message spanning several lines, a JSON line)
holds the mark. The record is then given the damaged line's reason, and its raw text shows the line as
it can be read. A damaged line whose bytes ended up in no field that is kept (a header or a preamble
line, a column the layout does not read) costs no record; ``uncovered`` names it for a warning.
"""
from __future__ import annotations

import bisect
from typing import Callable

import polars as pl

from qc_pipeline.ingest.encoding import Damage
from qc_pipeline.ingest.source import Source

RawLookup = Callable[[list[int]], list[str]]


def mark_damaged(
    frame: pl.DataFrame,
    source: Source,
    *,
    line: str = "source_line",
    problem: str = "problem",
    raw: str = "raw",
    raw_of: RawLookup | None = None,
) -> tuple[pl.DataFrame, set[int]]:
    """``frame`` with the records holding a damaged line given its reason (in ``problem``) and their raw
    text (in ``raw``); and the damaged lines those records cover."""
    damage, mark = source.damage, source.mark
    if not damage or frame.is_empty():
        return frame, set()
    values = [c for c, t in frame.schema.items() if t == pl.Utf8 and c != problem]
    held = frame.select(
        pl.any_horizontal([pl.col(c).str.contains(mark, literal=True).fill_null(False) for c in values])
    ).to_series()
    rows = held.arg_true().to_list()
    if not rows:
        return frame, set()
    starts = sorted(set(frame[line].drop_nulls().to_list()))
    damaged = sorted(damage)
    lines = frame[line].to_list()
    raws = frame[raw].to_list()
    missing = [lines[i] for i in rows if raws[i] is None]
    looked_up = dict(zip(missing, raw_of(missing))) if raw_of is not None and missing else {}
    problems = frame[problem].to_list()
    covered: set[int] = set()
    for i in rows:
        first = lines[i]
        row = frame.row(i, named=True)
        if first is None:
            continue
        following = bisect.bisect_right(starts, first)
        if following < len(starts):
            end = starts[following]
        else:  # the frame's last record (of the file, or of a piece): as many lines as its text holds
            text = raws[i] if raws[i] is not None else looked_up.get(first, "")
            end = first + 1 + max(text.count("\n"), sum((row[c] or "").count("\n") for c in values if c != raw))
        at = bisect.bisect_left(damaged, first)
        inside = [d for d in damaged[at:] if d < end]
        if inside:
            covered.update(inside)
            problems[i] = _reason([damage[d] for d in inside])
        else:
            # The mark came from another record's line: a sender named in a header line and given to the
            # messages around it, or a JSON document not laid out line by line. The nearest one before.
            near = damage[damaged[at - 1] if at else damaged[0]]
            problems[i] = f"a name or value in this record comes from line {near.line}: {near.reason}"
        raws[i] = _shown(raws[i] if raws[i] is not None else looked_up.get(first, ""), first, damage, mark)
    frame = frame.with_columns(
        pl.Series(problem, problems, dtype=pl.Utf8), pl.Series(raw, raws, dtype=pl.Utf8)
    )
    return frame, covered


def uncovered(source: Source, covered: set[int]) -> list[Damage]:
    return [source.damage[d] for d in sorted(source.damage) if d not in covered]


def _reason(found: list[Damage]) -> str:
    reason = found[0].reason
    if len(found) > 1:
        reason += f"; and {len(found) - 1} more damaged line(s) in this record, from line {found[1].line}"
    return reason


def _shown(text: str, first: int, damage: dict[int, Damage], mark: str) -> str:
    """The record's raw text with its damaged lines as they can be read (any other mark as U+FFFD)."""
    parts = text.split("\n")
    for k, part in enumerate(parts):
        if first + k in damage and mark in part:
            parts[k] = damage[first + k].shown
    return "\n".join(parts).replace(mark, "\ufffd")
