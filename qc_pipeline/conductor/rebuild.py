"""Recompute the stale partitions: read a scope, call the pure stages, replace exactly that scope.

docs/architecture.md tells the whole story; in short, for each batch of shops that share settings:
1. full targets: the stale (shop, week) partitions; partial targets: in each neighbouring week, the
   buyers of a full target whose input lies near the shared edge;
2. read those buyers' messages and orders over their target weeks plus a margin (`scope.Reach`), and read
   further back or ahead for a buyer whose conversation runs past the margin;
3. `stages.buyer_tables`, keep the rows of the targets, replace them in the warehouse;
4. `stages.weekly_tables` over every row of the touched (shop, week) partitions, replace those.
5. settle the unanswered promises of the shops rebuilt against each shop's latest message (open or broken).
6. agent_month of every calendar month a rebuilt week overlaps, from all the rows of that month's weeks.
A partition whose only difference is its rule set or scorecard is not rebuilt in full: `rescore`
recomputes its flags and scores (or its scores only) from stored rows, after the full targets.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from qc_pipeline.conductor.rescore import rescore
from qc_pipeline.conductor.scope import WEEK, Reach, months_of_weeks, neighbour_weeks, uncertain_buyers, week_start
from qc_pipeline.conductor.stages import (
    BUYER_TABLES, agent_month_table, agent_weekly_tables, buyer_tables, weekly_tables,
)
from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.config import Config
from qc_pipeline.rules import RuleSet, load_ruleset
from qc_pipeline.scoring.scorecard import Scorecard, load_scorecard
from qc_pipeline.store import partitions as store
from qc_pipeline.store.schema import DERIVED_TABLES

# A batch of shops holds about this many messages in memory at once.
BATCH_MESSAGES = 500_000
# What to read for one buyer: [lo, hi) around the target weeks [target_lo, target_hi).
REQUEST_COLUMNS = ["shop", "buyer", "lo", "hi", "target_lo", "target_hi"]
# The per-buyer tables the weekly ones are aggregated from.
WEEKLY_INPUTS = ("rounds", "flags", "inquiries", "session_scores", "sessions", "promises", "payment_reminders")
WEEKLY_INPUTS += ("handovers",)  # shift handovers: agent_week's handover columns and shift_week
WEEKLY_INPUTS += ("order_remarks",)  # order remarks: agent_week's remark columns
# Reading further for a buyer whose conversation runs past the margin: at most this many times.
MAX_WIDENINGS = 8


@dataclass
class RebuildReport:
    messages: int = 0
    sessions: int = 0
    rounds: int = 0
    agent_weeks: int = 0
    weeks: list[str] = field(default_factory=list)
    agents_without_roster: list[str] = field(default_factory=list)
    unattributed_rounds: int = 0
    flags: int = 0
    inquiries: int = 0
    orders_unmatched: int = 0
    partitions: int = 0
    # of those, the ones whose rule set (flags and scores recomputed) or scorecard (scores) alone changed
    rule_partitions: int = 0
    score_partitions: int = 0
    partial_buyers: int = 0
    # rows written per derived table; a table that is not here was left as stored
    written: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def add_written(self, table: str, rows: int) -> None:
        self.written[table] = self.written.get(table, 0) + rows


class _Clock:
    def __init__(self, report: RebuildReport):
        self.report, self.last = report, dt.datetime.now()

    def lap(self, stage: str) -> None:
        now = dt.datetime.now()
        self.report.add_time(stage, (now - self.last).total_seconds())
        self.last = now


def _targets(parts: pl.DataFrame, config: Config, ruleset: RuleSet, scorecard: Scorecard,
             shops: list[str] | None, weeks: tuple[str, str] | None, force: bool) -> pl.DataFrame:
    """The partitions to recompute: the stale or out-of-date ones, or (force) every one in the selection,
    with `kind`: "full", or "rules" / "scores" when only the rule set / only the scorecard differs."""
    if shops:
        parts = parts.filter(pl.col("shop").is_in(shops))
    if weeks:
        parts = parts.filter((pl.col("week") >= weeks[0]) & (pl.col("week") <= weeks[1]))
    wanted = parts.with_columns(
        pl.col("shop").map_elements(lambda s: config.for_shop(s).derived_version, return_dtype=pl.Utf8)
        .alias("_config")
    )
    full = (
        pl.lit(force) | pl.col("stale")
        | pl.col("config_version").is_null() | (pl.col("config_version") != pl.col("_config"))
        | pl.col("rule_version").is_null() | pl.col("scorecard_version").is_null()
    )
    kind = (pl.when(full).then(pl.lit("full"))
            .when(pl.col("rule_version") != ruleset.version).then(pl.lit("rules"))
            .when(pl.col("scorecard_version") != scorecard.version).then(pl.lit("scores")))
    return wanted.with_columns(kind.alias("kind")).filter(pl.col("kind").is_not_null())


def _batches(con: duckdb.DuckDBPyConnection, targets: pl.DataFrame, config: Config) -> list[tuple[Config, list[str]]]:
    """Shops grouped by the settings they run on, cut into batches of at most BATCH_MESSAGES messages of
    their target weeks (more only when one shop alone holds more)."""
    sizes = store.messages_in_weeks(con, _week_bounds(targets.select("shop", "week").unique()))
    by_settings: dict[str, tuple[Config, list[str]]] = {}
    for shop in targets["shop"].unique().sort().to_list():
        settings = config.for_shop(shop)
        by_settings.setdefault(settings.derived_version, (settings, []))[1].append(shop)
    batches = []
    for settings, shops in by_settings.values():
        current, size = [], 0
        for shop in shops:
            # A shop that would take the batch past the limit starts the next one, so a batch holds at
            # most BATCH_MESSAGES unless one shop alone holds more (two 499,000-message shops were one
            # batch of nearly twice the limit, and the peak memory of the run).
            if current and size + sizes.get(shop, 0) > BATCH_MESSAGES:
                batches.append((settings, current))
                current, size = [], 0
            current.append(shop)
            size += sizes.get(shop, 0)
        if current:
            batches.append((settings, current))
    return batches


def _week_bounds(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `lo`/`hi`: the Monday 00:00 its week starts and the next Monday."""
    weeks = frame.select("week").unique()
    starts = [week_start(w) for w in weeks["week"].to_list()]
    bounds = weeks.with_columns(
        pl.Series("lo", starts, dtype=pl.Datetime("us")),
        pl.Series("hi", [s + WEEK for s in starts], dtype=pl.Datetime("us")),
    )
    return frame.join(bounds, on="week", how="left", maintain_order="left")


