"""The shipped sample loaded into a warehouse once per test session, for the review-loop tests; each test
module works on its own copy. And a helper that fills a review workbook as a reviewer would."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.store.warehouse import open_warehouse

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_logs"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("review-sample") / "qc.duckdb"
    config = load_config()
    con = open_warehouse(db)
    try:
        ingest_paths(con, [SAMPLE], config)
        rebuild(con, config)
    finally:
        con.close()
    return db


def copy_db(sample_db: Path, folder: Path) -> Path:
    target = folder / "qc.duckdb"
    shutil.copyfile(sample_db, target)
    return target


def columns(ws) -> dict[str, int]:
    """Header key -> 1-based column of a review sheet (headers read "key（label）")."""
    return {str(c.value).split("（")[0]: i for i, c in enumerate(ws[1], start=1) if c.value}


def fill(source: Path, target: Path, verdict, reviewer: str = "质检A", appeals=()) -> Path:
    """Fill every row of the review sheet with `verdict(row_values) -> (verdict, missed_category) | None`
    and append `appeals` rows (dicts by appeal column key)."""
    wb = openpyxl.load_workbook(source)
    ws = wb["review"]
    col = columns(ws)
    for r in range(2, ws.max_row + 1):
        values = {k: ws.cell(r, c).value for k, c in col.items()}
        judged = verdict(values)
        if judged is None:
            continue
        ws.cell(r, col["verdict"]).value = judged[0]
        if judged[1]:
            ws.cell(r, col["missed_category"]).value = judged[1]
        ws.cell(r, col["reviewer"]).value = reviewer
    ap = wb["appeals"]
    acol = columns(ap)
    for i, appeal in enumerate(appeals, start=2):
        for key, value in appeal.items():
            ap.cell(i, acol[key]).value = value
    wb.save(target)
    return target


def review_rows(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path)
    ws = wb["review"]
    col = columns(ws)
    return [{k: ws.cell(r, c).value for k, c in col.items()} for r in range(2, ws.max_row + 1)]
