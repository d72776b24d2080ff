"""The DuckDB warehouse: opening it, loading parsed files, replacing derived tables."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.store.schema import DERIVED_TABLES, SCHEMA_VERSION, SOURCE_TABLES



def open_warehouse(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if read_only and not path.exists():
        raise UserError(f"{path}: no warehouse here (run `qc run` or `qc ingest` first, or pass --db)")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise UserError(f"{path}: cannot open the warehouse: {exc}") from None
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a chat-qc warehouse: {exc}") from None
    if not read_only:
        _create_or_migrate(con)
    return con


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table]
    ).fetchall()
    return [r[0] for r in rows] or None


def _create_or_migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables. An older warehouse gains new source columns in place; a derived table whose
    columns changed is recreated (it is rebuilt from messages/orders on the next run anyway)."""
    scratch = duckdb.connect()
    recreated = False
    for name, ddl in {**SOURCE_TABLES, **DERIVED_TABLES}.items():
        existing = _columns(con, name)
        if existing is None:
            con.execute(ddl)
            continue
        scratch.execute(ddl)
        wanted = scratch.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [name]
        ).fetchall()
        if [c for c, _ in wanted] == existing:
            continue
        if name in SOURCE_TABLES:
            for column, data_type in wanted:
                if column not in existing:
                    con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {data_type}')
        else:
            con.execute(f'DROP TABLE "{name}"')
            con.execute(ddl)
            recreated = True
    scratch.close()
    if recreated:
        # The recreated table is empty: every partition must be built again.
        con.execute("UPDATE partitions SET stale = true")
        con.execute("DELETE FROM meta WHERE key = 'partitions'")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None):
    """The single value of a query, reading its result to the end (DuckDB 2 keeps a connection busy
    until a result is read to the end)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


@dataclass
class LoadCounts:
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_quarantined: int


def _already_seen(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return scalar(con, "SELECT count(*) FROM ingested_files WHERE sha256 = ?", [sha256]) > 0


def load_parsed(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> LoadCounts:
    """Load one parsed file in one transaction: all of it or, on error, none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        counts = _load(con, parsed)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _load(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> LoadCounts:
    seen_before = _already_seen(con, parsed.sha256)
    quarantine = parsed.quarantine
    if len(quarantine) and not seen_before:
        frame = quarantine.with_columns(pl.lit(parsed.sha256).alias("sha256"))
        con.register("_incoming_quarantine", frame.to_arrow())
        con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _incoming_quarantine")
        con.unregister("_incoming_quarantine")

    if parsed.kind == "chat":
        loaded, total = _insert_new_messages(con, parsed.messages)
    elif parsed.kind == "orders":
        loaded, total = _upsert_orders(con, parsed.orders)
    elif parsed.kind == "roster":
        loaded, total = _upsert_roster(con, parsed.roster)
    else:
        loaded, total = 0, 0
    counts = LoadCounts(parsed.rows_read, loaded, total - loaded, len(quarantine))
    con.execute(
        "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            parsed.path, parsed.sha256, parsed.format, parsed.kind, parsed.encoding, counts.rows_read,
            counts.rows_loaded, counts.rows_duplicate, counts.rows_quarantined, parsed.noise_lines,
            dt.datetime.now().replace(microsecond=0),
        ],
    )
    return counts


def _insert_new_messages(con: duckdb.DuckDBPyConnection, messages: pl.DataFrame | None) -> tuple[int, int]:
    if messages is None or messages.is_empty():
        return 0, 0
    con.register("_incoming_messages", messages.to_arrow())
    # An anti-join rather than a primary key: at a million rows the index costs more than the join.
    inserted = scalar(
        con,
        """INSERT INTO messages BY NAME
           SELECT * FROM _incoming_messages i
           WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.msg_id = i.msg_id)""",
    )
    con.unregister("_incoming_messages")
    return inserted, len(messages)


def _upsert_orders(con: duckdb.DuckDBPyConnection, orders: pl.DataFrame | None) -> tuple[int, int]:
    """A later export of the same order (paid, refunded since) replaces the stored row; an identical
    row counts as a duplicate."""
    if orders is None or orders.is_empty():
        return 0, 0
    latest = orders.unique(subset="order_id", keep="last", maintain_order=True)
    con.register("_incoming_orders", latest.to_arrow())
    changed = scalar(
        con,
        """SELECT count(*) FROM _incoming_orders i
           WHERE NOT EXISTS (
               SELECT 1 FROM orders o WHERE o.order_id = i.order_id
               AND o.shop IS NOT DISTINCT FROM i.shop AND o.buyer IS NOT DISTINCT FROM i.buyer
               AND o.created_at IS NOT DISTINCT FROM i.created_at AND o.paid_at IS NOT DISTINCT FROM i.paid_at
               AND o.amount = i.amount AND o.refund_amount = i.refund_amount
               AND o.status IS NOT DISTINCT FROM i.status)""",
    )
    con.execute("INSERT OR REPLACE INTO orders BY NAME SELECT * FROM _incoming_orders")
    con.unregister("_incoming_orders")
    return changed, len(orders)


def _upsert_roster(con: duckdb.DuckDBPyConnection, roster: pl.DataFrame | None) -> tuple[int, int]:
    if roster is None or roster.is_empty():
        return 0, 0
    latest = roster.unique(subset="agent", keep="last", maintain_order=True)
    con.register("_incoming_roster", latest.to_arrow())
    changed = scalar(
        con,
        """SELECT count(*) FROM _incoming_roster i WHERE NOT EXISTS (
               SELECT 1 FROM agents a WHERE a.agent = i.agent AND a.name IS NOT DISTINCT FROM i.name
               AND a.team IS NOT DISTINCT FROM i.team AND a.role = i.role)""",
    )
    con.execute("INSERT OR REPLACE INTO agents BY NAME SELECT * FROM _incoming_roster")
    con.unregister("_incoming_roster")
    return changed, len(roster)


def record_unreadable(con: duckdb.DuckDBPyConnection, path: str, sha256: str | None, reason: str) -> None:
    """A file that could not be read at all is kept in quarantine (once per content) so it is not lost."""
    if sha256 is not None and scalar(
        con, "SELECT count(*) FROM quarantine WHERE sha256 = ? AND source_line IS NULL", [sha256]
    ):
        return
    con.execute(
        "INSERT INTO quarantine (source_path, source_line, reason, raw, sha256) VALUES (?, NULL, ?, NULL, ?)",
        [path, reason, sha256],
    )


def replace_table(con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame) -> None:
    """Swap a derived table's rows for new ones, keeping its declared schema."""
    con.execute(f'DELETE FROM "{table}"')
    if rows.is_empty():
        return
    con.register("_derived", rows.to_arrow())
    con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _derived')
    con.unregister("_derived")
