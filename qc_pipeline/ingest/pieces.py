"""Delimited text read in pieces: polars takes each piece column-wise, and a piece whose records do not
add up is read record by record, so one broken row costs one row, not the file.

A piece is a run of whole physical lines (UTF-8 bytes). Polars reads it with every column as a string;
the result is trusted only if its records account for every physical line of the piece: one record per
line, or, when quoted fields hold line breaks, records whose embedded breaks add up to the line count
and whose continuation lines do not look like records of their own. Otherwise (a field that opens a
quote and never closes it, a ragged row, a stray quote polars refuses) the piece is split into small
pieces, and only the small pieces that still fail are read record by record (``read_records``).

Record by record, a field that opens a quote and reaches a line that is itself a complete record (the
header's number of fields and, when the table has a time column, a readable time in it) before the
quote closes, or runs on for more than ``MAX_RECORD_LINES`` lines, is an unterminated quote: that one
line is quarantined and reading goes on with the next line.
"""
from __future__ import annotations

import bisect
import csv
import functools
import io
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import polars as pl

from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table, frame_from_rows, truncation
from qc_pipeline.ingest.timeparse import GENERAL_PATTERN

PIECE_BYTES = 4 << 20
SMALL_PIECE_BYTES = 256 << 10
# A quoted text longer than this many lines is not a chat message but a quote that never closed.
MAX_RECORD_LINES = 1000
# How far back from a piece's end to look for a line break outside quotes.
_CUT_SEARCH_LINES = 256
_LOOKS_LIKE_TIME = re.compile(GENERAL_PATTERN)

_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)


class NotUtf8(Exception):
    """A piece is not valid UTF-8: the caller decodes the whole file instead."""


def scan_quotes(line: str, delimiter: str, state: int = _START) -> int:
    """The quoting state after ``line``, as Python's csv reader (strict=False) sees it; ``_QUOTED`` means
    the line ends inside a quoted field."""
    if '"' not in line:
        return state if state == _QUOTED else _START
    if state == _START:
        # Most lines close every quote they open: one regular-expression match says so, and which state
        # the last field leaves, instead of a Python step per character.
        closed = _closed_line(delimiter).fullmatch(line)
        if closed is not None:
            if closed.group("tail") is not None or closed.group("plain") is not None:
                return _FIELD
            return _QUOTE_IN_QUOTED if closed.group("quoted") is not None else _START
    return _scan_chars(line, delimiter, state)


def _scan_chars(line: str, delimiter: str, state: int) -> int:
    """``scan_quotes`` one character at a time: the state machine the regular expression shortcuts."""
    for ch in line:
        if state == _START:
            state = _QUOTED if ch == '"' else _START if ch == delimiter else _FIELD
        elif state == _FIELD:
            if ch == delimiter:
                state = _START
        elif state == _QUOTED:
            if ch == '"':
                state = _QUOTE_IN_QUOTED
        elif ch == '"':
            state = _QUOTED
        else:
            state = _START if ch == delimiter else _FIELD
    return state


@functools.lru_cache(maxsize=None)
def _closed_line(delimiter: str) -> re.Pattern:
    """A line, read from the start of a record, whose every quoted field closes: fields separated by the
    delimiter, each empty, unquoted (quotes inside are literal), or quoted (a doubled quote inside), the
    closing quote maybe followed by literal text up to the delimiter."""
    d = re.escape(delimiter)
    quoted = '"[^"]*(?:""[^"]*)*"'
    plain = f'[^"{d}][^{d}]*'
    field = f"(?:{quoted}(?:{plain})?|{plain})?"
    last = f"(?:(?P<quoted>{quoted})(?P<tail>{plain})?|(?P<plain>{plain}))?"
    return re.compile(f"(?:{field}{d})*{last}", re.DOTALL)


