"""Binary containers recognised by their magic bytes: Excel workbooks and Parquet files."""
from __future__ import annotations

import zipfile

from qc_pipeline.config import Config, IngestLimits
from qc_pipeline.ingest.columns import Layout, classify
from qc_pipeline.ingest.layouts import layout_or_fail, read_tables
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.parquet import parquet_table
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import Table
from qc_pipeline.ingest.workbook import sheet_tables

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PARQUET_MAGIC = b"PAR1"


# A member smaller than this cannot hurt whatever its compression ratio (small XML parts compress well).
RATIO_MIN_BYTES = 1 << 20


def workbook(source: Source, config: Config) -> ParsedFile:
    with source.binary() as handle:
        try:
            members = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
            raise source.fail(f"not a readable Excel workbook (damaged ZIP container: {exc})") from None
        if "xl/workbook.xml" not in {m.filename for m in members}:
            raise source.fail("a ZIP archive, not an Excel workbook")
        _check_expansion(source, members, config.ingest_limits)
        handle.seek(0)
        try:
            tables, warnings = sheet_tables(handle, classify)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise source.fail(f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    chosen: list[tuple[Table, Layout]] = []
    for table in tables:
        layout = classify(table.columns)
        if not isinstance(layout, Layout):
            warnings.append(f"sheet '{table.sheet}' skipped: it looks like {layout}")
        elif chosen and layout.kind != chosen[0][1].kind:
            warnings.append(f"sheet '{table.sheet}' skipped: {layout.kind} data in a workbook of {chosen[0][1].kind} data")
        else:
            chosen.append((table, layout))
    if not chosen:
        raise source.fail("no sheet with a known header (" + "; ".join(warnings) + ")")
    return read_tables(source, chosen, "xlsx", config, warnings)


def _check_expansion(source: Source, members: list[zipfile.ZipInfo], limits: IngestLimits) -> None:
    """Refuse a workbook that would expand past the limits, before any of it is parsed.

    The sizes come from the ZIP directory, and they can be trusted: zipfile never inflates a member past
    its stated size (and fails on the checksum if the stated size is a lie)."""
    total = sum(m.file_size for m in members)
    if total > limits.xlsx_max_uncompressed_bytes:
        raise source.fail(
            f"refused: the workbook expands to {_size(total)}, over the limit of "
            f"{_size(limits.xlsx_max_uncompressed_bytes)} (ingest.xlsx_max_uncompressed_mb)"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_MIN_BYTES and ratio > limits.xlsx_max_expansion_ratio:
            raise source.fail(
                f"refused: workbook part {member.filename} expands {ratio:,.0f} times "
                f"({_size(member.compress_size)} to {_size(member.file_size)}), over the limit of "
                f"{limits.xlsx_max_expansion_ratio:g} (ingest.xlsx_max_expansion_ratio)"
            )


def _size(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB" if n >= 1 << 20 else f"{n / 1024:,.1f} KiB"


def parquet(source: Source, config: Config) -> ParsedFile:
    try:
        table = parquet_table(source.raw)
    except Exception as exc:  # pyarrow/polars raise several types for a damaged file
        raise source.fail(f"not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    return read_tables(source, [(table, layout_or_fail(source, table.columns))], "parquet", config, [])
