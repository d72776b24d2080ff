"""Text encodings of exports: detected from the bytes, never assumed from the file name.

Order of trust: a byte-order mark, then strict UTF-8, then the Chinese national encodings (GBK, then
its superset GB18030), and only then charset-normalizer's guess.

A file that is one encoding except for a few damaged lines (a line saved in GBK inside a UTF-8 file, a
file cut in the middle of a character, a stray invalid byte) is read in the encoding most of its lines
are in. The bytes that do not decode become ``Decoded.mark`` (a Unicode noncharacter, which text never
holds), so every line keeps its place and its ASCII structure (delimiters, quotes, JSON punctuation);
``Decoded.damage`` says, by line, why and what the line holds, and the readers quarantine the records
holding a mark (``damage.py``). The whole file is never decoded in a second encoding because of a few
lines: that would store every other line as mojibake.
"""
from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Unicode noncharacters ("never for open interchange"): the first one the file does not hold stands for
# its undecodable bytes.
MARKS = ("\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3")
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "utf-16": "UTF-16",
           "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}
# More errors than one per this many bytes of the file (and over a thousand) mean the file is not in that
# encoding at all: stop decoding it that way.
_DENSE_BYTES = 8
# How much of a file's start, middle and end the UTF-8-or-not vote looks at before decoding it all.
_SAMPLE_BYTES = 256 << 10
_NON_ASCII_LINE = re.compile(r"^.*[^\x00-\x7f]", re.M)
_NON_ASCII_BYTES_LINE = re.compile(rb"[^\r\n]*[\x80-\xff][^\r\n]*")
_UTF8_PAIR = re.compile(rb"[\xe2-\xef][\x80-\xbf]{2}[\xe2-\xef][\x80-\xbf]{2}")


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


@dataclass(frozen=True)
class Damage:
    """A line holding bytes the file's encoding cannot read."""

    line: int
    reason: str  # for the quarantine, naming the line
    shown: str  # the line as it can be shown: read in another encoding, or with \\x escapes
    cut: bool = False  # the file ends in the middle of a character on this line
    # The rest of the line reads as UTF-8 (Chinese characters around a stray byte): evidence for UTF-8.
    mostly_utf8: bool = False


@dataclass
class Decoded:
    text: str
    encoding: str
    damage: dict[int, Damage] = field(default_factory=dict)
    mark: str = MARKS[0]
    cr_lines: bool = False  # lone carriage returns were read as line ends: the text's bytes are not the file's


def bom_encoding(raw: bytes) -> str | None:
    for bom, name in BOMS:
        if raw.startswith(bom):
            return name
    return None


def _utf16_without_bom(raw: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a zero in every other byte; that pattern is not found in other text.
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    return "\x00" in sample or controls / len(sample) > 0.01


def cr_only(data: bytes | str) -> bool:
    """Old Mac line endings: lone carriage returns end the lines (more of them than line feeds; a
    stray line feed inside a quoted field does not make it a line-feed file)."""
    cr, lf = ("\r", "\n") if isinstance(data, str) else (b"\r", b"\n")
    lone = data.count(cr) - data.count(cr + lf)
    return lone > 0 and lone > data.count(lf)


_LONE_CR = re.compile(r"\r(?!\n)")


def _lines(text: str) -> tuple[str, bool]:
    """Lone carriage returns as line feeds when they are the file's line ends (the readers split on
    line feeds; the line numbers stay those of the file), and whether they were."""
    if cr_only(text):
        return _LONE_CR.sub("\n", text), True
    return text, False


def _read(text: str, name: str) -> Decoded:
    text, cr = _lines(text)
    return Decoded(text, name, cr_lines=cr)


def _breaks(raw: bytes, start: int, end: int, cr: bool) -> int:
    if not cr:
        return raw.count(b"\n", start, end)
    return raw.count(b"\n", start, end) + raw.count(b"\r", start, end) - raw.count(b"\r\n", start, end)


def decode(raw: bytes) -> Decoded:
    """The text, the encoding it was read with, and the lines that did not decode."""
    name = bom_encoding(raw)
    if name:
        try:
            return _read(raw.decode(name), name)
        except UnicodeDecodeError as exc:
            damaged = _damaged(raw, name)
            if damaged is not None and _mostly_fine(damaged, need_non_ascii=False):
                return damaged
            raise NotText(f"starts with a {name} byte-order mark but is not valid {name} ({exc.reason})") from None
    if b"\x00" not in raw[:65536]:
        try:
            return _read(raw.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            pass
        utf8 = _damaged(raw, "utf-8") if _utf8_sample(raw) else None
        if utf8 is not None and _mostly_fine(utf8):
            return utf8
        for name in ("gbk", "gb18030"):
            try:
                return _utf8_lines(raw, _read(raw.decode(name), name))
            except UnicodeDecodeError:
                continue
        # Damaged GBK: GB18030 when it explains more of the lines (four-byte characters), else GBK.
        readings = [d for d in (_damaged(raw, name) for name in ("gbk", "gb18030")) if d is not None]
        if readings:
            national = min(readings, key=lambda d: len(d.damage))
            if _mostly_fine(national):
                return _utf8_lines(raw, national)
    name = _utf16_without_bom(raw)
    if name:
        try:
            return _read(raw.decode(name), name)
        except UnicodeDecodeError:
            damaged = _damaged(raw, name)
            if damaged is not None and _mostly_fine(damaged, need_non_ascii=False):
                return damaged
    try:
        return _guess(raw)
    except NotText:
        # Mostly ASCII with a few broken bytes (nothing for a guess to go on): read as UTF-8.
        if b"\x00" not in raw[:65536]:
            utf8 = _damaged(raw, "utf-8")
            if utf8 is not None and _mostly_fine(utf8, need_non_ascii=False):
                return utf8
        raise


def _guess(raw: bytes) -> Decoded:
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 1 << 20]).best()
    if best is None or best.encoding is None:
        raise NotText("binary data, not a text export (no known text encoding fits)")
    try:
        text = raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise NotText("binary data, not a text export (no known text encoding fits)") from None
    return _read(text, best.encoding)