def _partial_targets(con, full: pl.DataFrame, buyers: pl.DataFrame, existing: set[tuple[str, str]],
                     settings: Config, reach: Reach) -> pl.DataFrame:
    """(shop, week, buyer) in the weeks next to full targets, for buyers of a full target whose input lies
    within `reach` of the shared edge, where that week exists and is not itself a full target."""
    full_keys = set(full.select("shop", "week").iter_rows())
    bands = []
    for shop, week in sorted(full_keys):
        start = week_start(week)
        for other in neighbour_weeks(week, settings):
            if (shop, other) in full_keys or (shop, other) not in existing:
                continue
            other_start = week_start(other)
            # The band of the neighbour week that lies within reach of this week.
            if other_start < start:
                lo, hi = max(other_start, start - reach.reach), min(other_start + WEEK, start)
            else:
                lo, hi = max(other_start, start + WEEK), min(other_start + WEEK, start + WEEK + reach.reach)
            if lo < hi:
                bands.append((shop, week, other, lo, hi))
    if not bands:
        return pl.DataFrame(schema={"shop": pl.Utf8, "week": pl.Utf8, "buyer": pl.Utf8})
    band = pl.DataFrame(bands, schema={"shop": pl.Utf8, "_of": pl.Utf8, "week": pl.Utf8,
                                       "lo": pl.Datetime("us"), "hi": pl.Datetime("us")}, orient="row")
    candidates = buyers.rename({"week": "_of"}).join(band, on=["shop", "_of"]).drop("_of")
    near = store.buyers_near(con, candidates, with_orders=True)
    return near.select("shop", "week", "buyer").unique()


