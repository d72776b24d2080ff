"""`qc rules diff`: what another rule set would change, from a scratch copy of the warehouse.

The warehouse file is copied aside and only the copy is opened for writing; there the flag and scoring
stages of the selected partitions run again with the new rule set (`conductor.rebuild`'s rule-target path,
exactly what `qc rebuild --rules` would run for a partition whose rule set alone changed), and the copy's
flags and scores are compared with the warehouse's: flags added and removed per rule and category (with
masked examples), and each agent's average QC score and rank before and after. The copy is removed after.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.config import Config
from qc_pipeline.reports import masking
from qc_pipeline.review.ids import FLAG_ID_SQL
from qc_pipeline.rules import RuleSet
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.store.warehouse import open_warehouse

FLAG_KEYS = ["msg_id", "rule_id", "start", "end"]


@dataclass
class RuleDiff:
    weeks: list[str]
    flags_before: pl.DataFrame      # every flag of the weeks, as stored
    flags_after: pl.DataFrame       # with the new rule set
    added: pl.DataFrame             # flags only the new rule set raises, with a masked example text
    removed: pl.DataFrame
    by_rule: pl.DataFrame           # rule_id, category, before, after, added, removed
    by_category: pl.DataFrame       # category, before, after, added, removed
    agents: pl.DataFrame            # shop, agent, sessions, score_before, score_after, rank_before, rank_after


def _flags(con: duckdb.DuckDBPyConnection, weeks: list[str]) -> pl.DataFrame:
    _weeks = pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow()  # noqa: F841 (read by name)
    return con.sql(f"""
        SELECT {FLAG_ID_SQL} AS flag_id, f.msg_id, f.rule_id, f.start, f."end", f.category, f.severity, f.role,
               f.session_id, f.shop, f.week, f.agent, f.buyer, f.sent_at, f.matched
        FROM flags f SEMI JOIN _weeks w ON f.week = w.week
        ORDER BY f.week, f.sent_at, f.msg_id, f.start, f.rule_id""").pl()


def _scores(con: duckdb.DuckDBPyConnection, weeks: list[str]) -> pl.DataFrame:
    _weeks = pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow()  # noqa: F841 (read by name)
    return con.sql("""
        SELECT shop, agent, count(*) AS sessions, round(avg(score), 2) AS score,
               CAST(sum(CAST(auto_failed AS INTEGER)) AS BIGINT) AS auto_failed
        FROM session_scores SEMI JOIN _weeks USING (week) WHERE agent IS NOT NULL GROUP BY ALL""").pl()


def _ranked(scores: pl.DataFrame, suffix: str) -> pl.DataFrame:
    # Highest average first; ties by agent, so the order is total.
    return scores.sort(["score", "agent"], descending=[True, False], nulls_last=True).with_row_index(
        f"rank_{suffix}", offset=1).rename({"score": f"score_{suffix}", "auto_failed": f"auto_failed_{suffix}"})


def _examples(con: duckdb.DuckDBPyConnection, flags: pl.DataFrame) -> pl.DataFrame:
    """`flags` with `example`: the message masked, the hit in 【】."""
    if flags.is_empty():
        return flags.with_columns(pl.lit(None, pl.Utf8).alias("example"))
    _ids = flags.select("msg_id").unique().to_arrow()  # noqa: F841 (read by name)
    texts = dict(con.sql("SELECT msg_id, text FROM messages SEMI JOIN _ids USING (msg_id)").fetchall())
    shown = []
    for msg_id, start, end, buyer in flags.select("msg_id", "start", "end", "buyer").iter_rows():
        pieces = masking.highlight(texts.get(msg_id) or "", [(start, end)], True, [buyer] if buyer else [])
        shown.append("".join(f"【{p}】" if hit else p for p, hit in pieces))
    return flags.with_columns(pl.Series("example", shown, dtype=pl.Utf8))


def _counts(before: pl.DataFrame, after: pl.DataFrame, added: pl.DataFrame, removed: pl.DataFrame,
            keys: list[str]) -> pl.DataFrame:
    parts = [frame.group_by(keys).agg(pl.len().cast(pl.Int64).alias(name))
             for frame, name in ((before, "before"), (after, "after"), (added, "added"), (removed, "removed"))]
    table = parts[0]
    for part in parts[1:]:
        table = table.join(part, on=keys, how="full", coalesce=True)
    return table.with_columns(pl.col(c).fill_null(0) for c in ("before", "after", "added", "removed")).sort(keys)


def scratch_copy(db: Path, folder: Path) -> Path:
    """The warehouse file (and its write-ahead log, if any) copied into `folder`; read, never written."""
    target = folder / db.name
    shutil.copyfile(db, target)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def rerun_rules(con: duckdb.DuckDBPyConnection, config: Config, ruleset: RuleSet, scorecard: Scorecard,
                weeks: list[str]) -> None:
    """The flag and scoring stages of every partition of `weeks`, with `ruleset`, in one transaction."""
    from qc_pipeline.conductor.rebuild import RebuildReport, _Clock, _rescore_all
    from qc_pipeline.store import partitions as store

    parts = store.partitions(con).filter(pl.col("week").is_in(weeks) & pl.col("rule_version").is_not_null())
    targets = parts.with_columns(pl.lit("rules").alias("kind"))
    report = RebuildReport()
    roster = con.sql("SELECT agent, name, role FROM agents").pl()
    con.execute("BEGIN TRANSACTION")
    try:
        _rescore_all(con, report, targets, targets.head(0).select("shop", "week"), roster, config, ruleset,
                     scorecard, _Clock(report))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def rule_diff(db: Path, config: Config, ruleset: RuleSet, scorecard: Scorecard, weeks: list[str],
              scratch_dir: Path | None = None) -> RuleDiff:
    """Compare the warehouse at `db` (opened read-only) with a scratch copy re-flagged with `ruleset`."""
    with tempfile.TemporaryDirectory(prefix="qc-rules-diff-", dir=scratch_dir) as folder:
        copy = scratch_copy(db, Path(folder))
        original = open_warehouse(db, read_only=True)
        try:
            before, scores_before = _flags(original, weeks), _scores(original, weeks)
            scratch = open_warehouse(copy)
            try:
                rerun_rules(scratch, config, ruleset, scorecard, weeks)
                after, scores_after = _flags(scratch, weeks), _scores(scratch, weeks)
            finally:
                scratch.close()
            added = _examples(original, after.join(before, on=FLAG_KEYS, how="anti"))
            removed = _examples(original, before.join(after, on=FLAG_KEYS, how="anti"))
        finally:
            original.close()
    agents = _ranked(scores_before, "before").join(
        _ranked(scores_after.drop("sessions"), "after"), on=["shop", "agent"], how="full", coalesce=True,
    ).select("shop", "agent", "sessions", "score_before", "score_after", "rank_before", "rank_after",
             "auto_failed_before", "auto_failed_after").sort("rank_after", "agent", nulls_last=True)
    return RuleDiff(
        weeks=weeks, flags_before=before, flags_after=after, added=added, removed=removed,
        by_rule=_counts(before, after, added, removed, ["rule_id", "category"]),
        by_category=_counts(before, after, added, removed, ["category"]),
        agents=agents,
    )