@dataclass(frozen=True)
class Shape:
    """What a record of this table looks like: its delimiter, width and (optionally) time column."""

    delimiter: str
    width: int
    time_index: int | None = None

    def fields(self, text: str) -> list[str]:
        return next(csv.reader([text], delimiter=self.delimiter, strict=False), [])

    def problem(self, record: list[str]) -> str | None:
        if len(record) < self.width:
            return f"only {len(record)} of {self.width} fields"
        if any(cell.strip() for cell in record[self.width :]):
            return f"{len(record)} fields where the header has {self.width}"
        return None

    def looks_like_record(self, line: str) -> bool:
        """A physical line that is a whole record on its own: it ends an unterminated quote before it."""
        line = line.rstrip("\r")
        if line.count(self.delimiter) < self.width - 1 or not line.strip():
            return False
        if scan_quotes(line, self.delimiter) == _QUOTED:
            return False
        record = self.fields(line)
        if self.problem(record) is not None:
            return False
        return self.time_index is None or bool(_LOOKS_LIKE_TIME.match(record[self.time_index].strip()))


def _is_blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


@dataclass
class Records:
    """Records read one by one: each with its first line, fields, problem and raw text."""

    lines: list[int]
    rows: list[list[str]]
    problems: list[str | None]
    raws: list[str]

    def table(self, names: list[str]) -> Table:
        return Table(list(names), frame_from_rows(names, self.rows, self.lines, self.problems, self.raws))


def read_records(
    physical: list[str], first_line: int, shape: Shape, *, final: bool, ends_with_newline: bool, stop: int | None = None
) -> tuple[Records, int]:
    """Records of ``physical`` (lines without their ``\\n``; the first is line ``first_line``).

    Reads until line index ``stop`` (default: all). Returns the records and how many lines were used:
    fewer than asked when a quoted field is still open at the end of lines that are not the end of the
    file (``final`` false), so that the caller can read it again with the lines that follow."""
    stop = len(physical) if stop is None else stop
    out = Records([], [], [], [])
    i = 0
    n = len(physical)
    d = shape.delimiter
    while i < stop:
        state = scan_quotes(physical[i], d)
        end = i
        if state == _QUOTED:
            end, state = _close(physical, i, shape)
            if state == _QUOTED and end + 1 == n and not final and end - i < MAX_RECORD_LINES:
                return out, i  # may close in lines the caller has not given yet
            if state == _QUOTED and not (end + 1 == n and final and not ends_with_newline):
                end = i  # unterminated: this line alone
                raw = physical[i].rstrip("\r")
                out.lines.append(first_line + i)
                out.rows.append(shape.fields(raw))
                out.problems.append("unterminated quote (the field's closing quote is missing)")
                out.raws.append(raw)
                i += 1
                continue
        text = "\n".join(physical[i : end + 1])
        record = next(csv.reader([text], delimiter=d, strict=False), []) if "\n" not in text else _multi(text, d)
        if not _is_blank(record):
            raw = "\n".join(line.rstrip("\r") for line in physical[i : end + 1])
            problem = shape.problem(record)
            if end + 1 == n and final and not ends_with_newline:
                problem = truncation(raw, record, shape.width) or problem
            out.lines.append(first_line + i)
            out.rows.append(record)
            out.problems.append(problem)
            out.raws.append(raw)
        i = end + 1
    return out, i


def _close(physical: list[str], i: int, shape: Shape) -> tuple[int, int]:
    """Where the quoted field opened on line ``i`` closes: (last line, state). The state stays
    ``_QUOTED`` when it does not close before a line that looks like a record, the limit or the end."""
    state = _QUOTED
    j = i
    limit = min(len(physical), i + MAX_RECORD_LINES + 1)
    while state == _QUOTED and j + 1 < limit:
        j += 1
        if shape.looks_like_record(physical[j]):
            return j - 1, _QUOTED
        state = scan_quotes(physical[j], shape.delimiter, _QUOTED)
    return j, state


def _multi(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False), [])


# --- column-wise pieces -------------------------------------------------------------------------


