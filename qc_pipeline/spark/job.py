"""`qc run --engine spark`: ingest the exports and recompute the shops they changed, on Spark, into a lake.

1. every file read by its own task (`spark.ingest.parse_files`); new messages, order and roster versions,
   quarantine and per-file counts decided over the whole run as the warehouse decides them file by file;
2. the shops whose input changed (new messages, changed orders; every shop after a roster change; a
   shop whose settings, rule set or scorecard changed) get all their derived tables recomputed, one
   grouped task per shop (`spark.derive`);
3. only then the staged partitions are swapped in (`lake.staging`). A failure anywhere before leaves the
   lake as it was; other shops' partitions are never touched.
"""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import polars as pl
import pyarrow as pa

from qc_pipeline.config import Config
from qc_pipeline.errors import UserError
from qc_pipeline.lake.files import Lake
from qc_pipeline.lake.layout import partition_dir, table
from qc_pipeline.lake.staging import Staging, new_run_id, recover
from qc_pipeline.lake.writer import Written, stage_whole_table, units
from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.rules import RuleSet, load_ruleset
from qc_pipeline.scoring.scorecard import Scorecard, load_scorecard
from qc_pipeline.spark import derive, ingest
from qc_pipeline.spark.parse import LOADED, UNREADABLE, WRONG_KIND
from qc_pipeline.spark.session import describe
from qc_pipeline.store.schema import SCHEMA_VERSION

# Set to a shop name, the task of that shop fails on purpose (to see that a failed job changes nothing).
FAIL_ENV = "QC_SPARK_FAIL_SHOP"


@dataclass
class SparkRun:
    """What a run did: the per-file rows of ingested_files, files that could not be read, the shops
    recomputed, the weeks the input touched; and what it cost: seconds per step on the driver, each
    file's ingest task and each shop's grouped task (`file_tasks`, `shop_tasks`)."""

    files: pl.DataFrame
    unreadable: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    shops: list[str] = field(default_factory=list)
    weeks: list[str] = field(default_factory=list)
    partitions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    file_tasks: pl.DataFrame | None = None  # path, kind, bytes, rows, seconds
    shop_tasks: pl.DataFrame | None = None  # shop, messages, orders, seconds

    def total(self, column: str) -> int:
        return int(self.files[column].sum()) if len(self.files) else 0


def run_spark(
    spark, inputs: Iterable[Path | str], lake_uri: str, config: Config, *, orders: Iterable[Path] = (),
    roster: Path | None = None, ruleset: RuleSet | None = None, scorecard: Scorecard | None = None,
    files: list[tuple[Path, str | None]] | None = None, fail_shop: str | None = None,
) -> SparkRun:
    from qc_pipeline.pipeline import plan_files

    ruleset = ruleset or load_ruleset(config.rule_files)
    scorecard = scorecard or load_scorecard(config.scorecard_path)
    if files is None:
        files = plan_files(inputs, orders=orders, roster=roster)
    fail_shop = fail_shop if fail_shop is not None else os.environ.get(FAIL_ENV)
    lake = Lake.at(lake_uri)
    recover(lake)
    lake.create()
    staging = Staging(lake, new_run_id())
    try:
        run = _run(spark, lake, staging, [(str(p), k) for p, k in files], config, ruleset, scorecard, fail_shop)
    except BaseException:
        staging.discard()
        raise
    return run


