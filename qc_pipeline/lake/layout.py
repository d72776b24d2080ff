"""The lake layout: one Parquet dataset per warehouse table, Hive-partitioned by shop (and week).

    <lake>/<table>/_schema.parquet                      no rows: the table's columns and types
    <lake>/<table>/shop=<shop>/week=<week>/part-*.parquet  tables with shop and week columns
    <lake>/<table>/shop=<shop>/part-*.parquet            tables with a shop column only (messages, orders)
    <lake>/<table>/part-*.parquet                        tables without a shop (ingested_files, agents, ...)

Columns and types come from the warehouse DDL (store/schema.py), so there is one declaration per
table. Every file holds all of the table's columns, `shop` and `week` included: the directory names
are for pruning (Spark, Hive, Trino and DuckDB all understand them), while the values, their types and
their NULLs come from the file itself. A NULL partition value is written as Hive writes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa

from qc_pipeline.store.schema import DERIVED_TABLES, SOURCE_TABLES

# Warehouse tables a lake does not keep: the case library is written by `qc cases`, and the review loop's
# tables by `qc import-review`, into the local DuckDB file an analyst attaches the lake to. The Spark
# engine does not write the ingest records order_versions and id_clashes yet (its orders and message
# rows, and ingested_files.id_clashes, are the local engine's).
NOT_IN_LAKE = ("cases", "reviews", "adjusted_scores", "adjusted_agent_week", "order_versions", "id_clashes")
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
SCHEMA_FILE = "_schema.parquet"
# Characters Hive escapes in partition directory names (as %XX), besides control characters.
_HIVE_ESCAPED = set('"#%\'*/:=?\\\x7f{[]^')


@dataclass(frozen=True)
class LakeTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type) in DDL order
    schema: pa.Schema

    @property
    def partition_by(self) -> tuple[str, ...]:
        names = {c for c, _ in self.columns}
        return tuple(c for c in ("shop", "week") if c in names and ("shop" in names))

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]


@lru_cache(maxsize=1)
def lake_tables() -> dict[str, LakeTable]:
    """Every lake table with its DDL columns and the Arrow schema DuckDB gives them."""
    scratch = duckdb.connect()
    try:
        tables = {}
        for name, ddl in {**SOURCE_TABLES, **DERIVED_TABLES}.items():
            if name in NOT_IN_LAKE:
                continue
            scratch.execute(ddl)
            columns = tuple(scratch.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [name]).fetchall())
            schema = scratch.sql(f'SELECT * FROM "{name}" LIMIT 0').to_arrow_table().schema
            # Keys of the DDL (NOT NULL, PRIMARY KEY) are the writer's business, not the files'.
            schema = pa.schema([pa.field(f.name, f.type, nullable=True) for f in schema])
            tables[name] = LakeTable(name, columns, schema)
        return tables
    finally:
        scratch.close()


def table(name: str) -> LakeTable:
    return lake_tables()[name]


def partition_value(value) -> str:
    """A partition value as a directory name component, escaped as Hive escapes it."""
    if value is None:
        return NULL_PARTITION
    text = str(value)
    return "".join(f"%{ord(ch):02X}" if ch in _HIVE_ESCAPED or ord(ch) < 0x20 else ch for ch in text)


def partition_dir(table_name: str, **values) -> str:
    """The directory of one partition relative to the lake root: `sessions/shop=…/week=…`. Only the
    leading partition columns given are used (`shop` alone names the shop's directory)."""
    parts = [table_name]
    for column in table(table_name).partition_by:
        if column not in values:
            break
        parts.append(f"{column}={partition_value(values[column])}")
    return "/".join(parts)


def conform(name: str, rows: pa.Table) -> pa.Table:
    """The rows with exactly the table's columns, in DDL order and types; a missing or extra column
    is a bug in the caller."""
    spec = table(name)
    missing = [c for c in spec.column_names if c not in rows.column_names]
    extra = [c for c in rows.column_names if c not in spec.column_names]
    if missing or extra:
        raise AssertionError(f"{name}: columns differ from the DDL (missing {missing}, extra {extra})")
    return rows.select(spec.column_names).cast(spec.schema)