def _requests(full_buyers: pl.DataFrame, partial: pl.DataFrame, reach: Reach) -> pl.DataFrame:
    """(shop, buyer, lo, hi, target_lo, target_hi): each buyer's target weeks and what to read around them."""
    keyed = pl.concat([full_buyers.select("shop", "buyer", "week"), partial.select("shop", "buyer", "week")])
    keyed = _week_bounds(keyed.unique())
    return keyed.group_by("shop", "buyer").agg(
        pl.col("lo").min().alias("target_lo"), pl.col("hi").max().alias("target_hi")
    ).with_columns(
        (pl.col("target_lo") - reach.margin).alias("lo"), (pl.col("target_hi") + reach.margin).alias("hi")
    ).select(REQUEST_COLUMNS).sort("shop", "buyer")


def _spanned_weeks(sessions: pl.DataFrame, full: pl.DataFrame, partial: pl.DataFrame) -> pl.DataFrame:
    """(shop, week, buyer) of every week a session spans, for sessions that span a target week of their
    buyer and a week that is not one yet."""
    long = sessions.filter(pl.col("week") != iso_week("ended_at"))
    if long.is_empty():
        return partial.head(0).select("shop", "week", "buyer")
    spans = long.select(
        "shop", "buyer",
        pl.datetime_ranges(pl.col("started_at").dt.truncate("1w"), pl.col("ended_at"), "1w").alias("monday"),
    ).explode("monday").with_columns(iso_week("monday").alias("week")).drop("monday")
    spans = spans.with_row_index("_i").join(
        full.select("shop", "week", pl.lit(True).alias("_full")), on=["shop", "week"], how="left"
    ).join(
        partial.select("shop", "week", "buyer", pl.lit(True).alias("_part")), on=["shop", "week", "buyer"], how="left"
    ).with_columns((pl.col("_full").fill_null(False) | pl.col("_part").fill_null(False)).alias("_target"))
    touching = spans.group_by("shop", "buyer").agg(pl.col("_target").any().alias("_any"))
    return (
        spans.join(touching, on=["shop", "buyer"]).filter(pl.col("_any") & ~pl.col("_target"))
        .select("shop", "week", "buyer").unique()
    )


def _widen(requests: pl.DataFrame, needed: pl.DataFrame, unsure: pl.DataFrame) -> pl.DataFrame:
    """The requests to read again: buyers whose target weeks grew, and buyers whose conversations run
    past what was read (a week further on that side)."""
    cols = REQUEST_COLUMNS
    grown = needed.join(requests, on=["shop", "buyer"], how="left", suffix="_was").filter(
        pl.col("lo_was").is_null() | (pl.col("target_lo") < pl.col("target_lo_was"))
        | (pl.col("target_hi") > pl.col("target_hi_was"))
    ).with_columns(
        pl.min_horizontal("lo", "lo_was").alias("lo"), pl.max_horizontal("hi", "hi_was").alias("hi"),
        pl.min_horizontal("target_lo", "target_lo_was").alias("target_lo"),
        pl.max_horizontal("target_hi", "target_hi_was").alias("target_hi"),
    ).select(cols)
    wider = unsure.join(grown.select("shop", "buyer"), on=["shop", "buyer"], how="anti").with_columns(
        pl.when(pl.col("need_lo")).then(pl.col("lo") - WEEK).otherwise(pl.col("lo")).alias("lo"),
        pl.when(pl.col("need_hi")).then(pl.col("hi") + WEEK).otherwise(pl.col("hi")).alias("hi"),
    ).select(cols)
    return pl.concat([grown, wider]).sort("shop", "buyer")


def _keep_targets(tables: dict[str, pl.DataFrame], full: pl.DataFrame, partial: pl.DataFrame) -> dict[str, pl.DataFrame]:
    full_keys = full.select("shop", "week").with_columns(pl.lit(True).alias("_full"))
    part_keys = partial.select("shop", "week", "buyer").with_columns(pl.lit(True).alias("_part"))
    kept = {}
    for name, rows in tables.items():
        marked = rows.join(full_keys, on=["shop", "week"], how="left").join(
            part_keys, on=["shop", "week", "buyer"], how="left"
        )
        kept[name] = marked.filter(pl.col("_full").fill_null(False) | pl.col("_part").fill_null(False)).drop(
            "_full", "_part"
        )
    return kept


