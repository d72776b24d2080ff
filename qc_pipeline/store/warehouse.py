"""The DuckDB warehouse: opening it, loading parsed files, replacing derived tables."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl
import pyarrow as pa

from qc_pipeline.errors import UserError
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.msgid import AGENT_KEY, KEY_SQL, id_sql
from qc_pipeline.ingest.order_states import key_desc, rank_sql, state_sql
from qc_pipeline.ingest.stream import Restart, SeenHashes, prefetched
from qc_pipeline.store.schema import DERIVED_TABLES, SCHEMA_VERSION, SOURCE_TABLES



# The buffer pool of the warehouse connection (DuckDB memory_limit syntax).
WAREHOUSE_MEMORY = "1GB"


# What marks a DuckDB file as chat-qc's own: this row in its `meta` table.
APPLICATION = ("application", "chat-qc")
# Bytes 8-11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"


def open_warehouse(path: str | Path, read_only: bool = False, older: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (or create) the warehouse at ``path``. Any other file is refused before DuckDB touches it: a
    CSV would be opened as a read-only view, and another program's database would lose its tables. Opened
    read-only, a warehouse an older chat-qc wrote cannot be brought up to date, so it is refused with how
    to upgrade it (its reports would miss tables), unless ``older`` (what `qc status` shows holds anyway)."""
    path = Path(path)
    if read_only and not path.exists():
        raise UserError(f"{path}: no warehouse here (run `qc run` or `qc ingest` first, or pass --db)")
    _refuse_other_files(path)
    try:
        # DuckDB keeps up to 80 % of the machine's memory as cache by default; a bounded buffer pool
        # spills to disk instead, which keeps the weekly job within a small machine's memory.
        con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": WAREHOUSE_MEMORY})
    except duckdb.IOException as exc:
        raise UserError(f"{path}: cannot open the warehouse: {exc}") from None
    except duckdb.Error as exc:
        raise UserError(f"{path}: not a chat-qc warehouse: {exc}") from None
    try:
        _refuse_other_databases(con, path)
    except UserError:
        con.close()
        raise
    if not read_only:
        _create_or_migrate(con)
    elif not older:
        version = _stored_version(con)
        if version is not None and version < SCHEMA_VERSION:
            con.close()
            raise UserError(f"{path}: written by an older chat-qc (schema version {version}; this one writes "
                            f"{SCHEMA_VERSION}): run `qc rebuild --db {path}` once to bring it up to date")
    return con


def _refuse_other_files(path: Path) -> None:
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a warehouse file (pass --db a file such as qc.duckdb)")
    if not path.exists():
        return
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[8:12] != _DUCKDB_MAGIC:
        raise UserError(f"{path}: not a DuckDB warehouse file; it was left untouched (pass --db a .duckdb file)")


def _refuse_other_databases(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A DuckDB file with tables is chat-qc's only when its `meta` says so (a warehouse written before
    the marker existed is known by its meta schema_version and ingested_files table); an empty one is
    a new warehouse. A newer schema_version than this code knows is refused, never downgraded."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if not tables:
        return
    meta = {}
    if "meta" in tables and _columns(con, "meta") == ["key", "value"]:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    ours = meta.get(APPLICATION[0]) == APPLICATION[1] or ("schema_version" in meta and "ingested_files" in tables)
    if not ours:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise UserError(
            f"{path}: a DuckDB database of another program (tables {shown}), not a chat-qc warehouse; "
            "it was left untouched (pass --db a new file)"
        )
    version = str(meta.get("schema_version", "0"))
    if not version.isdigit() or int(version) > SCHEMA_VERSION:
        raise UserError(
            f"{path}: written by a newer chat-qc (schema version {version}; this one knows up to "
            f"{SCHEMA_VERSION}); upgrade chat-qc to use it"
        )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table]
    ).fetchall()
    return [r[0] for r in rows] or None


