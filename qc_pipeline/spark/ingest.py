"""Ingest on Spark: every export read by its own task (Spark's binary-file source, the project's readers),
then the cross-file decisions the warehouse makes file by file, made at once over the whole run:

- messages: a row is new when no stored message and no earlier file of the run has its id (files in
  the order the local engine loads them, `pipeline.plan_files`); every row of that id in the first
  file that has it is loaded (two identical lines of one export are two messages);
- exporter id clashes: a new message whose exporter id (source_msg_id) a stored message of its shop, or
  one of an earlier file of the run, or an earlier line of its file, already holds;
- orders: each file's version (its furthest-forward row) replaces the stored one only where it is
  further forward (`ingest.order_states`); a row counts as loaded when it changed the order's fields;
- roster rows: a later file's version replaces the stored one (within a file, its last row); a row
  counts as loaded when it differs from the version stored just before its file;
- quarantined rows are kept once per file content (sha256), unreadable files once per content too.
"""
from __future__ import annotations

import json
import os
import time
import urllib.parse
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from qc_pipeline.config import Config
from qc_pipeline.ingest.order_states import key_desc, order_key, rank_sql, state_sql
from qc_pipeline.lake.files import Lake
from qc_pipeline.lake.layout import table
from qc_pipeline.lake.staging import Staging
from qc_pipeline.spark.parse import LOADED, UNREADABLE, parse_bytes
from qc_pipeline.spark.session import describe

MANIFEST = ("file int, path string, status string, sha256 string, kind string, format string, encoding string, "
            "rows_read long, noise_lines long, rows long, quarantined long, error string, warnings string, "
            "bytes long, seconds double")
KIND_TABLE = {"chat": "messages", "orders": "orders", "roster": "agents"}
PARSED_COLUMNS = {"messages": table("messages").column_names, "orders": table("orders").column_names,
                  "agents": ["agent", "name", "team", "role", "source_path"]}


def _local_key(path: str) -> str:
    """A path as Spark's binary-file source names it, reduced to an absolute local path."""
    text = urllib.parse.unquote(path)
    if text.startswith("file:"):
        text = "/" + text[len("file:"):].lstrip("/")
    return os.path.normpath(text)


@dataclass
class ParsedRun:
    manifest: pl.DataFrame  # one row per planned file, in load order (column `file`)
    kinds: set[str]  # which parsed tables were written (messages, orders, agents)


