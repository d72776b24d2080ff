"""Big delimited tables, read piece by piece: chat tables while the warehouse loads them, order reports
into their narrow order frames (``dispatch``).

A canonical CSV/TSV above ``STREAM_BYTES`` is never held whole: the warehouse asks ``ChatStream.chunks``
for one piece after another (about ``pieces.PIECE_BYTES`` of text each), each already validated into
messages and quarantined rows, and computes the message ids itself over the whole file (the
occurrence index counts identical rows across pieces). The file's sha256 is computed from the same
reads. Results are the same as reading the file whole (``delimited.read_table``).

UTF-8 files are read from disk as they are; GBK/GB18030 files are decoded block by block as they are read
(``encoding``). Any other encoding is decoded whole first (as the small-file path does), and so is a file
whose start did not tell the whole story: UTF-8 first but not later, GBK with an undecodable byte or a line
saved in UTF-8 (the whole-file path quarantines those lines). The stream then raises ``Restart`` once,
and the loader starts again from the first piece.
"""
from __future__ import annotations

import codecs
import hashlib
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np
import polars as pl

from qc_pipeline.ingest.chat import canonical_stage
from qc_pipeline.ingest.columns import Layout
from qc_pipeline.ingest.damage import mark_damaged
from qc_pipeline.ingest.delimited import Header, header_of
from qc_pipeline.ingest.encoding import holds_utf8_lines
from qc_pipeline.ingest.normalize import finish_chat
from qc_pipeline.ingest.pieces import PIECE_BYTES, NotUtf8, PieceReader, file_pieces, memory_pieces
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import Table
from qc_pipeline.ingest.timeparse import TimeWindow

T = TypeVar("T")

# Files above this size are streamed; below it the whole-file path is as fast and simpler to inspect.
STREAM_BYTES = 64 << 20


def streamed(source: Source) -> bool:
    """Whether a chat table is read in pieces: above STREAM_BYTES, or above what may be read whole."""
    limit = STREAM_BYTES if source.whole_limit is None else min(STREAM_BYTES, source.whole_limit)
    return source.size > limit


class Restart(Exception):
    """The file turned out not to be UTF-8 past its start: load it again from the first piece."""


class DelimitedPieces:
    """The tables of a big delimited text, one piece after another (``tables``), never the whole file.

    UTF-8 is read from disk as it is, GBK/GB18030 decoded block by block; a file whose start did not tell
    the whole story raises ``Restart`` once, and the next ``tables()`` decodes it whole (as the small-file
    path does). ``sha256`` is the file's digest once the pieces have all been read."""

    def __init__(self, source: Source, delimiter: str, utf8: bool, encoding: str | None = None):
        self.source = source
        self.delimiter = delimiter
        self.utf8 = utf8  # read the bytes from disk as they are (else decode the whole file first)
        self.encoding = None if utf8 else encoding  # decode block by block in this encoding
        self.sha256: str | None = None

    def tables(self) -> Iterator[Table]:
        if self.utf8:
            try:
                yield from self._from_disk()
                return
            except NotUtf8:
                self.utf8 = False
                raise Restart() from None
        if self.encoding:
            try:
                yield from self._from_disk(self.encoding)
                return
            except (UnicodeDecodeError, _NotStreamable):
                self.encoding = None
                raise Restart() from None
        data = self.source.utf8_bytes(full=True)
        self.sha256 = self.source.sha256
        header = header_of(data, self.delimiter)
        if header is not None:
            yield from self._read(header, memory_pieces(data, header.body_offset, PIECE_BYTES))

    def _from_disk(self, encoding: str | None = None) -> Iterator[Table]:
        digest = hashlib.sha256()
        with open(self.source.path, "rb") as handle, ThreadPoolExecutor(max_workers=1) as pool:
            hashing = None

            def read_raw(size: int) -> bytes:
                # hashlib gives up the GIL on big buffers: the digest runs beside the parsing.
                nonlocal hashing
                block = handle.read(size)
                if hashing is not None:
                    hashing.result()
                hashing = pool.submit(digest.update, block) if block else None
                return block

            read = read_raw if encoding is None else _decoding(read_raw, encoding)

            first = read(PIECE_BYTES)
            start = 3 if first.startswith(b"\xef\xbb\xbf") else 0
            while first.find(b"\n", start) < 0:  # a header line longer than a piece
                more = read(PIECE_BYTES)
                if not more:
                    break
                first += more
            header = header_of(first[start:], self.delimiter)
            if header is not None:
                body = first[start + header.body_offset :]
                yield from self._read(header, file_pieces(_prepend(body, read), PIECE_BYTES))
            else:
                while read(PIECE_BYTES):
                    pass
            if hashing is not None:
                hashing.result()
        self.sha256 = digest.hexdigest()

    @staticmethod
    def _read(header: Header, pieces: Iterable[bytes]) -> Iterator[Table]:
        yield from PieceReader(header.names, header.shape).read(pieces, header.body_line)


