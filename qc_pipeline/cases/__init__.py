"""The trainers' case library: real conversations to imitate (good cases) and to learn from (bad cases).

``build_cases`` selects and ranks a week's cases by the criteria in ``criteria.toml`` (or a file that
overrides it) and keeps them in the warehouse table ``cases``; ``write_cases`` writes them as an index
and one annotated, masked transcript per case, in HTML and Markdown. See docs/cases.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from qc_pipeline.cases.build import build_cases, check_week
from qc_pipeline.cases.pages import write_pages
from qc_pipeline.cases.settings import CaseCriteria, load_criteria

__all__ = ["build_cases", "write_cases", "load_criteria", "CaseCriteria"]


def _stored(con: duckdb.DuckDBPyConnection, week: str) -> list[dict]:
    cur = con.execute("SELECT * FROM cases WHERE week = ? ORDER BY kind DESC, rank", [week])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def write_cases(
    con: duckdb.DuckDBPyConnection, week: str, out_dir: Path, lang: str = "zh", mask: bool = True
) -> list[Path]:
    """Write the week's cases into `out_dir` (e.g. reports/2026-W47/cases/) and return the paths.

    Pages are written from the `cases` table as stored; a week with no stored cases is built first with
    the shipped criteria."""
    check_week(con, week)
    rows = _stored(con, week)
    if not rows:
        build_cases(con, week)
        rows = _stored(con, week)
    return write_pages(con, week, rows, Path(out_dir), lang, mask)