def _derive_batch(con, settings: Config, shops: list[str], targets: pl.DataFrame, existing, roster,
                  ruleset, scorecard, clock: _Clock) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    reach = Reach.of(settings)
    full = _week_bounds(targets.filter(pl.col("shop").is_in(shops)).select("shop", "week"))
    full_buyers = store.target_buyers(con, full)
    partial = _partial_targets(con, full, full_buyers, existing, settings, reach)
    requests = _requests(full_buyers, partial, reach)
    clock.lap("plan")
    inputs = store.read_inputs(con, requests)
    latest = store.shop_latest(con, shops)
    clock.lap("read")
    tables = buyer_tables(inputs["messages"], inputs["texts"], inputs["orders"], roster, inputs["chat_buyers"],
                          settings, ruleset, scorecard, latest, inputs["remark_versions"])
    del inputs
    clock.lap("derive")
    for _ in range(MAX_WIDENINGS):
        # A session that reaches into a target week has its own row in the week it started: that week
        # becomes a target for its buyer too.
        extra = _spanned_weeks(tables["sessions"], full, partial)
        if not extra.is_empty():
            partial = pl.concat([partial, extra]).unique()
        wanted = _widen(requests, _requests(full_buyers, partial, reach), uncertain_buyers(tables["sessions"], requests, reach))
        if wanted.is_empty():
            break
        again = store.read_inputs(con, wanted)
        redone = buyer_tables(again["messages"], again["texts"], again["orders"], roster, again["chat_buyers"],
                              settings, ruleset, scorecard, latest, again["remark_versions"])
        keys = wanted.select("shop", "buyer")
        tables = {
            name: pl.concat([rows.join(keys, on=["shop", "buyer"], how="anti"), redone[name]], how="diagonal_relaxed")
            for name, rows in tables.items()
        }
        requests = pl.concat([requests.join(keys, on=["shop", "buyer"], how="anti"), wanted]).sort("shop", "buyer")
        clock.lap("derive")
    else:
        raise RuntimeError("conversations still run past what was read after widening the scope "
                           f"{MAX_WIDENINGS} times; rebuild with `qc rebuild` (every partition)")
    return _keep_targets(tables, full, partial), full, partial


def rebuild(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    ruleset: RuleSet | None = None,
    scorecard: Scorecard | None = None,
    *,
    shops: list[str] | None = None,
    weeks: tuple[str, str] | None = None,
    force: bool = False,
) -> RebuildReport:
    """Recompute every stale partition (or, with `force`, every partition of the selection) in one
    transaction. After any sequence of runs the derived tables equal those of loading everything at once."""
    ruleset = ruleset or load_ruleset(config.rule_files)
    scorecard = scorecard or load_scorecard(config.scorecard_path)
    report = RebuildReport()
    clock = _Clock(report)
    con.execute("BEGIN TRANSACTION")
    try:
        store.discover_partitions(con)
        parts = store.partitions(con)
        targets = _targets(parts, config, ruleset, scorecard, shops, weeks, force)
        existing = set(parts.select("shop", "week").iter_rows())
        roster = con.sql("SELECT agent, name, role FROM agents").pl()
        full_targets = targets.filter(pl.col("kind") == "full")
        batches = _batches(con, full_targets, config) if not full_targets.is_empty() else []
        # every (shop, week) whose agent_week this run rewrites: their months are recomputed at the end
        rewritten: list[pl.DataFrame] = [targets.select("shop", "week")]
        clock.lap("plan")
        for settings, batch_shops in batches:
            tables, full, partial = _derive_batch(con, settings, batch_shops, full_targets, existing, roster,
                                                  ruleset, scorecard, clock)
            built_before = full.join(targets.filter(pl.col("config_version").is_not_null()), on=["shop", "week"],
                                     how="semi")
            for name in BUYER_TABLES:
                _replace(con, report, name, tables[name], built_before, partial)
            clock.lap("write")
            touched = pl.concat([full.select("shop", "week"), partial.select("shop", "week")]).unique()
            rewritten.append(touched)
            weekly = _weekly(con, touched, roster, settings)
            for name, rows in weekly.items():
                _replace(con, report, name, rows, touched, None)
            clock.lap("weekly")
            _account(report, tables, weekly, full, partial, roster)
            # Let go of this batch's frames before the next batch is read: bound to these names they
            # stayed alive through the next batch's derive and added to its peak.
            del tables, weekly
        if batches:
            # New messages move a shop's latest message, which turns its unanswered promises past due
            # from open to broken in every week, not only in the targets (agent_week does not count them).
            store.settle_open_promises(con, full_targets["shop"].unique().to_list())
        rewritten += _rescore_all(con, report, targets, full_targets, roster, config, ruleset, scorecard, clock)
        _monthly(con, report, pl.concat(rewritten).unique(), roster, config)
        clock.lap("monthly")
        built = targets.select(
            "shop", "week", pl.col("_config").alias("config_version"),
            pl.lit(ruleset.version).alias("rule_version"), pl.lit(scorecard.version).alias("scorecard_version"),
        )
        store.record_built(con, built)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('rule_version', ?), ('scorecard_version', ?), ('config_version', ?)",
            [ruleset.version, scorecard.version, config.derived_version],
        )
        # Scores with the flags appeals overturned taken out follow the new flags and scores (review/adjust.py).
        from qc_pipeline.review.adjust import refresh_adjusted

        refresh_adjusted(con, ruleset, scorecard)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.partitions = len(targets)
    report.rule_partitions = targets.filter(pl.col("kind") == "rules").height
    report.score_partitions = targets.filter(pl.col("kind") == "scores").height
    report.weeks = sorted(set(targets["week"].to_list()))
    clock.lap("write")
    return report


