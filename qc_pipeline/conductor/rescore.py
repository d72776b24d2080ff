"""A new rule set or scorecard: recompute flags and what reads them from stored rows, not whole partitions.

A partition built with the current settings for its shop but another rule set is a *rule target*: its
flags are recomputed from the stored messages and sessions (every reply with the buyer message it
answers), then the scores of every session holding one of its messages. One built with another scorecard
only is a *score target*: its sessions are scored again from their stored rounds, flags and inquiries.
Rounds, sessions, inquiries and order attribution are read, never written; agent_week and
agent_week_flags of every partition whose scores changed follow (`rebuild`). See docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from qc_pipeline.conductor.stages import score_tables, stored_flags_table
from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.rules import RuleSet
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.store import partitions as store

KEYS = ["shop", "week"]


@dataclass
class Rescored:
    """New rows, and the scope they replace: `flags` replaces the flags of `rule_keys`; the scores replace
    those of `score_keys` (shop, week) and of `partial` (shop, week, buyer)."""
    flags: pl.DataFrame
    scores: dict[str, pl.DataFrame]
    rule_keys: pl.DataFrame
    score_keys: pl.DataFrame
    partial: pl.DataFrame

    @property
    def touched(self) -> pl.DataFrame:
        """The (shop, week) partitions whose weekly tables read the new rows."""
        return pl.concat([self.score_keys.select(KEYS), self.partial.select(KEYS)]).unique()


def _weeks_spanned(sessions: pl.DataFrame) -> pl.DataFrame:
    """(session_id, shop, buyer, placed, week): every ISO week each session has time in; `placed` is the
    week it started in, its partition."""
    return sessions.select(
        "session_id", "shop", "buyer", pl.col("week").alias("placed"),
        pl.datetime_ranges(pl.col("started_at").dt.truncate("1w"), pl.col("ended_at"), "1w").alias("_monday"),
    ).explode("_monday").with_columns(iso_week("_monday").alias("week")).drop("_monday")


def rescore(con: duckdb.DuckDBPyConnection, shops: list[str], rule_keys: pl.DataFrame, score_keys: pl.DataFrame,
            done_keys: pl.DataFrame, ruleset: RuleSet, scorecard: Scorecard) -> Rescored:
    """`rule_keys` and `score_keys` are (shop, week) of these shops, `score_keys` holding the rule targets
    too; `done_keys` are partitions this run rebuilt in full already (their scores are current)."""
    rule_keys, score_keys = rule_keys.select(KEYS), score_keys.select(KEYS)
    # The sessions with a message in a rule target: those placed there, and those started earlier that
    # run into it.
    crossing = store.crossing_sessions(con, shops)
    into = _weeks_spanned(crossing).join(rule_keys, on=KEYS, how="semi")
    flagged = pl.concat([
        store.read_partitions(con, "sessions", rule_keys),
        crossing.join(into.select("session_id").unique(), on="session_id", how="semi"),
    ]).unique("session_id")
    requests = flagged.group_by("shop", "buyer").agg(
        pl.col("started_at").min().alias("lo"), (pl.col("ended_at").max() + pl.duration(microseconds=1)).alias("hi"))
    flags = stored_flags_table(store.read_messages(con, requests), flagged, ruleset).join(rule_keys, on=KEYS,
                                                                                          how="semi")
    # Sessions placed outside the score targets that hold a message of a rule target: scored again, by buyer.
    current = pl.concat([score_keys, done_keys.select(KEYS)])
    partial = into.select("shop", pl.col("placed").alias("week"), "buyer").unique().join(current, on=KEYS, how="anti")
    sessions = pl.concat([store.read_partitions(con, "sessions", score_keys),
                          store.read_buyer_partitions(con, "sessions", partial)])
    rounds = store.rows_of_sessions(con, "rounds", sessions, "started_at")
    kept = store.rows_of_sessions(con, "flags", sessions, "sent_at").join(rule_keys, on=KEYS, how="anti")
    session_flags = pl.concat([kept.select(flags.columns), flags.join(sessions.select("session_id"), on="session_id",
                                                                      how="semi")], how="vertical_relaxed")
    scores = score_tables(sessions, rounds, session_flags, store.inquiries_of(con, sessions), ruleset, scorecard)
    return Rescored(flags, scores, rule_keys, score_keys, partial)
