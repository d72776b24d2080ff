"""Helpers shared by the ingest tests: files are built in tmp_path from inline text, never committed."""
from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from qc_pipeline.config import load_config
from qc_pipeline.ingest import ParsedFile, read_file

CONFIG = load_config()
SHOP = "星河服饰旗舰店"
XIAOYA = f"{SHOP}:小雅"
AJIE = f"{SHOP}:阿杰"
BUYER = "tb_maomao88"

CANONICAL_HEADER = "shop,buyer,agent,role,sent_at,text"

ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16")


def encode(text: str, encoding: str) -> bytes:
    # Python's "utf-16" codec writes a BOM (little-endian here), like Excel's "Unicode text".
    return text.encode(encoding)


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else encode(content, encoding))
    return path


def parse(path: Path, config=CONFIG) -> ParsedFile:
    parsed = read_file(path, config)
    assert_accounting(parsed)
    return parsed


def assert_accounting(parsed: ParsedFile) -> None:
    loaded = next((f for f in (parsed.messages, parsed.orders, parsed.roster) if f is not None), None)
    assert parsed.rows_read == (0 if loaded is None else len(loaded)) + len(parsed.quarantine)


def rows(parsed: ParsedFile, *columns: str) -> list[tuple]:
    frame = parsed.messages if parsed.messages is not None else parsed.orders if parsed.orders is not None else parsed.roster
    return list(frame.select(list(columns)).iter_rows())


def reasons(parsed: ParsedFile) -> list[str]:
    return parsed.quarantine["reason"].to_list()


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, values in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in values:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
