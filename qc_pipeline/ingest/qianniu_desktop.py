"""The Qianniu desktop chat window copied out (Ctrl+A, Ctrl+C) and saved as text.

A header line ``<sender> YYYY-M-D H:MM:SS`` (zero or one space before the date) or the bracketed
``[sender] YYYY-MM-DD HH:MM:SS``, then the message's lines up to the next header. Status marks,
recall and system notes, product cards and transfer lines sit between them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from qc_pipeline.ingest.noise import TRANSFER, is_noise, split_content
from qc_pipeline.ingest.speakers import Said, Transfer
from qc_pipeline.ingest.textlines import ends_mid_line, is_prefix_of_any, split_lines

_STAMP = r"(?P<date>\d{4}-\d{1,2}-\d{1,2}) (?P<time>\d{1,2}:\d{2}:\d{2})$"
HEADER = re.compile(r"^(?P<sender>\S.*?) ?" + _STAMP)
BRACKETED = re.compile(r"^\[(?P<sender>[^\]]+)\] ?" + _STAMP)
# What is left of a header when the file stops in the middle of one: a sender and the start of a
# timestamp (at least "YYYY-"), or a bracket that never closed.
_PARTIAL_STAMP = r"\d{4}-(?:\d{1,2}(?:-(?:\d{1,2}(?: (?:\d{1,2}(?::(?:\d{1,2}(?::\d?)?)?)?)?)?)?)?)?"
_CUT_HEADER = re.compile(rf"^(?:\[[^\]]*\] ?{_PARTIAL_STAMP}|\[[^\]]*|\S.*? ?{_PARTIAL_STAMP})$")


def header(line: str) -> re.Match | None:
    text = line.strip()
    if TRANSFER.match(text):
        return None
    return BRACKETED.match(text) or HEADER.match(text)


@dataclass
class _Block:
    sender: str
    stamp: str
    line: int
    lines: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    events: list = field(default_factory=list)
    noise: int = 0
    warnings: list[str] = field(default_factory=list)
    bracketed: bool = False


def parse(text: str) -> Parsed:
    out = Parsed()
    block: _Block | None = None
    preamble = 0
    lines = split_lines(text)

    def close() -> None:
        if block is None:
            return
        content, dropped = split_content(block.lines)
        out.noise += dropped
        out.events.append(Said(block.sender, block.stamp, "\n".join(content), block.line, "\n".join(block.raw)))

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        moved = TRANSFER.match(stripped)
        if moved:
            close()
            block = None
            out.events.append(Transfer(moved["source"].strip(), moved["target"].strip(), number))
            out.noise += 1
            continue
        found = header(line)
        if found:
            close()
            out.bracketed = out.bracketed or stripped.startswith("[")
            block = _Block(found["sender"].strip(), f"{found['date']} {found['time']}", number, raw=[line])
            continue
        if block is not None:
            block.lines.append(line)
            block.raw.append(line)
        elif stripped:
            if is_noise(stripped):
                out.noise += 1
            else:
                preamble += 1
    cut = _cut_tail(text, lines, block, out)
    close()
    if cut is not None:
        out.events.append(cut)
    if preamble:
        out.warnings.append(f"{preamble} line(s) before the first message header were skipped")
    return out


def _cut_tail(text: str, lines: list[str], block: _Block | None, out: Parsed) -> Said | None:
    """A file cut in the middle of a header: the fragment is quarantined, not glued to the message above."""
    if not lines or not ends_mid_line(text) or block is None or not block.lines:
        return None
    last = lines[-1].strip()
    senders = {e.sender for e in out.events if isinstance(e, Said)} | {block.sender}
    if not (_CUT_HEADER.match(last) or is_prefix_of_any(last, senders)):
        return None
    block.lines.pop()
    block.raw.pop()
    return Said(None, None, "", len(lines), lines[-1], problem=f"truncated last line '{last}'")
