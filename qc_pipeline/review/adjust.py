"""Scores with the flags an appeal overturned taken out, beside the machine's.

An appeal's latest decision for a flag wins; an overturned flag no longer deducts. The sessions holding
one are scored again by the conductor's own `score_tables` from their stored rounds, flags (less the
overturned ones) and inquiries: `adjusted_scores`. `adjusted_agent_week` holds every agent-week's machine
average beside the average with those adjusted scores in place. Both are recomputed whole after every
import and every rebuild (a new rule set may drop or bring back a flag), in the caller's transaction.
"""
from __future__ import annotations

import duckdb
import polars as pl

from qc_pipeline.conductor.stages import score_tables
from qc_pipeline.review.ids import FLAG_ID_SQL
from qc_pipeline.rules import RuleSet
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.store import partitions as store

OVERTURNED_SQL = """
    SELECT flag_id FROM (
        SELECT flag_id, decision, row_number() OVER (PARTITION BY flag_id ORDER BY "at" DESC, review_id DESC) AS n
        FROM reviews WHERE kind = 'appeal') WHERE n = 1 AND decision = 'overturned'"""


def overturned_flags(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The stored flags whose latest appeal overturned them, with their id."""
    return con.sql(f"""
        SELECT * FROM (SELECT {FLAG_ID_SQL} AS flag_id, f.* FROM flags f) x
        SEMI JOIN ({OVERTURNED_SQL}) o USING (flag_id)""").pl()


def adjusted_session_scores(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, scorecard: Scorecard) -> pl.DataFrame:
    overturned = overturned_flags(con)
    columns = ["session_id", "shop", "week", "agent", "buyer", "score", "adjusted_score", "auto_failed",
               "adjusted_auto_failed", "compliance", "adjusted_compliance", "overturned_flags"]
    if overturned.is_empty():
        return pl.DataFrame(schema={c: pl.Utf8 for c in columns}).head(0)
    _ids = overturned.select("session_id").unique().to_arrow()  # noqa: F841 (read by name)
    sessions = con.sql("SELECT s.* FROM sessions s SEMI JOIN _ids USING (session_id)").pl()
    rounds = store.rows_of_sessions(con, "rounds", sessions, "started_at")
    flags = store.rows_of_sessions(con, "flags", sessions, "sent_at")
    drop = overturned.select("msg_id", "rule_id", "start", "end")
    kept = flags.join(drop, on=["msg_id", "rule_id", "start", "end"], how="anti")
    new = score_tables(sessions, rounds, kept, store.inquiries_of(con, sessions), ruleset, scorecard)["session_scores"]
    machine = con.sql("SELECT sc.* FROM session_scores sc SEMI JOIN _ids USING (session_id)").pl()
    counts = overturned.group_by("session_id").agg(pl.len().cast(pl.Int64).alias("overturned_flags"))
    return machine.select("session_id", "shop", "week", "agent", "buyer", "score", "auto_failed", "compliance").join(
        new.select("session_id", pl.col("score").alias("adjusted_score"),
                   pl.col("auto_failed").alias("adjusted_auto_failed"),
                   pl.col("compliance").alias("adjusted_compliance")), on="session_id", how="inner",
    ).join(counts, on="session_id", how="left").select(columns)


def refresh_adjusted(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, scorecard: Scorecard) -> None:
    """Replace adjusted_scores and adjusted_agent_week (inside the caller's transaction)."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if not {"reviews", "adjusted_scores", "adjusted_agent_week", "session_scores", "agent_week"} <= tables:
        return
    appeals = con.execute("SELECT count(*) FROM reviews WHERE kind = 'appeal'").fetchall()[0][0]
    adjusted = adjusted_session_scores(con, ruleset, scorecard) if appeals else pl.DataFrame()
    con.execute("DELETE FROM adjusted_scores")
    if not adjusted.is_empty():
        _adjusted = adjusted.to_arrow()  # noqa: F841 (read by name)
        con.execute("INSERT INTO adjusted_scores BY NAME SELECT * FROM _adjusted")
    con.execute("DELETE FROM adjusted_agent_week")
    # The same figures as weekly_scores (sessions with an agent, rounded to 2), machine and adjusted.
    con.execute(f"""
        INSERT INTO adjusted_agent_week BY NAME
        WITH scored AS (
            SELECT sc.week, sc.shop, sc.agent,
                   round(avg(coalesce(a.adjusted_score, sc.score)), 2) AS qc_score_adjusted_avg,
                   CAST(sum(CAST(coalesce(a.adjusted_auto_failed, sc.auto_failed) AS INTEGER)) AS BIGINT)
                       AS auto_failed_adjusted_sessions
            FROM session_scores sc LEFT JOIN adjusted_scores a USING (session_id)
            WHERE sc.agent IS NOT NULL GROUP BY ALL
        ), overturned AS (
            SELECT week, shop, agent, count(*) AS overturned_flags FROM (
                SELECT {FLAG_ID_SQL} AS flag_id, f.week, f.shop, f.agent FROM flags f) x
            SEMI JOIN ({OVERTURNED_SQL}) o USING (flag_id) GROUP BY ALL
        )
        SELECT aw.week, aw.shop, aw.agent, aw.qc_score_avg,
               coalesce(s.qc_score_adjusted_avg, aw.qc_score_avg) AS qc_score_adjusted_avg,
               aw.auto_failed_sessions,
               coalesce(s.auto_failed_adjusted_sessions, aw.auto_failed_sessions) AS auto_failed_adjusted_sessions,
               coalesce(o.overturned_flags, 0) AS overturned_flags
        FROM agent_week aw
        LEFT JOIN scored s ON s.week = aw.week AND s.shop = aw.shop AND s.agent = aw.agent
        LEFT JOIN overturned o ON o.week = aw.week AND o.shop = aw.shop AND o.agent = aw.agent""")