def parse_files(spark, files: list[tuple[str, str | None]], config: Config, staging: Staging) -> ParsedRun:
    """Read every file in its own task; each writes its frames under the run's scratch space and
    returns one manifest row. `files` are (path as the user gave it, expected kind) in load order."""
    plan = {_local_key(os.path.abspath(p)): (i, p, expected) for i, (p, expected) in enumerate(files)}
    lake = staging.lake

    def task(batches):
        for batch in batches:
            for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                idx, name, expected = plan[_local_key(path)]
                started = time.perf_counter()
                out = parse_bytes(name, content, expected, config)
                rows = 0
                for kind, frame in (("messages", out.messages), ("orders", out.orders), ("agents", out.roster)):
                    if frame is not None:
                        rows = len(frame)
                        stage = frame.select(PARSED_COLUMNS[kind]).with_columns(
                            pl.lit(idx, pl.Int32).alias("_file"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"))
                        lake.write(staging.scratch(f"parsed/{kind}/f{idx:07d}.parquet"), stage.to_arrow())
                if len(out.quarantine):
                    lake.write(staging.scratch(f"parsed/quarantine/f{idx:07d}.parquet"), out.quarantine.to_arrow())
                yield pa.RecordBatch.from_pylist([{
                    "file": idx, "path": name, "status": out.status, "sha256": out.sha256, "kind": out.kind,
                    "format": out.format, "encoding": out.encoding, "rows_read": out.rows_read,
                    "noise_lines": out.noise_lines, "rows": rows, "quarantined": len(out.quarantine),
                    "error": out.error, "warnings": json.dumps(out.warnings, ensure_ascii=False),
                    # What reading and staging this file cost its task (for benchmarks and sizing).
                    "bytes": len(content), "seconds": time.perf_counter() - started,
                }], schema=_manifest_schema())

    conf = spark.conf
    saved = conf.get("spark.sql.files.openCostInBytes")
    # A file costs as much as a whole split, so Spark packs no two files into one task.
    conf.set("spark.sql.files.openCostInBytes", conf.get("spark.sql.files.maxPartitionBytes"))
    describe(spark, "chat-qc: read exports (one task per file)")
    try:
        raw = spark.read.format("binaryFile").load([os.path.abspath(p) for p, _ in files])
        rows = raw.select("path", "content").mapInArrow(task, MANIFEST).toArrow()
    finally:
        conf.set("spark.sql.files.openCostInBytes", saved)
    manifest = pl.from_arrow(rows).sort("file")
    kinds = {KIND_TABLE[k] for k in manifest.filter(pl.col("status") == LOADED)["kind"].drop_nulls() if k in KIND_TABLE}
    return ParsedRun(manifest, kinds)


def _manifest_schema() -> pa.Schema:
    types = {"int": pa.int32(), "string": pa.string(), "long": pa.int64(), "double": pa.float64()}
    return pa.schema([(name, types[kind]) for name, kind in (c.split() for c in MANIFEST.split(", "))])


def spark_schema(name: str, extra: dict[str, str] | None = None):
    """The Spark schema of a lake table (times as TIMESTAMP_NTZ), with extra (column, type) fields."""
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import IntegerType, LongType, StructField

    schema = from_arrow_schema(table(name).schema, prefer_timestamp_ntz=True)
    kinds = {"int": IntegerType(), "long": LongType()}
    for column, kind in (extra or {}).items():
        schema = schema.add(StructField(column, kinds[kind], True))
    return schema


def read_lake(spark, lake: Lake, name: str, dirs: list[str] | None = None):
    """A lake table as a Spark DataFrame: all of it, or the given directories (e.g. shops') only."""
    dirs = [name] if dirs is None else [d for d in dirs if lake.exists(d)]
    schema = spark_schema(name)
    if not dirs:
        return spark.createDataFrame([], schema)
    # Every file holds every column, partition columns too: no partition discovery.
    return spark.read.schema(schema).option("recursiveFileLookup", "true").parquet(*[lake.url(d) for d in dirs])


def read_parsed(spark, staging: Staging, kind: str, present: bool):
    name = "agents" if kind == "agents" else kind
    from pyspark.sql.types import StructType

    base = spark_schema(name, {"_file": "int", "_row": "long"})
    schema = StructType([f for f in base.fields if f.name in (*PARSED_COLUMNS[kind], "_file", "_row")])
    if not present:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).option("recursiveFileLookup", "true").parquet(
        staging.lake.url(staging.scratch(f"parsed/{kind}")))


def new_messages(spark, parsed, stored):
    """The parsed rows the warehouse would insert: ids neither stored nor in an earlier file of the run."""
    parsed.createOrReplaceTempView("qc_parsed_messages")
    stored.select("msg_id").createOrReplaceTempView("qc_stored_ids")
    return spark.sql("""
        SELECT p.* FROM (
            SELECT *, min(_file) OVER (PARTITION BY msg_id) AS _first FROM qc_parsed_messages) p
        LEFT ANTI JOIN qc_stored_ids s ON p.msg_id = s.msg_id
        WHERE p._file = p._first""").drop("_first")


def id_clashes(spark, new, stored) -> dict[int, int]:
    """Per file, its new messages whose exporter id another message of the shop already holds (a
    stored one, one of an earlier file, or an earlier line of the same file)."""
    new.createOrReplaceTempView("qc_new_messages")
    stored.createOrReplaceTempView("qc_stored_messages")
    rows = spark.sql("""
        WITH holders AS (
            SELECT shop, source_msg_id, -1 AS _file, CAST(NULL AS BIGINT) AS source_line, msg_id
            FROM qc_stored_messages WHERE source_msg_id IS NOT NULL
            UNION ALL
            SELECT shop, source_msg_id, _file, source_line, msg_id FROM qc_new_messages
            WHERE source_msg_id IS NOT NULL),
        ranked AS (
            SELECT _file, row_number() OVER (PARTITION BY shop, source_msg_id
                                             ORDER BY _file, source_line, msg_id) AS n FROM holders)
        SELECT _file, count(*) AS n FROM ranked WHERE _file >= 0 AND n > 1 GROUP BY _file""").collect()
    return {r["_file"]: int(r["n"]) for r in rows}


# The order fields whose change makes a row count as loaded (the warehouse compares these).
ORDER_FIELDS = ("shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status", "items", "remark")


def order_versions(spark, parsed, stored):
    """Every file's version of each order (its furthest-forward row) after the stored version
    (`_file` -1), as the warehouse applies them file by file: `counted` when it moved the order
    forward and changed its fields, or brought a remark no earlier version had (the warehouse's loaded
    rows), `changed` also when only its source
    file differs; `prev_shop` is the shop of the version it replaced; `_final` marks the order's
    furthest-forward version among the run's files (none where the stored one stays)."""
    parsed.createOrReplaceTempView("qc_parsed_orders")
    stored.createOrReplaceTempView("qc_stored_orders")
    columns = ", ".join(PARSED_COLUMNS["orders"])
    same = " AND ".join(f"p.{c} <=> prev.{c}" for c in ORDER_FIELDS)
    key = ", ".join(f"{k} AS k{i}" for i, k in enumerate(order_key()))
    # The best version before each one: the greatest (key, fields) struct of the versions of earlier files.
    best = f"struct({key}, {columns})"
    ahead = " OR ".join(
        f"({' AND '.join([f'p.k{j} = prev.k{j}' for j in range(i)] + [f'p.k{i} > prev.k{i}'])})"
        for i in range(len(order_key()))
    )
    return spark.sql(f"""
        WITH ranked AS (
            SELECT *, {rank_sql()} AS state_rank FROM (
                SELECT *, {state_sql()} AS state FROM qc_parsed_orders)),
        file_version AS (
            SELECT * FROM (
                SELECT *, row_number() OVER (PARTITION BY _file, order_id ORDER BY {key_desc()}, _row DESC) AS _n
                FROM ranked) WHERE _n = 1),
        versions AS (
            SELECT {columns}, state_rank, _file FROM file_version
            UNION ALL
            SELECT {columns}, {rank_sql(state_sql('s.status', 's.paid_at'))} AS state_rank, -1 AS _file
            FROM qc_stored_orders s WHERE s.order_id IN (SELECT order_id FROM qc_parsed_orders)),
        keyed AS (
            SELECT *, {best} AS _me FROM versions),
        ordered AS (
            SELECT *, max(_me) OVER (PARTITION BY order_id ORDER BY _file
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev,
                   row_number() OVER (PARTITION BY order_id ORDER BY {key_desc()}, _file) AS _rank,
                   min(_file) OVER (PARTITION BY order_id, remark) AS _remark_first
            FROM keyed),
        judged AS (
            SELECT o.*, (o.prev IS NULL OR {ahead.replace('p.k', 'o._me.k').replace('prev.k', 'o.prev.k')}) AS _ahead
            FROM ordered o)
        SELECT {", ".join(f"p.{c}" for c in PARSED_COLUMNS["orders"])}, p._file,
               prev.shop AS prev_shop, prev IS NOT NULL AS had_prev,
               (p._ahead AND (prev IS NULL OR NOT ({same})))
                   OR (p.remark IS NOT NULL AND p._remark_first = p._file) AS counted,
               p._ahead AND (prev IS NULL OR NOT ({same} AND p.source_path <=> prev.source_path)) AS changed,
               p._rank = 1 AS _final
        FROM judged p WHERE p._file >= 0""")


def roster_versions(stored: pl.DataFrame, parsed: pl.DataFrame) -> tuple[pl.DataFrame, dict[int, int]]:
    """The agents table after the run's roster files, and the rows each file loaded (changed). Rosters
    are small: this runs on the driver, file by file as the warehouse does."""
    state = {r["agent"]: r for r in stored.to_dicts()}
    loaded: dict[int, int] = {}
    for (idx,), rows in sorted(parsed.partition_by("_file", as_dict=True).items()):
        latest = rows.sort("_row").unique(subset="agent", keep="last", maintain_order=True)
        changed = 0
        for row in latest.drop("_file", "_row").to_dicts():
            old = state.get(row["agent"])
            if old is None or any(old[c] != row[c] for c in ("name", "team", "role")):
                changed += 1
            state[row["agent"]] = row
        loaded[idx] = changed
    agents = pl.DataFrame(list(state.values()), schema=stored.schema) if state else stored
    return agents, loaded