class ChatStream(DelimitedPieces):
    def __init__(
        self, source: Source, delimiter: str, layout: Layout, timezone: str, utf8: bool, *, window: TimeWindow,
        encoding: str | None = None,
    ):
        super().__init__(source, delimiter, utf8, encoding)
        self.layout = layout
        self.timezone = timezone
        self.window = window  # the same window the whole-file path applies (finish_chat)
        self.rows_read = 0

    def chunks(self) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        """(messages, quarantine) per piece, in file order. ``msg_id`` holds only ids the file gives."""
        self.rows_read = 0
        for table in self.tables():
            stage = canonical_stage(table, self.layout.columns)
            self.rows_read += len(stage)
            if stage.is_empty():
                continue
            if self.source.damage:
                stage, _ = mark_damaged(stage, self.source, raw_of=table.raw_of)
            messages, quarantine = finish_chat(
                stage, self.source.name, self.timezone, table.raw_of, window=self.window, ids=False
            )
            yield messages, quarantine


class _NotStreamable(Exception):
    """A line of a GBK file reads as UTF-8: the whole-file path decides what it is."""


def _decoding(read: Callable[[int], bytes], encoding: str) -> Callable[[int], bytes]:
    """A reader of UTF-8 bytes over a reader of `encoding` bytes, decoding strictly as it goes; each whole
    line is checked once for a line saved in UTF-8 (raises _NotStreamable)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    unchecked = b""

    def reader(size: int) -> bytes:
        nonlocal unchecked
        raw = read(size)
        block = unchecked + raw
        cut = block.rfind(b"\n") + 1 if raw else len(block)
        if holds_utf8_lines(block[:cut]):
            raise _NotStreamable()
        unchecked = block[cut:]
        return decoder.decode(raw, final=not raw).encode("utf-8")

    return reader


def _prepend(first: bytes, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    pending = [first]

    def reader(size: int) -> bytes:
        if pending:
            return pending.pop()
        return read(size)

    return reader


class SeenHashes:
    """The 64-bit key hashes of the rows read so far, as a few sorted arrays whose sizes halve (merged
    like a log-structured tree), so that adding n hashes in pieces costs O(n log n) in all."""

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        found = np.zeros(len(hashes), dtype=bool)
        if not self.levels or not len(hashes):
            return found
        order = np.argsort(hashes)
        ordered = hashes[order]  # sorted queries make searchsorted walk each level once
        hit = np.zeros(len(hashes), dtype=bool)
        for level in self.levels:
            at = np.minimum(np.searchsorted(level, ordered), len(level) - 1)
            hit |= level[at] == ordered
        found[order] = hit
        return found

    def add(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        self.levels.append(np.sort(hashes))
        while len(self.levels) > 1 and len(self.levels[-2]) <= 2 * len(self.levels[-1]):
            newest, older = self.levels.pop(), self.levels.pop()
            merged = np.concatenate([older, newest])
            del newest, older  # sorted in place once the runs are gone: 1.5 times the keys at most, not 3.5
            # Two sorted runs: the stable sort (timsort) merges them in linear time.
            merged.sort(kind="stable")
            self.levels.append(merged)


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` produced in a worker thread, ``depth`` ahead of the consumer: the next piece is read
    and validated (polars, no GIL) while the warehouse inserts this one (DuckDB, no GIL)."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((True, done))
        except BaseException as exc:  # handed to the consumer, which raises it
            slots.put((False, exc))

    worker = threading.Thread(target=produce, name="ingest-pieces", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                slots.get(timeout=0.1)
            except queue.Empty:
                pass
        if hasattr(items, "close"):
            items.close()