def _run(spark, lake: Lake, staging: Staging, files, config, ruleset, scorecard, fail_shop) -> SparkRun:
    from pyspark.sql import functions as F

    started = dt.datetime.now().replace(microsecond=0)
    clock = _Clock()
    parsed = ingest.parse_files(spark, files, config, staging) if files else None
    clock.lap("ingest")
    describe(spark, "chat-qc: new messages, order and roster versions")
    manifest = parsed.manifest if parsed else pl.DataFrame(schema=ingest._manifest_schema())
    wrong = manifest.filter(pl.col("status") == WRONG_KIND)
    if len(wrong):
        raise UserError(wrong["error"][0])
    kinds = parsed.kinds if parsed else set()

    # Messages: what is new, per file.
    p_messages = ingest.read_parsed(spark, staging, "messages", "messages" in kinds)
    run_shops = [r["shop"] for r in p_messages.select("shop").distinct().collect()]
    shop_dirs = [partition_dir("messages", shop=s) for s in run_shops]
    stored_messages = ingest.read_lake(spark, lake, "messages", shop_dirs)
    new = ingest.new_messages(spark, p_messages, stored_messages).cache()
    loaded = {r["_file"]: r["count"] for r in new.groupBy("_file").count().collect()}
    clashes = ingest.id_clashes(spark, new, stored_messages)
    changed = {r["shop"] for r in new.select("shop").distinct().collect()}
    days = {r["day"] for r in p_messages.selectExpr("CAST(sent_at AS DATE) AS day").distinct().collect()}

    # Orders: each file's version over the one before.
    p_orders = ingest.read_parsed(spark, staging, "orders", "orders" in kinds)
    versions = ingest.order_versions(spark, p_orders, ingest.read_lake(spark, lake, "orders")).cache()
    counted = versions.groupBy("_file").agg(F.sum(F.col("counted").cast("long")).alias("n")).collect()
    loaded.update({r["_file"]: int(r["n"] or 0) for r in counted})
    moved = versions.filter("changed").selectExpr("shop", "prev_shop", "had_prev", "created_at", "paid_at").collect()
    order_shops = {r["shop"] for r in moved} | {r["prev_shop"] for r in moved if r["had_prev"]}
    for r in moved:
        days |= {t.date() for t in (r["created_at"], r["paid_at"]) if t is not None}

    # Roster: on the driver, file by file.
    agents_before = pl.from_arrow(lake.read("agents"))
    written: list[Written] = []
    roster_changed = False
    if "agents" in kinds:
        p_roster = pl.from_arrow(_read_scratch(lake, staging, "agents"))
        agents, roster_loaded = ingest.roster_versions(agents_before, p_roster)
        loaded.update(roster_loaded)
        roster_changed = any(roster_loaded.values())
        written.append(stage_whole_table(staging, "agents", agents.to_arrow()))
    else:
        agents = agents_before

    # Which shops to recompute.
    partitions = pl.from_arrow(lake.read("partitions"))
    known = set(partitions["shop"].drop_nulls().to_list())
    shops = (changed | {s for s in order_shops if s is not None}) | (known if roster_changed else set())
    shops |= _outdated(partitions, config, ruleset, scorecard)
    null_orders = None in order_shops
    clock.lap("decide")
    shop_tasks = None
    describe(spark, "chat-qc: derived tables (one task per shop)")
    if shops or null_orders:
        derived = _derive(spark, lake, staging, sorted(shops), null_orders, new, versions, agents, config,
                          ruleset, scorecard, fail_shop)
        written += [Written(**r) for r in derived.select(derive.WRITTEN_FIELDS).iter_rows(named=True)]
        shop_tasks = derive.shop_costs(derived)
    clock.lap("derive")
    describe(spark, None)

    files_table, quarantine = _accounting(lake, staging, manifest, loaded, started, clashes)
    written.append(stage_whole_table(staging, "ingested_files", files_table.to_arrow()))
    written.append(stage_whole_table(staging, "quarantine", quarantine.to_arrow()))
    meta = pl.DataFrame({"key": ["schema_version", "rule_version", "scorecard_version", "config_version"],
                         "value": [str(SCHEMA_VERSION), ruleset.version, scorecard.version, config.derived_version]})
    written.append(stage_whole_table(staging, "meta", meta.to_arrow()))
    put, drop = units(written)
    staging.swap(put, drop)
    new.unpersist()
    versions.unpersist()
    clock.lap("swap")
    weeks = sorted({w for (w,) in pl.DataFrame({"d": sorted(days)}, schema={"d": pl.Date}).select(
        iso_week("d")).unique().iter_rows()} if days else set())
    return SparkRun(
        files=files_table,
        unreadable=manifest.filter(pl.col("status") == UNREADABLE)["error"].to_list(),
        warnings=[(r["path"], w) for r in manifest.iter_rows(named=True) for w in _json_list(r["warnings"])],
        shops=sorted(shops),
        weeks=weeks,
        partitions=sum(w.rows for w in written if w.table == "partitions"),
        seconds=clock.seconds,
        file_tasks=manifest.select("path", "kind", "bytes", "rows", "seconds"),
        shop_tasks=shop_tasks,
    )


