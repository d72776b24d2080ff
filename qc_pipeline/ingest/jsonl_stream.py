"""Big chat tables as JSON lines, read piece by piece while the warehouse loads them.

The JSON-lines twin of ``stream.ChatStream`` (same interface, same warehouse path): a chat table in
JSON lines above ``stream.STREAM_BYTES`` is never held whole. The file is read from disk in blocks of
about ``PIECE_BYTES``, cut after the last line break of each, and every piece is read as the whole-file
path reads the file (``records.jsonl_items``, then ``records_table``), with the same line numbers and
quarantine reasons. The sha256 is computed from the same reads.

The layout is recognised from the complete lines at the start of the file (``STREAM_HEAD_BYTES``): a
column whose key first appears further down is not read. A file whose later bytes are not UTF-8
raises ``stream.Restart`` once and is then decoded whole, as ``ChatStream`` does.
"""
from __future__ import annotations

import hashlib
import json
from typing import Iterator

import polars as pl

from qc_pipeline.ingest.chat import canonical_stage
from qc_pipeline.ingest.columns import Layout, classify
from qc_pipeline.ingest.encoding import decode_head
from qc_pipeline.ingest.layouts import format_name
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.normalize import finish_chat
from qc_pipeline.ingest.pieces import NotUtf8
from qc_pipeline.ingest.jsondepth import too_deep
from qc_pipeline.ingest.records import jsonl_items, records_table
from qc_pipeline.ingest.timeparse import TimeWindow
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.stream import Restart

PIECE_BYTES = 4 << 20
# How much of the start of the file names the columns.
STREAM_HEAD_BYTES = 1 << 16


def streamed_file(source: Source, config) -> ParsedFile | None:
    """A ParsedFile that streams ``source`` if it starts like a chat table in UTF-8 JSON lines (its first
    two lines each one JSON value, the first an object, whose keys are a chat layout); None otherwise."""
    if source.encoding not in (None, "utf-8", "utf-8-sig"):
        return None  # decoded whole already (another encoding): nothing is saved by streaming
    quick = decode_head(source.prefix, STREAM_HEAD_BYTES)
    if quick is None or "\x00" in quick[0]:
        return None
    text, encoding = quick
    lines = [line for line in text.split("\n")[:-1] if line.strip()]  # the last may be cut off
    values = []
    for number, line in enumerate(lines):
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError:
            if number < 2:  # two JSON values first: then the file is not one JSON document
                return None
    if len(values) < 2 or not isinstance(values[0], dict):
        return None
    keys: list[str] = []
    for value in values:
        if isinstance(value, dict):
            keys += [k for k in value if k not in keys]
    table = records_table([(1, {k: None for k in keys}, "")])
    layout = classify(table.columns)
    if not isinstance(layout, Layout) or layout.name != "chat":
        return None
    source.encoding = encoding
    return ParsedFile(
        path=source.name, sha256="", kind="chat", format=format_name(layout, "jsonl"), encoding=encoding, rows_read=0,
        stream=JsonlStream(source, layout, config.timezone.key, window=config.time_window,
                           depth=config.json_max_depth),  # type: ignore[arg-type]
    )


class JsonlStream:
    def __init__(self, source: Source, layout: Layout, timezone: str, *, window: TimeWindow, depth: int):
        self.source = source
        self.layout = layout
        self.timezone = timezone
        self.window = window  # the same window and depth limit the whole-file path applies
        self.depth = depth
        self.utf8 = True  # read the bytes from disk as they are (else decode the whole file first)
        self.rows_read = 0
        self.sha256: str | None = None

    def chunks(self) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        """(messages, quarantine) per piece, in file order. ``msg_id`` holds only ids the file gives."""
        self.rows_read = 0
        if self.utf8:
            try:
                yield from self._validated(self._from_disk())
                return
            except NotUtf8:
                self.utf8 = False
                raise Restart() from None
        text = self.source.text()
        self.sha256 = self.source.sha256
        yield from self._validated(_text_pieces(text))

    def _from_disk(self) -> Iterator[tuple[str, int, bool]]:
        """(text, its first line number, whether it is the last piece) for runs of whole lines."""
        digest = hashlib.sha256()
        line, rest, first = 1, b"", True
        with open(self.source.path, "rb") as handle:
            while True:
                block = handle.read(PIECE_BYTES)
                digest.update(block)
                if first and block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
                first = False
                if not block:
                    yield _utf8(rest), line, True
                    break
                data = rest + block if rest else block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    rest = data
                    continue
                piece, rest = data[:cut], data[cut:]
                yield _utf8(piece), line, False
                line += piece.count(b"\n")
        self.sha256 = digest.hexdigest()

    def _validated(self, pieces: Iterator[tuple[str, int, bool]]) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        columns = self.layout.columns
        for text, first_line, final in pieces:
            deep = set(too_deep(text, self.depth, per_line=True))
            table = records_table(jsonl_items(text, deep, self.depth, first_line=first_line, final=final))
            missing = [c for c in columns.values() if c not in table.frame.columns]
            if missing:  # keys this piece never uses
                table.frame = table.frame.with_columns([pl.lit(None, pl.Utf8).alias(c) for c in missing])
            stage = canonical_stage(table, columns)
            self.rows_read += len(stage)
            if stage.is_empty():
                continue
            yield finish_chat(stage, self.source.name, self.timezone, None, window=self.window, ids=False)


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(str(exc)) from None


def _text_pieces(text: str) -> Iterator[tuple[str, int, bool]]:
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos + PIECE_BYTES)
        end = len(text) if end < 0 else end + 1
        piece = text[pos:end]
        yield piece, line, end == len(text)
        line += piece.count("\n")
        pos = end