def _create_or_migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables. An older warehouse gains new source columns in place; a derived table whose
    columns changed is recreated (it is rebuilt from messages/orders on the next run anyway)."""
    before = _stored_version(con)
    scratch = duckdb.connect()
    recreated = False
    for name, ddl in {**SOURCE_TABLES, **DERIVED_TABLES}.items():
        existing = _columns(con, name)
        if existing is None:
            con.execute(ddl)
            # a derived table new to an existing warehouse fills only when its partitions are built again
            recreated |= before is not None and name in DERIVED_TABLES
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
    if before is not None and before < 6:
        recreated |= _migrate_to_6(con)
    if recreated:
        # The recreated table is empty: every partition must be built again.
        con.execute("UPDATE partitions SET stale = true")
        con.execute("DELETE FROM meta WHERE key = 'partitions'")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), (?, ?)", [str(SCHEMA_VERSION), *APPLICATION])


def _stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema_version a warehouse was written with; None for a new one."""
    if _columns(con, "meta") is None:
        return None
    version = scalar(con, "SELECT value FROM meta WHERE key = 'schema_version'")
    return int(version) if version is not None and str(version).isdigit() else None


def _migrate_to_6(con: duckdb.DuckDBPyConnection) -> bool:
    """From schema 5: exporter ids become attributes, orders gain their versions. Returns whether
    derived tables must be rebuilt (message ids changed).

    Messages stored under an exporter's id (any msg_id that is not an md5 hex digest) get their
    content id and keep the exporter's as source_msg_id; their occurrence index counts on from the
    content-identified messages of the same content, in file and line order; an id held by several
    messages is recorded in id_clashes. Every stored order becomes its first version."""
    con.execute("UPDATE ingested_files SET id_clashes = 0 WHERE id_clashes IS NULL")
    if not scalar(con, "SELECT count(*) FROM order_versions"):
        con.execute(
            f"""INSERT INTO order_versions BY NAME
                SELECT *, {rank_sql()} AS state_rank FROM (
                    SELECT o.*, {state_sql('o.status', 'o.paid_at')} AS state FROM orders o)"""
        )
    given = "NOT regexp_full_match(msg_id, '[0-9a-f]{32}')"
    if not scalar(con, f"SELECT count(*) FROM messages WHERE {given}"):
        return False
    con.execute(
        f"""UPDATE messages m SET source_msg_id = m.msg_id, msg_id = k.new_id
            FROM (
                SELECT r, {id_sql('occ')} AS new_id FROM (
                    SELECT rowid AS r, *, {given} AS _given,
                           count(*) FILTER (WHERE NOT {given}) OVER (PARTITION BY {KEY_SQL})
                           + row_number() OVER (PARTITION BY {KEY_SQL}, {given}
                                                ORDER BY source_path, source_line, rowid) - 1 AS occ
                    FROM messages)
                WHERE _given) k
            WHERE m.rowid = k.r"""
    )
    # The ids schema 5 gave to more than one message are clashes (first holder: the first loaded).
    con.execute(
        """INSERT INTO id_clashes
           WITH ranked AS (
               SELECT rowid AS r, shop, source_msg_id, msg_id, source_path, source_line,
                      row_number() OVER (PARTITION BY shop, source_msg_id ORDER BY rowid) AS n
               FROM messages WHERE source_msg_id IS NOT NULL)
           SELECT l.shop, l.source_msg_id, l.msg_id, l.source_path, l.source_line,
                  f.msg_id, f.source_path, f.source_line
           FROM ranked l JOIN ranked f ON f.shop = l.shop AND f.source_msg_id = l.source_msg_id AND f.n = 1
           WHERE l.n > 1"""
    )
    return True


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
    # Messages it added whose exporter id (source_msg_id) another message of the shop already holds.
    id_clashes: int = 0
    # The (shop, ISO week) partitions whose data this file changed: for messages those of the rows
    # inserted; for orders those of created_at and paid_at of every order inserted or changed, old
    # version and new; ("*", "*") for a roster change (it moves targets everywhere).
    touched: set[tuple[str, str]] = field(default_factory=set)
    # The ISO weeks of every message in the file, new or duplicate (the weeks it covers).
    weeks: set[str] = field(default_factory=set)


