"""Recognising an export from its content (never from its name) and handing it to its reader."""
from __future__ import annotations

import csv
from pathlib import Path

from qc_pipeline.config import Config
import polars as pl

from qc_pipeline.ingest import chat, containers, orders, stream
from qc_pipeline.ingest.columns import known_count
from qc_pipeline.ingest.json_files import json_file
from qc_pipeline.ingest.encoding import cr_only, decode_head
from qc_pipeline.ingest.layouts import format_name, layout_or_fail, marked, read_tables
from qc_pipeline.ingest.model import ORDER_SCHEMA, QUARANTINE_SCHEMA, ParsedFile
from qc_pipeline.ingest.noise import TRANSFER
from qc_pipeline.ingest.qianniu_desktop import BRACKETED, HEADER
from qc_pipeline.ingest.qianniu_web import DATE_LINE, TIME_LINE
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.delimited import csv_table, read_table
from qc_pipeline.ingest.errors import UnreadableFile
from qc_pipeline.ingest.pieces import NotUtf8

DELIMITERS = (",", "\t", ";", "|")
_LAYOUT_SEARCH_LINES = 50


def read_file(path: Path, config: Config) -> ParsedFile:
    return read_source(Source.open(path), config)


def read_source(source: Source, config: Config) -> ParsedFile:
    """An export already in hand as a Source (a file opened here, or bytes read by another engine)."""
    source.whole_limit = config.ingest_limits.whole_file_max_bytes
    raw = source.prefix
    if raw.startswith(containers.ZIP_MAGIC):
        return containers.workbook(source, config)
    if raw.startswith(containers.OLE_MAGIC):
        raise source.fail("an Excel 97-2003 (.xls) or other OLE file, which is not supported; save it as .xlsx or CSV")
    if raw.startswith(containers.PARQUET_MAGIC):
        return containers.parquet(source, config)
    lines = [line.strip() for line in _head(source).splitlines() if line.strip()]
    if not lines:
        raise source.fail("empty file")
    if lines[0][0] in "{[" and not BRACKETED.match(lines[0]):
        return json_file(source, config)
    delimiter = _sniff_delimiter(lines[0])
    if delimiter is not None:
        return _delimited(source, delimiter, lines[0], config)
    text_layout = _text_layout(lines)
    if text_layout == "desktop":
        return chat.desktop_file(source, config)
    if text_layout == "web":
        return chat.web_file(source, config)
    raise source.fail(f"not a known export layout (first line: {lines[0][:80]!r})")


# The content decides the format; a name only makes the message for a damaged binary file clearer.
_BINARY_NAMES = {".xlsx": "Excel workbook", ".xlsm": "Excel workbook", ".xls": "Excel workbook",
                 ".parquet": "Parquet file"}


def _head(source: Source) -> str:
    try:
        return source.head()
    except UnreadableFile as exc:
        kind = _BINARY_NAMES.get(Path(source.name).suffix.lower())
        if kind is None or not exc.why.startswith("binary data"):
            raise
        article = "an" if kind[0] in "AEIOU" else "a"
        raise source.fail(f"named like {article} {kind}, but its content is neither that nor text: a damaged, cut "
                          "or renamed file") from None


def _sniff_delimiter(line: str) -> str | None:
    """The delimiter that splits the first line into the most known column names (at least two)."""
    best, best_count = None, 1
    for delimiter in DELIMITERS:
        count = known_count(next(csv.reader([line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _text_layout(lines: list[str]) -> str | None:
    for line in lines[:_LAYOUT_SEARCH_LINES]:
        if TRANSFER.match(line) or BRACKETED.match(line) or HEADER.match(line):
            return "desktop"
        if DATE_LINE.match(line) or TIME_LINE.match(line):
            return "web"
    return None


def _delimited(source: Source, delimiter: str, first_line: str, config: Config) -> ParsedFile:
    layout = layout_or_fail(source, next(csv.reader([first_line], delimiter=delimiter)))
    if layout.name == "chat" and stream.streamed(source):
        return _streamed(source, delimiter, layout, config)
    if layout.kind == "orders" and stream.streamed(source):
        return _streamed_orders(source, delimiter, layout, config)
    table = _chat_table(source, delimiter) if layout.name == "chat" else csv_table(source.text(), delimiter)
    container = "tsv" if delimiter == "\t" else "csv"
    return read_tables(source, [(table, layout_or_fail(source, table.columns))], container, config, [])


def _stream_encoding(source: Source) -> tuple[bool, str | None]:
    """(read as UTF-8 from disk, else the encoding to decode block by block) for a big delimited file."""
    quick = decode_head(source.prefix)
    utf8 = quick is not None and quick[1] in ("utf-8", "utf-8-sig") and "\x00" not in quick[0] and not cr_only(quick[0])
    encoding = None if utf8 else source.stream_encoding
    if utf8:
        source.encoding = quick[1]
    elif encoding is not None:
        source.encoding = encoding  # GBK read block by block (the start was clean GBK text)
    else:
        source.utf8_bytes(full=True)  # decodes now, so the encoding is known before loading
    return utf8, encoding


def _streamed(source: Source, delimiter: str, layout, config: Config) -> ParsedFile:
    """A big chat table: the warehouse reads it piece by piece (stream.py); counts and digest come then."""
    utf8, encoding = _stream_encoding(source)
    container = "tsv" if delimiter == "\t" else "csv"
    return ParsedFile(
        path=source.name, sha256="", kind="chat", format=format_name(layout, container), encoding=source.encoding,
        rows_read=0, stream=stream.ChatStream(
            source, delimiter, layout, config.timezone.key, utf8, window=config.time_window, encoding=encoding
        ),
    )


def _streamed_orders(source: Source, delimiter: str, layout, config: Config) -> ParsedFile:
    """A big order report, read piece by piece: only each piece's orders (a few narrow columns) are kept,
    not the report's forty-odd text columns, so a year of orders costs no more than its orders."""
    pieces = stream.DelimitedPieces(source, delimiter, *_stream_encoding(source))
    for _ in range(2):  # once more, decoded whole, if the start did not tell the whole story
        try:
            parts = [orders.frames([(table, layout_or_fail(source, table.columns))], source.name,
                                   config.timezone.key, config.time_window)
                     for table in (marked(source, t) if source.damage else t for t in pieces.tables())]
            break
        except stream.Restart:
            continue
    found = pl.concat([p[0] for p in parts]) if parts else pl.DataFrame(schema=ORDER_SCHEMA)
    quarantine = pl.concat([p[1] for p in parts]) if parts else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    container = "tsv" if delimiter == "\t" else "csv"
    return ParsedFile(
        path=source.name, sha256=pieces.sha256 or source.sha256, kind="orders",
        format=format_name(layout, container), encoding=source.encoding,
        rows_read=len(found) + len(quarantine), orders=found, quarantine=quarantine, warnings=[],
    )


def _chat_table(source: Source, delimiter: str):
    """Chat tables can be big: read column-wise in pieces, from the bytes when they are UTF-8 already."""
    try:
        return read_table(source.utf8_bytes(), delimiter)
    except NotUtf8:
        pass
    try:
        return read_table(source.utf8_bytes(full=True), delimiter)
    except NotUtf8:
        return csv_table(source.text(), delimiter)
