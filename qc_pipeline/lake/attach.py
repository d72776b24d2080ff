"""The lake as DuckDB views, so reports, `qc cases`, `qc topics`, notebooks and analysts' SQL read it
exactly as they read the warehouse.

Each view reads every Parquet file of its table (new partitions appear without attaching again) and
casts every column to the DDL type, in DDL order. `meta` and `cases` stay real tables in the DuckDB
file: `qc cases` writes the case library there, and `meta` (the versions of the last run) is copied
from the lake when attaching.
"""
from __future__ import annotations

import duckdb

from qc_pipeline.errors import UserError
from qc_pipeline.lake.files import Lake
from qc_pipeline.lake.layout import SCHEMA_FILE, lake_tables
from qc_pipeline.store.schema import SOURCE_TABLES

# Kept as tables in the attaching DuckDB file (see the module docstring).
LOCAL_TABLES = ("meta", "cases")


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_sql(lake: Lake, name: str) -> str:
    spec = lake_tables()[name]
    if not lake.exists(f"{name}/{SCHEMA_FILE}"):
        # A table newer than the lake (no run has written it yet): empty, with its columns.
        columns = ", ".join(f"CAST(NULL AS {t}) AS {_ident(c)}" for c, t in spec.columns)
        return f"SELECT {columns} WHERE false"
    files = sql_string(lake.url(f"{name}/**/*.parquet"))
    columns = ", ".join(f"CAST({_ident(c)} AS {t}) AS {_ident(c)}" for c, t in spec.columns)
    return f"SELECT {columns} FROM read_parquet({files}, union_by_name = true, hive_partitioning = false)"


def attach(lake: Lake, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create (or refresh) a view per lake table in `con`; returns the views' names."""
    if any(ch in lake.uri for ch in "*?[]{}"):
        raise UserError(f"{lake.uri}: a lake path must not contain glob characters (* ? [ ] {{ }})")
    if not lake.is_lake():
        raise UserError(f"{lake.uri}: not a chat-qc lake (run `qc run --engine spark --lake {lake.uri}` first)")
    kinds = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
    names = []
    for name in lake_tables():
        if name in LOCAL_TABLES:
            continue
        if kinds.get(name) == "BASE TABLE":
            raise UserError(f"the DuckDB file already holds a warehouse table {name!r}; attach the lake to a new file")
        con.execute(f"CREATE OR REPLACE VIEW {_ident(name)} AS {view_sql(lake, name)}")
        names.append(name)
    for name in LOCAL_TABLES:
        con.execute(SOURCE_TABLES[name])
    meta = lake.read("meta")
    if meta.num_rows:
        _meta = meta.select(["key", "value"])  # noqa: F841 (read by name)
        con.execute("INSERT OR REPLACE INTO meta SELECT key, value FROM _meta")
    return names


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached (what `qc report --lake` reads)."""
    con = duckdb.connect()
    attach(lake, con)
    return con


__all__ = ["attach", "connect", "sql_string", "view_sql"]
