"""The Qianniu web chat-record page (聊天记录查询) saved as text.

A block per message, blocks separated by blank lines: an optional date line (applying to every later
block), a time line, the content lines, and the sender account as the block's last line.

A message may itself hold blank lines, so a block runs to the next time (or date) line that follows a
blank line. Paragraphs after a block's sender line that are only notes (recalls, transfers) are noise;
other stray paragraphs are told apart from a multi-paragraph message by the sender: the block ends
where a known sender line ends a paragraph.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from qc_pipeline.ingest.noise import TRANSFER, is_noise, split_content
from qc_pipeline.ingest.speakers import Said, Transfer
from qc_pipeline.ingest.textlines import ends_mid_line, is_prefix_of_any, split_lines

DATE_LINE = re.compile(r"^\d{4}(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)$")
TIME_LINE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")
INCOMPLETE = "incomplete message block (a time line, text and the sender expected)"
STRAY = "text outside any message block (no time line)"

Paragraph = list[tuple[int, str]]  # (line number, line)


@dataclass
class Parsed:
    events: list = field(default_factory=list)
    noise: int = 0
    warnings: list[str] = field(default_factory=list)


def _starts(lines: list[str]) -> list[int]:
    """Indexes of the lines that open a block: date or time lines at the top or after a blank line."""
    return [
        i for i, line in enumerate(lines)
        if (TIME_LINE.match(line.strip()) or DATE_LINE.match(line.strip())) and (i == 0 or not lines[i - 1].strip())
    ]


def _paragraphs(numbered: Paragraph) -> list[Paragraph]:
    out, current = [], []
    for number, line in numbered:
        if line.strip():
            current.append((number, line))
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _only_notes(paragraph: Paragraph) -> bool:
    return all(TRANSFER.match(line.strip()) or is_noise(line) for _, line in paragraph)


@dataclass
class _Block:
    date: str | None
    paragraphs: list[Paragraph]
    trailing: list[Paragraph]  # after the message: notes or stray text


def _blocks(lines: list[str]) -> tuple[Paragraph, list[_Block]]:
    starts = _starts(lines)
    before = list(enumerate(lines[: starts[0] if starts else len(lines)], start=1))
    blocks, date = [], None
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        numbered = list(enumerate(lines[start:end], start=start + 1))
        while numbered and DATE_LINE.match(numbered[0][1].strip()):
            date = numbered[0][1].strip()
            numbered = numbered[1:]
        paragraphs = _paragraphs(numbered)
        trailing = []
        while len(paragraphs) > 1 and _only_notes(paragraphs[-1]):
            trailing.insert(0, paragraphs.pop())
        if paragraphs:
            blocks.append(_Block(date, paragraphs, trailing))
    return before, blocks


def _split_stray(blocks: list[_Block]) -> None:
    """A block of several paragraphs whose first paragraph already ends with a sender (a sub-account or
    a nick that signs other blocks) while its last does not is a message followed by stray text."""
    known = {b.paragraphs[0][-1][1].strip() for b in blocks if len(b.paragraphs) == 1}
    for block in blocks:
        if len(block.paragraphs) < 2:
            continue
        first_end = block.paragraphs[0][-1][1].strip()
        last_end = block.paragraphs[-1][-1][1].strip()
        if (first_end in known or ":" in first_end) and last_end not in known and ":" not in last_end:
            block.trailing = block.paragraphs[1:] + block.trailing
            block.paragraphs = block.paragraphs[:1]


def parse(text: str) -> Parsed:
    out = Parsed()
    lines = split_lines(text)
    before, blocks = _blocks(lines)
    _split_stray(blocks)
    _loose(before, out)
    for block in blocks:
        _message(block, out)
        for paragraph in block.trailing:
            _loose(paragraph, out)
    _cut_tail(text, out)
    return out


def _message(block: _Block, out: Parsed) -> None:
    numbered = [item for i, p in enumerate(block.paragraphs) for item in ([(0, "")] if i else []) + p]
    body = [line for _, line in numbered]
    line = numbered[0][0]
    raw = "\n".join(body)
    clock = body[0].strip()
    if not TIME_LINE.match(clock):
        _loose(numbered, out)
        return
    if len(body) < 3:
        out.events.append(Said(None, None, "", line, raw, problem=INCOMPLETE))
        return
    content, dropped = split_content(body[1:-1])
    out.noise += dropped
    stamp = f"{block.date} {clock}" if block.date else None
    problem = None if block.date else f"time '{clock}' without a date line before it"
    out.events.append(Said(body[-1].strip(), stamp, "\n".join(content), line, raw, problem=problem))


def _loose(numbered: Paragraph, out: Parsed) -> None:
    """Lines outside any message: transfers and notes are noise; anything else cannot be placed."""
    stray: Paragraph = []
    for number, text in numbered:
        moved = TRANSFER.match(text.strip())
        if not text.strip():
            continue
        if moved:
            out.events.append(Transfer(moved["source"].strip(), moved["target"].strip(), number))
            out.noise += 1
        elif is_noise(text):
            out.noise += 1
        else:
            stray.append((number, text))
    if stray:
        out.events.append(Said(None, None, "", stray[0][0], "\n".join(t for _, t in stray), problem=STRAY))


def _cut_tail(text: str, out: Parsed) -> None:
    """A file that stops inside the last sender line: that message is quarantined."""
    said = [e for e in out.events if isinstance(e, Said)]
    if not said or not ends_mid_line(text) or said[-1].sender is None:
        return
    last = said[-1]
    others = {e.sender for e in said[:-1] if e.sender}
    if is_prefix_of_any(last.sender, others):
        last.problem = f"truncated last line '{last.sender}'"
