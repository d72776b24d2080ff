"""Binary containers recognised by their magic bytes: Excel workbooks and Parquet files."""
from __future__ import annotations

import io
import zipfile

from qc_pipeline.config import Config
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


def workbook(source: Source, config: Config) -> ParsedFile:
    try:
        names = zipfile.ZipFile(io.BytesIO(source.raw)).namelist()
    except zipfile.BadZipFile as exc:
        raise source.fail(f"not a readable Excel workbook (damaged ZIP container: {exc})") from None
    if "xl/workbook.xml" not in names:
        raise source.fail("a ZIP archive, not an Excel workbook")
    try:
        tables, warnings = sheet_tables(source.raw, classify)
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


def parquet(source: Source, config: Config) -> ParsedFile:
    try:
        table = parquet_table(source.raw)
    except Exception as exc:  # pyarrow/polars raise several types for a damaged file
        raise source.fail(f"not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    return read_tables(source, [(table, layout_or_fail(source, table.columns))], "parquet", config, [])
