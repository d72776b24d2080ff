"""Building the ParsedFile every reader returns."""
from __future__ import annotations

import polars as pl

from qc_pipeline.ingest.damage import mark_damaged, uncovered
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.normalize import RawLookup, finish_chat
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.timeparse import TimeWindow


def chat_file(
    source: Source,
    fmt: str,
    stage: pl.DataFrame,
    timezone: str,
    *,
    window: TimeWindow,
    noise: int = 0,
    warnings: list[str] | None = None,
    raw_of: RawLookup | None = None,
) -> ParsedFile:
    ids_given = "msg_id" in stage.columns and bool(
        stage.select(pl.col("msg_id").cast(pl.Utf8).str.strip_chars().fill_null("").ne("").any()).item()
    )
    warnings = list(warnings or [])
    if source.damage:
        stage = _damaged_lines(source, stage, raw_of, warnings)
    messages, quarantine = finish_chat(stage, source.name, timezone, raw_of, window=window)
    return ParsedFile(
        path=source.name, sha256=source.sha256, kind="chat", format=fmt, encoding=source.encoding,
        rows_read=len(stage), messages=messages, quarantine=quarantine, noise_lines=noise,
        warnings=warnings, ids_given=ids_given,
    )


def _damaged_lines(source: Source, stage: pl.DataFrame, raw_of: RawLookup | None, warnings: list[str]) -> pl.DataFrame:
    """Records holding a damaged line quarantined with its reason. A damaged line no stored field came
    from (a header or preamble line, a column the layout does not read) costs no record: it is reported."""
    stage, covered = mark_damaged(stage, source, raw_of=raw_of)
    for damage in uncovered(source, covered):
        warnings.append(f"{damage.reason}, in nothing that is stored: {damage.shown[:120]}")
    return stage


def ignored_file(source: Source, fmt: str, warning: str | None = None) -> ParsedFile:
    return ParsedFile(
        path=source.name, sha256=source.sha256, kind="ignored", format=fmt, encoding=source.encoding,
        rows_read=0, warnings=[warning] if warning else [],
    )