def _already_seen(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return scalar(con, "SELECT count(*) FROM ingested_files WHERE sha256 = ?", [sha256]) > 0


def load_parsed(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> LoadCounts:
    """Load one parsed file in one transaction: all of it or, on error, none of it. A streamed file
    (``parsed.stream``) is read piece by piece inside that transaction, and read again from the start
    if it turns out not to be UTF-8 after all."""
    for attempt in range(2):
        con.execute("BEGIN TRANSACTION")
        try:
            counts = _load(con, parsed)
            # In the same transaction: a load that lands always leaves its partitions marked stale.
            from qc_pipeline.store.partitions import mark_stale

            mark_stale(con, counts.touched)
            con.execute("COMMIT")
            return counts
        except Restart:
            con.execute("ROLLBACK")
            if attempt:
                raise
        except BaseException:
            con.execute("ROLLBACK")
            raise
    raise AssertionError("unreachable")


def _load(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> LoadCounts:
    first_rowid = scalar(con, "SELECT coalesce(max(rowid) + 1, 0) FROM messages")
    clashes = 0
    if parsed.stream is not None:
        with _memory_capped(con):
            direct, direct_touched, direct_weeks = _stage_stream(con, parsed)
            _settle_deferred(con, first_rowid)
            quarantined = scalar(con, "SELECT count(*) FROM _stage_quarantine")
            if quarantined and not _already_seen(con, parsed.sha256):
                con.execute(
                    "INSERT INTO quarantine BY NAME SELECT *, ? AS sha256 FROM _stage_quarantine", [parsed.sha256]
                )
            con.execute("DROP TABLE _stage_quarantine")
            loaded, total, touched, weeks = _insert_staged(con, "_stage_messages", path=parsed.path)
            con.execute("DROP TABLE _stage_messages")
            loaded, total = loaded + direct, total + direct
            touched, weeks = touched | direct_touched, weeks | direct_weeks
            if parsed.ids_given:
                clashes = _record_clashes(con, first_rowid)
    else:
        quarantine = parsed.quarantine
        quarantined = len(quarantine)
        if quarantined and not _already_seen(con, parsed.sha256):
            frame = quarantine.with_columns(pl.lit(parsed.sha256).alias("sha256"))
            con.register("_incoming_quarantine", frame.to_arrow())
            con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _incoming_quarantine")
            con.unregister("_incoming_quarantine")
        touched, weeks = set(), set()
        if parsed.kind == "chat":
            loaded, total, touched, weeks = _insert_new_messages(con, parsed.messages)
            if parsed.ids_given:
                clashes = _record_clashes(con, first_rowid)
        elif parsed.kind == "orders":
            loaded, total, touched = _upsert_orders(con, parsed.orders, parsed.sha256)
        elif parsed.kind == "roster":
            loaded, total, touched = _upsert_roster(con, parsed.roster)
        else:
            loaded, total = 0, 0
    counts = LoadCounts(parsed.rows_read, loaded, total - loaded, quarantined, clashes, touched, weeks)
    con.execute(
        """INSERT INTO ingested_files (path, sha256, format, kind, encoding, rows_read, rows_loaded, rows_duplicate,
               rows_quarantined, noise_lines, ingested_at, id_clashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            parsed.path, parsed.sha256, parsed.format, parsed.kind, parsed.encoding, counts.rows_read,
            counts.rows_loaded, counts.rows_duplicate, counts.rows_quarantined, parsed.noise_lines,
            dt.datetime.now().replace(microsecond=0), counts.id_clashes,
        ],
    )
    return counts


# The rows of a streamed file that may repeat an earlier piece or a stored message, and its quarantined
# rows, wait in temporary tables (which DuckDB spills to disk under memory pressure) until the whole
# file is read.
_STAGE_MESSAGES = """
    CREATE OR REPLACE TEMP TABLE _stage_messages (
        _row BIGINT, msg_id VARCHAR, source_msg_id VARCHAR, h UBIGINT, shop VARCHAR, buyer VARCHAR, agent VARCHAR,
        role VARCHAR, sent_at TIMESTAMP, text VARCHAR, source_line BIGINT)"""
_STAGE_QUARANTINE = """
    CREATE OR REPLACE TEMP TABLE _stage_quarantine (
        source_path VARCHAR, source_line BIGINT, reason VARCHAR, raw VARCHAR)"""


# While a streamed file is staged, DuckDB keeps at most this much in memory and spills the rest to its
# temporary directory (a lower limit set by the caller is kept).
STREAM_MEMORY_BYTES = 512 << 20
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def _memory_limit(con: duckdb.DuckDBPyConnection) -> tuple[str, int | None]:
    value = scalar(con, "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'")
    number, _, unit = str(value).partition(" ")
    try:
        return value, int(float(number) * _UNITS[unit])
    except (KeyError, ValueError):
        return value, None


@contextmanager
def _memory_capped(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    value, limit = _memory_limit(con)
    lowered = limit is None or limit > STREAM_MEMORY_BYTES
    if lowered:
        con.execute(f"SET memory_limit = '{STREAM_MEMORY_BYTES}B'")
    try:
        yield
    finally:
        if lowered:
            con.execute(f"SET memory_limit = '{value}'")


def _stage_stream(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> tuple[int, set[tuple[str, str]], set[str]]:
    """Read a streamed file piece by piece. Rows that cannot be duplicates (no stored message of their
    shop on their day) and whose key was not seen in an earlier piece are inserted at once, their
    occurrence index counted within the piece; the others wait in ``_stage_messages`` for
    ``_settle_deferred``. Returns (rows inserted, their partitions, the weeks of every row).

    Pieces are read, validated and split in a worker thread (``_split_piece``); this thread only
    runs the inserts, so DuckDB and polars work side by side."""
    stream = parsed.stream
    con.execute(_STAGE_MESSAGES)
    con.execute(_STAGE_QUARANTINE)
    # Which (shop, day) the warehouse held before this file: only there can a row be a duplicate.
    stored = con.sql("SELECT DISTINCT shop, CAST(sent_at AS DATE) AS day FROM messages").pl()
    splitter = _PieceSplitter(stored)
    inserted = 0
    touched: set[tuple[str, str]] = set()
    weeks: set[str] = set()
    for piece in prefetched(map(splitter.split, stream.chunks())):
        if piece.quarantine is not None:
            piece_quarantine = piece.quarantine  # noqa: F841 - read by name (see _batches)
            con.execute("INSERT INTO _stage_quarantine BY NAME SELECT * FROM piece_quarantine")
        if piece.deferred is not None:
            piece_rows = piece.deferred  # noqa: F841 - read by name (see _batches)
            con.execute(
                f"""INSERT INTO _stage_messages SELECT _row, {id_sql('0')}, source_msg_id,
                    hash({KEY_SQL}), shop, buyer, agent, role, sent_at, text, source_line FROM piece_rows"""
            )
        if piece.direct is not None:
            piece_rows = piece.direct  # noqa: F841 - read by name (see _batches)
            inserted += con.execute(
                f"""INSERT INTO messages BY NAME SELECT {id_sql('_occ')} AS msg_id, shop, buyer, agent, role,
                    sent_at, text, source_path, source_line, source_msg_id FROM piece_rows"""
            ).fetchall()[0][0]
        touched |= piece.touched
        weeks |= piece.weeks
    parsed.sha256 = stream.sha256
    parsed.rows_read = stream.rows_read
    parsed.encoding = stream.source.encoding
    return inserted, touched, weeks


@dataclass
class _SplitPiece:
    direct: pa.Table | None = None  # rows to insert now, with their occurrence index (_occ)
    deferred: pa.Table | None = None  # rows that wait for the end of the file
    quarantine: pa.Table | None = None
    touched: set[tuple[str, str]] = field(default_factory=set)  # partitions of the direct rows
    weeks: set[str] = field(default_factory=set)  # weeks of every row


class _PieceSplitter:
    """Splits each piece into rows to insert now and rows to defer; runs in file order."""

    def __init__(self, stored: pl.DataFrame):
        self.stored = stored.select(pl.struct("shop", "day")).to_series().implode() if len(stored) else None
        self.seen = SeenHashes()
        self.row = 0

    def split(self, chunk: tuple[pl.DataFrame, pl.DataFrame]) -> _SplitPiece:
        messages, quarantine = chunk
        out = _SplitPiece(quarantine=quarantine.to_arrow() if len(quarantine) else None)
        if not len(messages):
            return out
        key_agent = pl.when(pl.col("role") == "buyer").then(pl.lit("")).otherwise(pl.col("agent").fill_null(""))
        frame = messages.with_row_index("_row", offset=self.row).with_columns(
            pl.struct("shop", "buyer", key_agent, "role", "sent_at", "text").hash(seed=0).alias("_h"),
            pl.col("sent_at").dt.date().alias("_day"),
        )
        self.row += len(frame)
        hashes = frame["_h"].to_numpy()
        waits = self.seen.contains(hashes)
        if self.stored is not None:
            waits |= frame.select(
                pl.struct("shop", pl.col("_day").alias("day")).is_in(self.stored)
            ).to_series().to_numpy()
        self.seen.add(hashes)
        days = frame.select("shop", "_day").unique()
        out.weeks = set(days.select(pl.col("_day").dt.strftime("%G-W%V")).to_series().unique().to_list())
        if waits.any():
            # All rows of a key wait together, so that a key's rows are all inserted or all deferred.
            waiting = frame.select(pl.col("_h").is_in(pl.Series(hashes[waits]).implode())).to_series()
            out.deferred = _batches(frame.filter(waiting).drop("_h", "_day"))
            frame = frame.filter(~waiting)
            days = frame.select("shop", "_day").unique()
        if len(frame):
            out.direct = _batches(frame.with_columns(_occurrence_in_piece(frame)).drop("_h", "_day"))
            out.touched = set(days.select("shop", pl.col("_day").dt.strftime("%G-W%V")).unique().iter_rows())
        return out


def _occurrence_in_piece(frame: pl.DataFrame) -> pl.Expr:
    """The occurrence index of each row among identical rows of its piece (counted exactly where the
    key hash repeats)."""
    repeated = frame["_h"].is_duplicated()
    if not repeated.any():
        return pl.lit(0, pl.Int64).alias("_occ")
    key_agent = pl.when(pl.col("role") == "buyer").then(pl.lit("")).otherwise(pl.col("agent").fill_null(""))
    occ = pl.when(pl.col("_h").is_duplicated()).then(
        pl.int_range(pl.len(), dtype=pl.Int64).over(["shop", "buyer", key_agent, "role", "sent_at", "text"])
    ).otherwise(0)
    return occ.alias("_occ")


def _settle_deferred(con: duckdb.DuckDBPyConnection, first_rowid: int) -> None:
    """Ids of the deferred rows: each one's occurrence index counts the identical rows of this file
    inserted already (rowid from ``first_rowid`` on) and the identical deferred rows before it."""
    if not scalar(con, "SELECT count(*) FROM _stage_messages"):
        return
    same = " AND ".join(
        [f"m.{c} = k.{c}" for c in ("shop", "buyer", "role", "sent_at", "text")]
        + ["(CASE WHEN m.role = 'buyer' THEN '' ELSE coalesce(m.agent, '') END) = k.key_agent"]
    )
    con.execute(
        f"""UPDATE _stage_messages s SET msg_id = {id_sql('o.occ')}
            FROM (
                WITH keys AS (
                    SELECT DISTINCT shop, buyer, {AGENT_KEY} AS key_agent, role, sent_at, text FROM _stage_messages),
                earlier AS (
                    SELECT k.shop, k.buyer, k.key_agent, k.role, k.sent_at, k.text, count(*) AS n
                    FROM messages m JOIN keys k ON {same} WHERE m.rowid >= ? GROUP BY ALL)
                SELECT d._row, coalesce(e.n, 0)
                       + row_number() OVER (PARTITION BY d.shop, d.buyer, d.key_agent, d.role, d.sent_at, d.text
                                            ORDER BY d._row) - 1 AS occ
                FROM (SELECT *, {AGENT_KEY} AS key_agent FROM _stage_messages) d
                LEFT JOIN earlier e ON e.shop = d.shop AND e.buyer = d.buyer AND e.key_agent = d.key_agent
                    AND e.role = d.role AND e.sent_at = d.sent_at AND e.text = d.text
            ) o
            WHERE s._row = o._row AND o.occ > 0""",
        [first_rowid],
    )


def _batches(frame: pl.DataFrame) -> pa.Table:
    """The frame as Arrow batches (DuckDB works on batches in parallel; one batch runs on one thread).

    Pieces are read by their Python variable's name, not registered: a view registered and dropped
    inside the file's transaction lives (with its data) until the transaction ends."""
    table = frame.to_arrow()
    return pa.Table.from_batches(table.to_batches(max_chunksize=1 << 16), schema=table.schema)


def _register_batches(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    con.register(name, _batches(frame))


def _insert_new_messages(
    con: duckdb.DuckDBPyConnection, messages: pl.DataFrame | None
) -> tuple[int, int, set[tuple[str, str]], set[str]]:
    if messages is None or messages.is_empty():
        return 0, 0, set(), set()
    _register_batches(con, "_incoming_messages", messages.with_row_index("_row"))
    try:
        return _insert_staged(con, "_incoming_messages")
    finally:
        con.unregister("_incoming_messages")


def _insert_staged(
    con: duckdb.DuckDBPyConnection, stage: str, path: str | None = None
) -> tuple[int, int, set[tuple[str, str]], set[str]]:
    """Insert the staged rows whose msg_id is not in the warehouse yet: (inserted, staged, touched, weeks).

    An anti-join rather than a primary key: at a million rows the index costs more than the join. Every
    id is computed from the content, so equal ids mean equal shop and time: only stored messages of
    the staged shops and time range can match, and the join reads just those."""
    total, low, high = con.execute(f"SELECT count(*), min(sent_at), max(sent_at) FROM {stage}").fetchone()
    if not total:
        return 0, 0, set(), set()
    near = f"AND m.sent_at BETWEEN ? AND ? AND m.shop IN (SELECT DISTINCT shop FROM {stage})"
    params = [low, high]
    duplicates = 0
    if scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM messages m WHERE true {near} LIMIT 1)", params):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _stage_duplicates AS SELECT s._row FROM {stage} s
                WHERE EXISTS (SELECT 1 FROM messages m WHERE m.msg_id = s.msg_id {near})""",
            params,
        )
        duplicates = scalar(con, "SELECT count(*) FROM _stage_duplicates")
    new = "WHERE s._row NOT IN (SELECT _row FROM _stage_duplicates)" if duplicates else ""
    inserted = scalar(
        con,
        f"""INSERT INTO messages BY NAME SELECT s.msg_id, s.shop, s.buyer, s.agent, s.role, s.sent_at, s.text,
            {'s.source_path' if path is None else '?'} AS source_path, s.source_line, s.source_msg_id
            FROM {stage} s {new}""",
        [] if path is None else [path],
    )
    week = "strftime(sent_at, '%G-W%V')"
    groups = con.execute(f"SELECT shop, {week}, count(*) FROM {stage} GROUP BY ALL").fetchall()
    dup_groups: dict[tuple[str, str], int] = {}
    if duplicates:
        dup_groups = {
            (shop, w): n
            for shop, w, n in con.execute(
                f"SELECT shop, {week}, count(*) FROM {stage} WHERE _row IN (SELECT _row FROM _stage_duplicates) GROUP BY ALL"
            ).fetchall()
        }
    if scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_stage_duplicates' AND temporary"):
        con.execute("DROP TABLE _stage_duplicates")
    touched = {(shop, w) for shop, w, n in groups if n > dup_groups.get((shop, w), 0)}
    return inserted, total, touched, {w for _, w, _ in groups}


def _record_clashes(con: duckdb.DuckDBPyConnection, first_rowid: int) -> int:
    """Record the messages this file added (rowid from ``first_rowid`` on) whose exporter id another
    message of the same shop already holds: a stored one, or one earlier in this file (by line). The
    messages stay as they are (identity is content-based); the clash is kept in ``id_clashes``."""
    new = "SELECT rowid AS r, * FROM messages WHERE rowid >= ? AND source_msg_id IS NOT NULL"
    if not scalar(con, f"SELECT count(*) FROM ({new} LIMIT 1)", [first_rowid]):
        return 0
    return scalar(
        con,
        f"""INSERT INTO id_clashes
            WITH new AS ({new}),
            holders AS (
                SELECT m.rowid AS r, m.shop, m.source_msg_id, m.msg_id, m.source_path, m.source_line
                FROM messages m SEMI JOIN (SELECT DISTINCT shop, source_msg_id FROM new) n
                    ON m.shop = n.shop AND m.source_msg_id = n.source_msg_id),
            ranked AS (
                -- Stored holders first (in load order), then this file's rows in line order.
                SELECT *, row_number() OVER (
                    PARTITION BY shop, source_msg_id
                    ORDER BY r >= ?, CASE WHEN r >= ? THEN source_line END, r, msg_id) AS n
                FROM holders)
            SELECT l.shop, l.source_msg_id, l.msg_id, l.source_path, l.source_line,
                   f.msg_id, f.source_path, f.source_line
            FROM ranked l JOIN ranked f ON f.shop = l.shop AND f.source_msg_id = l.source_msg_id AND f.n = 1
            WHERE l.n > 1 AND l.r >= ?""",
        [first_rowid, first_rowid, first_rowid, first_rowid],
    )


# The orders columns, in DDL order, and the columns whose change makes a row count as loaded.
_ORDER_COLUMNS = ("order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status",
                  "source_path", "items", "remark")
_ORDER_FIELDS = ("shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status", "items", "remark")


def _upsert_orders(
    con: duckdb.DuckDBPyConnection, orders: pl.DataFrame | None, sha256: str | None = None
) -> tuple[int, int, set[tuple[str, str]]]:
    """Keep this export's version of each order in ``order_versions``, and let it replace the ``orders``
    row only where it is further forward (qc_pipeline/ingest/order_states.py): an older export read
    after a newer one changes nothing. A row counts as loaded when it changed the order's fields."""
    if orders is None or orders.is_empty():
        return 0, 0, set()
    con.register("_incoming_orders", _batches(orders.with_row_index("_row")))
    columns = ", ".join(_ORDER_COLUMNS)
    # The file's version of each order: its furthest-forward row (the last of equal rows).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _order_file AS
            SELECT {columns}, state, state_rank FROM (
                SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY {key_desc()}, _row DESC) AS _n
                FROM (SELECT *, {rank_sql()} AS state_rank FROM (
                    SELECT *, {state_sql()} AS state FROM _incoming_orders)))
            WHERE _n = 1"""
    )
    con.unregister("_incoming_orders")
    # A remark no stored export of the order had changes order_remarks even where this export is behind
    # the stored one (an older export read late): its order counts as loaded and its weeks are touched.
    remarked = con.execute(
        """SELECT f.order_id, f.shop, f.created_at, f.paid_at FROM _order_file f
           WHERE f.remark IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM order_versions v WHERE v.order_id = f.order_id AND v.remark = f.remark)"""
    ).fetchall()
    # A version stored before remarks were kept (schema 7) gets the remark its export held when it is
    # loaded again; otherwise the sha256 below says the version is stored and it would stay without.
    con.execute(
        """UPDATE order_versions v SET remark = f.remark FROM _order_file f
           WHERE v.order_id = f.order_id AND v.sha256 = ? AND v.remark IS NULL AND f.remark IS NOT NULL""",
        [sha256],
    )
    con.execute(
        f"""INSERT INTO order_versions BY NAME
            SELECT {columns}, state, state_rank, ? AS sha256, ? AS ingested_at FROM _order_file f
            WHERE NOT EXISTS (SELECT 1 FROM order_versions v WHERE v.order_id = f.order_id AND v.sha256 = ?)""",
        [sha256, dt.datetime.now().replace(microsecond=0), sha256],
    )
    # Where this version is further forward than the stored row (which wins a full tie: it is the
    # same row), it replaces it.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _order_winners AS
            SELECT {columns} FROM (
                SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY {key_desc()}, _incoming) AS _n FROM (
                    SELECT {columns}, state_rank, 1 AS _incoming FROM _order_file
                    UNION ALL
                    SELECT {columns}, {rank_sql(state_sql('o.status', 'o.paid_at'))} AS state_rank, 0 AS _incoming
                    FROM orders o WHERE o.order_id IN (SELECT order_id FROM _order_file)))
            WHERE _n = 1 AND _incoming = 1"""
    )
    same = " AND ".join(f"o.{c} IS NOT DISTINCT FROM w.{c}" for c in _ORDER_FIELDS)
    # Inserted or changed orders, with the stored version they replace (if any).
    changed = con.execute(
        f"""SELECT w.shop, w.created_at, w.paid_at, o.shop, o.created_at, o.paid_at, w.order_id
            FROM _order_winners w LEFT JOIN orders o ON o.order_id = w.order_id
            WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = w.order_id AND {same})"""
    ).fetchall()
    con.execute("INSERT OR REPLACE INTO orders BY NAME SELECT * FROM _order_winners")
    con.execute("DROP TABLE _order_winners")
    con.execute("DROP TABLE _order_file")
    touched = {
        (shop, moment.strftime("%G-W%V"))
        for row in changed
        for shop, moment in ((row[0], row[1]), (row[0], row[2]), (row[3], row[4]), (row[3], row[5]))
        if shop is not None and moment is not None
    } | {
        (shop, moment.strftime("%G-W%V"))
        for _, shop, created, paid in remarked for moment in (created, paid)
        if shop is not None and moment is not None
    }
    loaded = {row[6] for row in changed} | {row[0] for row in remarked}
    return len(loaded), len(orders), touched


def _upsert_roster(
    con: duckdb.DuckDBPyConnection, roster: pl.DataFrame | None
) -> tuple[int, int, set[tuple[str, str]]]:
    if roster is None or roster.is_empty():
        return 0, 0, set()
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
    # A role or team change moves targets and groupings in every week: every partition is touched.
    return changed, len(roster), {("*", "*")} if changed else set()


def record_unreadable(con: duckdb.DuckDBPyConnection, path: str, sha256: str | None, reason: str) -> None:
    """A file that could not be read at all is kept in quarantine (once per content, or once per path and
    reason when not even its bytes can be read) so it is not lost."""
    if sha256 is not None and scalar(
        con, "SELECT count(*) FROM quarantine WHERE sha256 = ? AND source_line IS NULL", [sha256]
    ):
        return
    if sha256 is None and scalar(
        con,
        "SELECT count(*) FROM quarantine WHERE sha256 IS NULL AND source_line IS NULL AND source_path = ? AND reason = ?",
        [path, reason],
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
