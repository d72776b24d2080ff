"""Plain per-week table exports (CSV with a BOM so Excel shows the Chinese correctly)."""
from __future__ import annotations

from pathlib import Path

import duckdb


def write_agent_week_csv(con: duckdb.DuckDBPyConnection, out_dir: Path, week: str) -> Path:
    target = Path(out_dir) / week / "agent_week.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame = con.sql("SELECT * FROM agent_week WHERE week = $week ORDER BY shop, agent", params={"week": week}).pl()
    with open(target, "wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        frame.write_csv(fh)
    return target
