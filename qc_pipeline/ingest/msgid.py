"""Message identity.

``msg_id`` = md5 hex of shop, buyer, agent (empty for role=buyer), role, sent_at
(``%Y-%m-%d %H:%M:%S.%6f``), text and occurrence, joined with chr(31). Occurrence is the 0-based index
of the row among the rows of the same file with the same other fields, in file order: two identical
lines in one export are two messages, and loading the same export again yields the same ids.

A buyer line's agent is left out because text layouts infer it from context (the agent currently
serving the buyer); a later export that attributes the line differently must not make it a new message.
md5 comes from DuckDB because its output is fixed by definition, unlike polars' hash.
"""
from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa

FIELDS = ("shop", "buyer", "agent", "role", "sent_at", "text")
AGENT_KEY = "CASE WHEN role = 'buyer' THEN '' ELSE coalesce(agent, '') END"
# The fields that make two rows "the same row" for the occurrence index, as SQL.
KEY_SQL = f"shop, buyer, {AGENT_KEY}, role, sent_at, coalesce(text, '')"


def id_sql(occ: str) -> str:
    """The SQL expression of msg_id over columns shop, buyer, agent, role, sent_at and text, with the
    occurrence index given by the SQL expression ``occ``."""
    return (
        f"md5(concat_ws(chr(31), shop, buyer, {AGENT_KEY}, role, strftime(sent_at, '%Y-%m-%d %H:%M:%S.%f'), "
        f"coalesce(text, ''), CAST({occ} AS VARCHAR)))"
    )


# DuckDB parallelises over Arrow batches; a one-chunk frame would otherwise run on one thread.
_BATCH_ROWS = 1 << 16


def _run(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, query: str) -> pl.DataFrame:
    table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    con.register("rows", pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), schema=table.schema))
    try:
        return pl.from_arrow(con.sql(query).to_arrow_table())
    finally:
        con.unregister("rows")


def message_ids(frame: pl.DataFrame) -> pl.Series:
    """Ids for good rows (shop, buyer, agent, role, sent_at, text filled in), in frame order."""
    if frame.is_empty():
        return pl.Series("msg_id", [], dtype=pl.Utf8)
    rows = frame.select(
        [pl.col(c) for c in FIELDS if c != "sent_at"] + [pl.col("sent_at").cast(pl.Datetime("us"))]
    ).with_columns(pl.lit(0, pl.Int64).alias("occ"))
    con = duckdb.connect()
    try:
        # Every row is hashed as if it were the first of its kind; a cheap 64-bit hash of the same
        # fields then finds the few rows that may repeat, and only those are counted exactly.
        first = _run(
            con, rows,
            f"SELECT {id_sql('occ')} AS msg_id, hash({KEY_SQL}) AS h FROM rows",
        )
        ids, hashed = first["msg_id"], first["h"]
        ordered = hashed.sort()
        repeated = ordered.filter(ordered == ordered.shift(1)).unique()
        if len(repeated) == 0:
            return ids.alias("msg_id")
        where = hashed.is_in(repeated.implode()).arg_true()
        subset = rows[where].with_columns(
            pl.when(pl.col("role") == "buyer").then(pl.lit("")).otherwise(pl.col("agent").fill_null("")).alias("_key_agent"),
        )
        occurrence = subset.select(
            pl.int_range(pl.len(), dtype=pl.Int64).over(["shop", "buyer", "_key_agent", "role", "sent_at", "text"])
        ).to_series()
        later = occurrence > 0
        if not later.any():
            return ids.alias("msg_id")
        again = subset.filter(later).drop("_key_agent").with_columns(occurrence.filter(later).alias("occ"))
        fixed = _run(con, again, f"SELECT {id_sql('occ')} AS msg_id FROM rows")["msg_id"]
        return ids.scatter(where.filter(later), fixed).alias("msg_id")
    finally:
        con.close()