def line_count(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def cut_point(data: bytes, start: int, limit: int) -> int:
    """An offset just after a line break in ``data[start:limit]``, as late as possible, preferring one
    outside quotes (an even number of quote characters since ``start``). ``len(data)`` when ``limit``
    reaches the end; ``start`` when there is no line break before ``limit``."""
    if limit >= len(data):
        return len(data)
    return last_break(data, start, limit)


def last_break(data: bytes, start: int, limit: int) -> int:
    end = data.rfind(b"\n", start, limit) + 1
    if end <= start:
        return start
    quotes = data.count(b'"', start, end)
    if quotes % 2 == 0:
        return end
    candidate = end
    for _ in range(_CUT_SEARCH_LINES):
        previous = data.rfind(b"\n", start, candidate - 1) + 1
        if previous <= start:
            break
        quotes -= data.count(b'"', previous, candidate)
        candidate = previous
        if quotes % 2 == 0:
            return candidate
    return end


class PieceReader:
    """Tables for the pieces of one delimited text, in order, with exact physical line numbers."""

    def __init__(self, names: list[str], shape: Shape):
        self.names = names
        self.shape = shape
        self.schema = {name: pl.Utf8 for name in names}

    def fast(self, data: bytes, first_line: int, *, final: bool) -> Table | None:
        """The piece read by polars, or None if its records do not account for its lines."""
        tail_problem, tail = None, ""
        if final and data and not data.endswith(b"\n"):
            start = data.rfind(b"\n") + 1
            tail = _decode(data[start:]).rstrip("\r")
            if not tail.strip():
                data = data[:start]
            else:
                tail_problem = truncation(tail, self.shape.fields(tail), self.shape.width)
                if tail_problem:
                    data = data[:start]
        lines = line_count(data)
        try:
            frame = pl.read_csv(
                data, has_header=False, schema=self.schema, separator=self.shape.delimiter, quote_char='"',
                raise_if_empty=False, encoding="utf8", infer_schema=False,
            ) if data else pl.DataFrame(schema=self.schema)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError, pl.exceptions.ShapeError) as exc:
            if "utf-8" in str(exc).lower():
                raise NotUtf8(str(exc)) from None
            return None
        starts = self._start_lines(frame, data, lines, first_line)
        if starts is None:
            return None
        frame = frame.with_columns(starts.alias(LINE), pl.lit(None, pl.Utf8).alias(PROBLEM), pl.lit(None, pl.Utf8).alias(RAW))
        if self.names:
            # Blank lines come back as rows of nulls (empty fields are null too): not records.
            blank = pl.all_horizontal([pl.col(c).is_null() for c in self.names])
            if frame.select(blank.any()).item():
                frame = frame.filter(~blank)
        if tail_problem:
            cut = pl.DataFrame(
                {LINE: [first_line + lines], PROBLEM: [tail_problem], RAW: [tail]},
                schema={LINE: pl.Int64, PROBLEM: pl.Utf8, RAW: pl.Utf8},
            )
            frame = pl.concat([frame, cut], how="diagonal")
        table = Table(list(self.names), frame)
        table.raw_of = raw_lookup(data, frame[LINE], first_line)
        return table

    def _start_lines(self, frame: pl.DataFrame, data: bytes, lines: int, first_line: int) -> pl.Series | None:
        n = frame.height
        if n == lines:
            return pl.int_range(first_line, first_line + n, dtype=pl.Int64, eager=True)
        # Quoted fields holding line breaks: each record spans 1 + its embedded breaks.
        spans = frame.select(
            (1 + pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in frame.columns]))
            .cast(pl.Int64)
            .alias("span")
        ).to_series()
        if int(spans.sum() or 0) != lines:
            return None
        starts = spans.cum_sum() - spans
        multi = (spans > 1).arg_true()
        if len(multi):
            physical = data.split(b"\n")
            looks = self.shape.looks_like_record
            for first, span in zip(starts.gather(multi).to_list(), spans.gather(multi).to_list()):
                if any(looks(_decode(physical[k])) for k in range(first + 1, first + span)):
                    return None  # a quote swallowed whole records: read this piece record by record
        return (starts + first_line).alias(LINE)

    def slow(self, data: bytes, first_line: int, *, final: bool, stop_line: int | None = None) -> tuple[Table, int]:
        """Records of ``data`` one by one (up to line index ``stop_line``); returns the table and the lines used."""
        physical = [_decode(line) for line in data.split(b"\n")]
        ends_with_newline = data.endswith(b"\n")
        if ends_with_newline:
            physical.pop()
        records, used = read_records(
            physical, first_line, self.shape, final=final, ends_with_newline=ends_with_newline, stop=stop_line
        )
        return records.table(self.names), used

    def read(self, pieces: Iterable[bytes], first_line: int) -> Iterator[Table]:
        """Tables for consecutive pieces (each a run of whole lines, the last maybe without its newline)."""
        line = first_line
        carry = b""
        iterator = iter(pieces)
        current = next(iterator, None)
        while current is not None or carry:
            following = next(iterator, None) if current is not None else None
            data = carry + current if carry and current is not None else carry or current or b""
            final = following is None
            table = self.fast(data, line, final=final)
            if table is not None:
                yield table
                line += line_count(data)
                carry = b""
            else:
                tables, used_bytes, used_lines = self._split(data, line, final)
                yield from tables
                line += used_lines
                carry = data[used_bytes:]
            current = following

    def _split(self, data: bytes, line: int, final: bool) -> tuple[list[Table], int, int]:
        """A failed piece in small pieces; the ones that fail again are read record by record. Returns the
        tables and the bytes and lines used (all of them, unless a quote is open at the end)."""
        tables: list[Table] = []
        pos = 0
        start_line = line
        while pos < len(data):
            end = cut_point(data, pos, pos + SMALL_PIECE_BYTES)
            if end == pos:  # one line longer than a small piece
                end = data.find(b"\n", pos) + 1 or len(data)
            sub = data[pos:end]
            last = end == len(data)
            table = self.fast(sub, line, final=final and last)
            if table is not None:
                tables.append(table)
                line += line_count(sub)
                pos = end
                continue
            # Record by record, stopping at the first record boundary after this small piece (a quoted
            # field may run past it, by at most MAX_RECORD_LINES lines).
            window = _offset_after_lines(data, pos, line_count(sub) + MAX_RECORD_LINES + 2)
            table, used = self.slow(data[pos:window], line, final=final and window == len(data), stop_line=line_count(sub))
            tables.append(table)
            if used == 0:
                break  # an open quote at the end of the piece: read it again with what follows
            pos += _offset_after_lines(data, pos, used) - pos
            line += used
        return tables, pos, line - start_line