def _rescore_all(con, report: RebuildReport, targets: pl.DataFrame, done: pl.DataFrame, roster: pl.DataFrame,
                 config: Config, ruleset: RuleSet, scorecard: Scorecard, clock: _Clock) -> list[pl.DataFrame]:
    """Flags and scores of the rule targets, scores of the score targets, then the agent-weekly tables of
    every partition whose scores changed. Runs after the full targets, so it reads their new rows.
    Returns the (shop, week) partitions whose agent_week it rewrote."""
    partly = targets.filter(pl.col("kind") != "full")
    rewritten: list[pl.DataFrame] = []
    if partly.is_empty():
        return rewritten
    for settings, shops in _batches(con, partly, config):
        mine = partly.filter(pl.col("shop").is_in(shops))
        done_here = done.filter(pl.col("shop").is_in(shops)).select("shop", "week")
        new = rescore(con, shops, mine.filter(pl.col("kind") == "rules"), mine, done_here, ruleset, scorecard)
        clock.lap("rescore")
        if not new.rule_keys.is_empty():
            _replace(con, report, "flags", new.flags, new.rule_keys, None)
        for name, rows in new.scores.items():
            _replace(con, report, name, rows, new.score_keys, new.partial)
        clock.lap("write")
        touched = new.touched
        rewritten.append(touched.select("shop", "week"))
        rows = {name: store.read_partitions(con, name, touched) for name in WEEKLY_INPUTS}
        weekly = agent_weekly_tables(rows["rounds"], rows["flags"], rows["inquiries"], rows["session_scores"],
                                     roster, settings, rows["sessions"], rows["promises"], rows["payment_reminders"],
                                     rows["handovers"], rows["order_remarks"])
        for name, frame in weekly.items():
            _replace(con, report, name, frame.join(touched, on=["shop", "week"], how="semi"), touched, None)
        clock.lap("weekly")
        report.flags += len(new.flags)
        report.partial_buyers += len(new.partial)
        report.agent_weeks += len(weekly["agent_week"])
    return rewritten


def _monthly(con, report: RebuildReport, rewritten: pl.DataFrame, roster: pl.DataFrame, config: Config) -> None:
    """agent_month of every (shop, month) a rewritten week overlaps, from the stored rows of all the weeks
    of that month (read after every other table of this run is written)."""
    if rewritten.is_empty():
        return
    parts = months_of_weeks(rewritten)
    # One shop and month at a time: what is held in memory is one shop's few weeks of rows, however many
    # shops and months a run touches (a shop's figures never read another shop's rows).
    for shop in parts["shop"].unique().sort().to_list():
        settings = config.for_shop(shop)
        for month in parts.filter(pl.col("shop") == shop)["month"].unique().sort().to_list():
            _shop_month(con, report, parts.filter((pl.col("shop") == shop) & (pl.col("month") == month)),
                        roster, settings)