class _Clock:
    """Seconds of each step of the run, on the driver (a step's Spark jobs included)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self._last
        self._last = now


def _json_list(text: str | None) -> list[str]:
    import json

    return json.loads(text) if text else []


def _read_scratch(lake: Lake, staging: Staging, kind: str) -> pa.Table:
    import pyarrow.dataset as ds

    base = lake.path(staging.scratch(f"parsed/{kind}"))
    return ds.dataset(base, format="parquet", filesystem=lake.fs).to_table()


def _outdated(partitions: pl.DataFrame, config: Config, ruleset: RuleSet, scorecard: Scorecard) -> set[str]:
    """Shops built with other settings, another rule set or another scorecard."""
    stale = set()
    for shop, rows in partitions.group_by("shop"):
        versions = rows.select("config_version", "rule_version", "scorecard_version").unique().rows()
        want = (config.for_shop(shop[0]).derived_version, ruleset.version, scorecard.version)
        if any(v != want for v in versions):
            stale.add(shop[0])
    return stale


def _derive(spark, lake, staging, shops, null_orders, new, versions, agents, config, ruleset, scorecard,
            fail_shop) -> pl.DataFrame:
    from pyspark.sql import functions as F

    messages_cols = table("messages").column_names
    orders_cols = table("orders").column_names
    stored = ingest.read_lake(spark, lake, "messages", [partition_dir("messages", shop=s) for s in shops])
    messages = stored.withColumn("_new", F.lit(False)).unionByName(
        new.select(*messages_cols).withColumn("_new", F.lit(True))).filter(F.col("shop").isin(shops))
    # An order's furthest-forward version of the run replaces the stored one; where the stored one
    # stays furthest forward, no run version is final and it is kept.
    run_final = versions.filter("_final").select(*orders_cols)
    order_dirs = [partition_dir("orders", shop=s) for s in shops] + ([partition_dir("orders", shop=None)] if null_orders else [])
    kept = ingest.read_lake(spark, lake, "orders", order_dirs).join(
        run_final.select("order_id"), "order_id", "left_anti")
    in_scope = F.col("shop").isin(shops) | (F.col("shop").isNull() if null_orders else F.lit(False))
    orders = kept.select(*orders_cols).unionByName(run_final).filter(in_scope)
    # Every remark the run's exports of an order carry (order_remarks compares them; the lake keeps only
    # the current one), beside the order.
    history = versions.filter("remark IS NOT NULL").groupBy("order_id").agg(
        F.collect_set("remark").alias(derive.REMARK_HISTORY))
    orders = orders.join(history, "order_id", "left")
    roster = agents.select("agent", "name", "role").to_arrow()
    task = derive.shop_task(staging, roster, config, ruleset, scorecard, fail_shop)
    return derive.derive_shops(messages, orders, task)


def _accounting(lake: Lake, staging: Staging, manifest: pl.DataFrame, loaded: dict[int, int],
                started: dt.datetime, clashes: dict[int, int] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ingested_files rows of the loaded files, and the quarantine rows the warehouse would keep."""
    seen = set(pl.from_arrow(lake.read("ingested_files"))["sha256"].to_list())
    stored_q = pl.from_arrow(lake.read("quarantine"))
    unreadable_seen = set(stored_q.filter(pl.col("source_line").is_null())["sha256"].drop_nulls().to_list())
    records, quarantine = [], []
    for r in manifest.iter_rows(named=True):
        if r["status"] == UNREADABLE:
            if r["sha256"] is None or r["sha256"] not in unreadable_seen:
                quarantine.append(pl.DataFrame({"source_path": [r["path"]], "source_line": [None], "reason": [r["error"]],
                                                "raw": [None], "sha256": [r["sha256"]]},
                                               schema=pl.from_arrow(table("quarantine").schema.empty_table()).schema))
                unreadable_seen.add(r["sha256"])
            continue
        if r["status"] != LOADED:
            continue
        if r["quarantined"] and r["sha256"] not in seen:
            rows = pl.from_arrow(_read_one(lake, staging.scratch(f"parsed/quarantine/f{r['file']:07d}.parquet")))
            quarantine.append(rows.with_columns(pl.lit(r["sha256"]).alias("sha256")))
        seen.add(r["sha256"])
        n = loaded.get(r["file"], 0)
        records.append({
            "path": r["path"], "sha256": r["sha256"], "format": r["format"], "kind": r["kind"],
            "encoding": r["encoding"], "rows_read": r["rows_read"], "rows_loaded": n,
            "rows_duplicate": r["rows"] - n, "rows_quarantined": r["quarantined"], "noise_lines": r["noise_lines"],
            "ingested_at": started, "id_clashes": (clashes or {}).get(r["file"], 0),
        })
    files_schema = pl.from_arrow(table("ingested_files").schema.empty_table()).schema
    files_table = pl.DataFrame(records, schema=files_schema) if records else pl.DataFrame(schema=files_schema)
    q_schema = pl.from_arrow(table("quarantine").schema.empty_table()).schema
    q = pl.concat([f.cast(q_schema) for f in quarantine]) if quarantine else pl.DataFrame(schema=q_schema)
    return files_table, q


def _read_one(lake: Lake, relative: str) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(lake.path(relative), filesystem=lake.fs)