def _offset_after_lines(data: bytes, start: int, lines: int) -> int:
    pos = start
    for _ in range(lines):
        nxt = data.find(b"\n", pos)
        if nxt < 0:
            return len(data)
        pos = nxt + 1
    return pos


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(str(exc)) from None


def raw_lookup(data: bytes, record_lines: pl.Series, first_line: int) -> Callable[[list[int]], list[str]]:
    """Raw text of records of a column-wise piece, by their first line (cut from the piece's bytes)."""

    def raw_of(lines: list[int]) -> list[str]:
        starts = record_lines.to_list()
        physical = data.split(b"\n")
        out = []
        for line in lines:
            i = bisect.bisect_right(starts, line)
            end = starts[i] - 1 if i < len(starts) else first_line + len(physical) - 1
            chunk = [p.rstrip(b"\r") for p in physical[line - first_line : max(end, line) - first_line + 1]]
            while len(chunk) > 1 and not chunk[-1].strip():
                chunk.pop()
            out.append(b"\n".join(chunk).decode("utf-8", errors="replace"))
        return out

    return raw_of


def file_pieces(read: Callable[[int], bytes], size: int = PIECE_BYTES) -> Iterator[bytes]:
    """Runs of whole lines of about ``size`` bytes from a reader (the last may lack its newline)."""
    rest = b""
    while True:
        block = read(size)
        if not block:
            if rest:
                yield rest
            return
        data = rest + block if rest else block
        end = last_break(data, 0, len(data))
        if end <= 0:
            rest = data
            continue
        yield data[:end]
        rest = data[end:]


def memory_pieces(data: bytes, start: int = 0, size: int = PIECE_BYTES) -> Iterator[bytes]:
    pos = start
    while pos < len(data):
        end = cut_point(data, pos, pos + size)
        if end == pos:
            end = data.find(b"\n", pos + size) + 1 or len(data)
        yield data[pos:end]
        pos = end