# --- decoding around damaged lines -------------------------------------------------------------

_local = threading.local()


class _TooDamaged(Exception):
    pass


def _mark_error(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    spans = _local.spans
    spans.append((exc.start, exc.end))
    if len(spans) > 1000 and len(spans) * _DENSE_BYTES > _local.size:
        raise _TooDamaged()
    return _local.mark, exc.end


codecs.register_error("chat-qc-mark", _mark_error)


def _damaged(raw: bytes, name: str) -> Decoded | None:
    """``raw`` read as ``name`` with each undecodable byte run replaced by a mark; None when the errors
    are so dense that the file is not in this encoding."""
    for mark in MARKS:
        _local.spans, _local.mark, _local.size = [], mark, len(raw)
        try:
            text = raw.decode(name, errors="chat-qc-mark")
        except _TooDamaged:
            return None
        finally:
            spans, _local.spans = _local.spans, None
        if text.count(mark) == len(spans):
            break
    else:
        return None
    if name == "utf-8-sig":  # its decoder counts from after the mark
        spans = [(start + len(codecs.BOM_UTF8), end + len(codecs.BOM_UTF8)) for start, end in spans]
    text, cr = _lines(text)
    return Decoded(text, name, _damage_by_line(raw, text, name, mark, spans), mark, cr)


def _damage_by_line(raw: bytes, text: str, name: str, mark: str, spans: list[tuple[int, int]]) -> dict[int, Damage]:
    by_line: dict[int, list[tuple[int, int]]] = {}
    starts: dict[int, int] = {}
    line, pos = 1, 0
    at = text.find(mark)
    for span in spans:
        line += text.count("\n", pos, at)
        pos = at
        if line not in by_line:
            by_line[line] = []
            starts[line] = text.rfind("\n", 0, at) + 1
        by_line[line].append(span)
        at = text.find(mark, at + 1)
    ends_mid_char = bool(spans) and spans[-1][1] == len(raw)
    last_line = max(by_line) if by_line else 0
    damage = {}
    for number, line_spans in by_line.items():
        line_text = text[starts[number] : _line_end(text, starts[number])]
        label = _LABELS.get(name, name)
        cut = number == last_line and ends_mid_char and len(line_spans) == 1 and text.find("\n", starts[number]) < 0
        shown, reading = _shown(raw, name, line_text, mark, line_spans, other_readings=not cut)
        if cut:
            reason = "truncated last line (the file ends in the middle of a character)"
        elif reading:
            reason = f"line {number} is not {label} like the rest of the file; it reads as {reading} (shown so in raw)"
        else:
            reason = f"line {number} holds bytes that are not valid {label} (shown as \\x escapes in raw)"
        mostly_utf8 = name.startswith("utf-8") and _utf8_evidence(line_text, len(line_spans))
        damage[number] = Damage(number, reason, shown, cut, mostly_utf8)
    return damage


def _line_starts(text: str, lines: dict[int, list]) -> dict[int, int]:
    starts, line, pos = {}, 1, 0
    for number in sorted(lines):
        while line < number:
            pos = text.index("\n", pos) + 1
            line += 1
        starts[number] = pos
    return starts


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return end - 1 if end > start and text[end - 1] == "\r" else end


def _shown(
    raw: bytes, name: str, line_text: str, mark: str, spans: list[tuple[int, int]], other_readings: bool
) -> tuple[str, str | None]:
    """The damaged line for people: its reading in GBK/GB18030 when a UTF-8 file holds a line that is
    all in one of those (saved by another tool: hardly any of its non-ASCII bytes read as UTF-8), else
    the line with the undecodable bytes as \\x escapes."""
    valid = sum(1 for ch in line_text if ch > "\x7f" and ch != mark)
    if name in ("utf-8", "utf-8-sig") and other_readings and valid * 2 <= len(spans):
        begin = max(raw.rfind(b"\n", 0, spans[0][0]), raw.rfind(b"\r", 0, spans[0][0])) + 1
        ends = [e for e in (raw.find(b"\n", spans[-1][1]), raw.find(b"\r", spans[-1][1])) if e >= 0]
        line_bytes = raw[begin : min(ends) if ends else len(raw)]
        for other in ("gbk", "gb18030"):
            try:
                return line_bytes.decode(other), _LABELS[other]
            except UnicodeDecodeError:
                continue
    parts = line_text.split(mark)
    out = [parts[0]]
    for (start, end), part in zip(spans, parts[1:]):
        out.append("".join(f"\\x{b:02x}" for b in raw[start:end]) + part)
    return "".join(out), None


def _utf8_sample(raw: bytes) -> bool:
    """Whether the lines holding non-ASCII bytes in the file's start, middle and end are at least as
    often valid UTF-8 as not (or there are none): worth decoding the whole file as UTF-8 to find out."""
    if len(raw) <= 3 * _SAMPLE_BYTES:
        chunks = [raw]
    else:
        chunks = []
        for start in (0, len(raw) // 2, len(raw) - _SAMPLE_BYTES):
            chunk = raw[start : start + _SAMPLE_BYTES]
            first = 0 if start == 0 else chunk.find(b"\n") + 1  # whole lines only
            last = len(chunk) if start + _SAMPLE_BYTES >= len(raw) else chunk.rfind(b"\n") + 1
            chunks.append(chunk[first:last])
    good = bad = 0
    for chunk in chunks:
        for match in _NON_ASCII_BYTES_LINE.finditer(chunk):
            try:
                match.group().decode("utf-8")
                good += 1
            except UnicodeDecodeError as exc:
                # The file's last line cut in the middle of a character is UTF-8 as far as it goes.
                cut = chunk is chunks[-1] and match.end() == len(chunk) and exc.reason == "unexpected end of data"
                reading = match.group().decode("utf-8", errors="replace")
                if cut or _utf8_evidence(reading, reading.count("\ufffd")):
                    good += 1
                else:
                    bad += 1
    return good >= bad


def _mostly_fine(decoded: Decoded, need_non_ascii: bool = True) -> bool:
    """The file is only cut off at the end, or its damaged lines are a minority: of the lines holding
    non-ASCII text (the ones an encoding is chosen for), or, with ``need_non_ascii`` false, at most half
    of the non-blank lines."""
    damaged = len(decoded.damage)
    if all(d.cut for d in decoded.damage.values()):
        return True  # only cut off at the end
    if need_non_ascii:
        evidence = sum(1 for d in decoded.damage.values() if d.mostly_utf8)
        damaged -= evidence
        good = sum(1 for _ in _NON_ASCII_LINE.finditer(decoded.text)) - damaged
        # A tie goes to the reading being tried: UTF-8 first, whose validity is the stronger evidence.
        return good >= damaged and good > 0
    lines = decoded.text.count("\n") + 1 - decoded.text.count("\n\n")
    return damaged * 2 <= lines


# Valid UTF-8 with this many characters of three bytes (CJK) is UTF-8: GBK bytes line up that way by
# chance far too rarely (a two-character GBK line reads as UTF-8 quite often).
_UTF8_EVIDENCE = 3


def _utf8_evidence(reading: str, errors: int) -> bool:
    """Whether a line read as UTF-8 holds enough three-byte characters (CJK) to be UTF-8 whatever else
    it holds: at least ``_UTF8_EVIDENCE``, and no fewer than its undecodable byte runs."""
    cjk = sum(1 for ch in reading if "\u0800" <= ch < "\ufdd0" or "\ufdef" < ch < "\ufffd")  # not marks
    return cjk >= max(_UTF8_EVIDENCE, errors)


def _utf8_line_readings(raw: bytes):
    """(start offset, UTF-8 reading) of each line of `raw` that reads as UTF-8 Chinese. Only lines holding
    two Chinese characters in a row as UTF-8 are looked at (GBK bytes form that pattern about once in 40,000
    positions), so a GBK file is scanned at regular-expression speed."""
    hit = _UTF8_PAIR.search(raw)
    while hit is not None:
        start = max(raw.rfind(b"\n", 0, hit.start()), raw.rfind(b"\r", 0, hit.start())) + 1
        ends = [e for e in (raw.find(b"\n", hit.end()), raw.find(b"\r", hit.end())) if e >= 0]
        end = min(ends) if ends else len(raw)
        try:
            reading = raw[start:end].decode("utf-8")
        except UnicodeDecodeError:
            reading = None
        if reading is not None and _utf8_evidence(reading, 0):
            yield start, reading
        hit = _UTF8_PAIR.search(raw, end)


def holds_utf8_lines(raw: bytes) -> bool:
    """Whether some line of `raw` (whole lines of a GBK file) reads as UTF-8 Chinese: the test ``_utf8_lines``
    makes, for a reader that sees the file a block at a time and hands such a file to the whole-file path."""
    return next(_utf8_line_readings(raw), None) is not None


# The encodings a big chat table is streamed in besides UTF-8: each block decoded as it is read.
# (UTF-16 stays whole: its line breaks are two bytes, which the block cuts at b"\n" would split.)
STREAMED_ENCODINGS = ("gbk", "gb18030")


def streamable_encoding(prefix: bytes) -> str | None:
    """The encoding to decode a big file block by block in, when its start (cut at its last line break) is
    clean text in one of ``STREAMED_ENCODINGS``; None sends the file to the whole-file path."""
    cut = prefix.rfind(b"\n") + 1
    if cut <= 0:
        return None
    try:
        decoded = decode(prefix[:cut])
    except NotText:
        return None
    if decoded.encoding not in STREAMED_ENCODINGS or decoded.damage or decoded.cr_lines:
        return None
    return decoded.encoding


def _utf8_lines(raw: bytes, decoded: Decoded) -> Decoded:
    """A GBK/GB18030 file holding lines saved in UTF-8: those lines become damaged lines (read as GBK
    they would be mojibake), shown in their UTF-8 reading."""
    found: dict[int, str] = {}
    line, pos = 1, 0
    cr = decoded.cr_lines
    for start, reading in _utf8_line_readings(raw):
        line += _breaks(raw, pos, start, cr)
        pos = start
        found[line] = reading
    if not found:
        return decoded
    label = _LABELS.get(decoded.encoding, decoded.encoding)
    text, mark = decoded.text, decoded.mark
    starts = _line_starts(text, found)
    parts, at = [], 0
    for number in sorted(found):
        reason = f"line {number} is UTF-8, not {label} like the rest of the file (shown as UTF-8 in raw)"
        already = number in decoded.damage  # marked already where its bytes are not valid GBK
        decoded.damage[number] = Damage(number, reason, found[number])
        if already:
            continue
        start = starts[number]
        end = _line_end(text, start)
        line_text = text[start:end]
        first = next((i for i, ch in enumerate(line_text) if ch > "\x7f"), 0)
        parts += [text[at:start], line_text[:first], mark, line_text[first:]]
        at = end
    parts.append(text[at:])
    decoded.text = "".join(parts)
    return decoded


def decode_head(raw: bytes, limit: int = 1 << 16) -> tuple[str, str] | None:
    """The start of the file, decoded cheaply when it is UTF-8 or carries a BOM; None otherwise.

    Lets the big-file path look at the header without decoding (and copying) the whole file."""
    name = bom_encoding(raw) or "utf-8"
    decoder = codecs.getincrementaldecoder(name)()
    try:
        text = decoder.decode(raw[:limit], final=len(raw) <= limit)
    except UnicodeDecodeError:
        return None
    return text, name
