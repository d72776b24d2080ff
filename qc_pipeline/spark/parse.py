"""One export file, given as bytes, read with the project's own readers: what a Spark ingest task does
per file. No Spark here (the function is plain Python), so it is tested and reused without it.

The outcome holds the same frames `store/warehouse.py` would load: messages with their ids, orders,
roster rows and quarantined rows, plus the file's digest and counts. Deciding which rows are new is
left to the job, which sees every file of the run (`spark/ingest.py`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from qc_pipeline.config import Config
from qc_pipeline.errors import UserError
from qc_pipeline.ingest import UnreadableFile
from qc_pipeline.ingest.errors import unexpected_failure
from qc_pipeline.ingest.dispatch import read_source
from qc_pipeline.ingest.model import MESSAGE_SCHEMA, QUARANTINE_SCHEMA, ParsedFile
from qc_pipeline.ingest.msgid import message_ids
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.stream import Restart

# What a file's outcome can be; `loaded` files get a row in ingested_files.
LOADED, UNREADABLE, IGNORED, WRONG_KIND = "loaded", "unreadable", "ignored", "wrong_kind"


@dataclass
class FileOutcome:
    path: str
    status: str
    sha256: str | None = None
    kind: str | None = None
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    noise_lines: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    messages: pl.DataFrame | None = None
    orders: pl.DataFrame | None = None
    roster: pl.DataFrame | None = None
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))


def parse_bytes(path: str, raw: bytes, expected: str | None, config: Config) -> FileOutcome:
    """Read one export from its bytes; `path` is the name the warehouse records (as the user gave it)."""
    try:
        parsed = read_source(Source(Path(path), raw), config)
        if expected and parsed.kind != expected:
            # The local engine stops the whole run on this (pipeline._require); the job does too.
            raise UserError(f"{path}: expected {expected} export, but the content looks like {parsed.kind}")
        if parsed.stream is not None:
            _read_stream(parsed)
    except UnreadableFile as exc:
        return FileOutcome(path, UNREADABLE, sha256=hashlib.sha256(raw).hexdigest(), error=str(exc))
    except UserError as exc:
        return FileOutcome(path, WRONG_KIND, error=str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - as in the local engine: this file fails alone
        return FileOutcome(path, UNREADABLE, sha256=hashlib.sha256(raw).hexdigest(), error=unexpected_failure(path, exc))
    outcome = FileOutcome(
        path, IGNORED if parsed.kind == "ignored" else LOADED, sha256=parsed.sha256, kind=parsed.kind,
        format=parsed.format, encoding=parsed.encoding, rows_read=parsed.rows_read,
        noise_lines=parsed.noise_lines, warnings=list(parsed.warnings), quarantine=parsed.quarantine,
    )
    if parsed.kind == "chat":
        outcome.messages = parsed.messages if parsed.messages is not None else pl.DataFrame(schema=MESSAGE_SCHEMA)
    elif parsed.kind == "orders":
        outcome.orders = parsed.orders
    elif parsed.kind == "roster":
        outcome.roster = parsed.roster
    return outcome


def _read_stream(parsed: ParsedFile) -> None:
    """A big chat table the warehouse would read piece by piece: read all of its pieces here (the bytes
    are in memory already) and give every row the id the warehouse gives it
    (occurrence counted over the whole file, as `_settle_deferred` does)."""
    stream = parsed.stream
    # The bytes are in hand: read the pieces from memory rather than from the path.
    stream.utf8 = False
    try:
        pieces = list(stream.chunks())
    except Restart:  # pragma: no cover - only raised when reading from disk
        pieces = list(stream.chunks())
    messages = pl.concat([m for m, _ in pieces]) if pieces else pl.DataFrame(schema=MESSAGE_SCHEMA)
    quarantine = pl.concat([q for _, q in pieces]) if pieces else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    if len(messages):
        messages = messages.with_columns(message_ids(messages).alias("msg_id"))
    parsed.messages = messages.cast(MESSAGE_SCHEMA)
    parsed.quarantine = quarantine.cast(QUARANTINE_SCHEMA)
    parsed.sha256 = stream.sha256
    parsed.rows_read = stream.rows_read
    parsed.encoding = stream.source.encoding
    parsed.stream = None