def _shop_month(con, report: RebuildReport, mine: pl.DataFrame, roster: pl.DataFrame, settings: Config) -> None:
    """agent_month of one shop and month, from the stored rows of the weeks it overlaps."""
    weeks = mine.select("shop", "week").unique()
    rows = {name: store.read_partitions(con, name, weeks) for name in WEEKLY_INPUTS}
    months = mine.select("shop", "month").unique()
    frame = agent_month_table(rows["rounds"], rows["flags"], rows["inquiries"], rows["session_scores"], roster,
                              settings, rows["sessions"], rows["promises"], rows["payment_reminders"],
                              rows["handovers"], rows["order_remarks"])
    # The weeks at a month's edges also hold rows of the neighbouring months, which are not whole here.
    frame = frame.join(months, on=["shop", "month"], how="semi")
    store.replace_months(con, "agent_month", _conform("agent_month", frame), months)
    report.add_written("agent_month", len(frame))


def _replace(con, report: RebuildReport, table: str, rows: pl.DataFrame, full: pl.DataFrame,
             partial: pl.DataFrame | None) -> None:
    store.replace_rows(con, table, _conform(table, rows), full, partial)
    report.add_written(table, len(rows))


def _weekly(con, touched: pl.DataFrame, roster: pl.DataFrame, settings: Config) -> dict[str, pl.DataFrame]:
    """agent_week, agent_week_flags and shop_week of the touched partitions, from all their stored rows."""
    rows = {name: store.read_partitions(con, name, touched) for name in WEEKLY_INPUTS}
    # Silent orders count in the week they were paid, which may differ from the order's partition.
    attribution = pl.concat([store.read_partitions(con, "order_attribution", touched), _paid_elsewhere(con, touched)])
    shops = touched["shop"].unique().to_list()
    weekly = weekly_tables(rows["rounds"], rows["flags"], rows["inquiries"], attribution,
                           rows["session_scores"], roster, store.order_span(con, shops), settings, rows["sessions"],
                           rows["promises"], rows["payment_reminders"], rows["handovers"], rows["order_remarks"])
    keys = touched.select("shop", "week")
    return {name: frame.join(keys, on=["shop", "week"], how="semi") for name, frame in weekly.items()}


def _paid_elsewhere(con, touched: pl.DataFrame) -> pl.DataFrame:
    _touched_weeks = touched.select("shop", "week").to_arrow()  # noqa: F841 (found by name)
    return con.sql(
        """SELECT a.* FROM order_attribution a JOIN _touched_weeks t
             ON a.shop = t.shop AND strftime(a.paid_at, '%G-W%V') = t.week
           WHERE a.week IS DISTINCT FROM t.week"""
    ).pl()


_COLUMNS: dict[str, list[str]] = {}


def table_columns(table: str) -> list[str]:
    """A derived table's columns, as its DDL declares them (every table's at once: one scratch database)."""
    if not _COLUMNS:
        scratch = duckdb.connect()
        for name, ddl in DERIVED_TABLES.items():
            scratch.execute(ddl)
        for name, column in scratch.execute(
            "SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position"
        ).fetchall():
            _COLUMNS.setdefault(name, []).append(column)
        scratch.close()
    return _COLUMNS[table]


def _conform(table: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The rows with exactly the table's declared columns: a stage that produces another set is a bug."""
    declared = table_columns(table)
    missing = [c for c in declared if c not in rows.columns]
    extra = [c for c in rows.columns if c not in declared]
    if missing or extra:
        raise AssertionError(f"{table}: stage columns differ from the DDL (missing {missing}, extra {extra})")
    return rows.select(declared)


def _account(report: RebuildReport, tables, weekly, full, partial, roster) -> None:
    report.sessions += len(tables["sessions"])
    report.rounds += len(tables["rounds"])
    report.flags += len(tables["flags"])
    report.inquiries += len(tables["inquiries"])
    report.agent_weeks += len(weekly["agent_week"])
    report.partial_buyers += len(partial)
    report.unattributed_rounds += tables["rounds"].filter(pl.col("agent").is_null()).height
    report.orders_unmatched += tables["order_attribution"].filter(~pl.col("matched_buyer")).height
    known = set(roster["agent"].to_list())
    seen = set(tables["rounds"]["agent"].drop_nulls().unique().to_list())
    report.agents_without_roster = sorted(set(report.agents_without_roster) | {a for a in seen if a not in known})
    report.messages += int(tables["sessions"]["n_buyer_msgs"].sum() or 0) + int(tables["sessions"]["n_agent_msgs"].sum() or 0)


__all__ = ["RebuildReport", "rebuild", "table_columns"]
