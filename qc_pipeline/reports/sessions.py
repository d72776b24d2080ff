"""The week's sessions in DuckDB: one row of facts per session, and the few per agent a page shows.

Everything here is aggregated, ranked and limited in SQL (window functions), so Python only ever sees
the full session list as one columnar frame (for ``sessions.csv``) and a bounded number of rows per agent.
Chat text and nicks leave this module unmasked; ``detail`` and ``lists`` mask them.
"""
from __future__ import annotations

import duckdb
import polars as pl

from qc_pipeline.reports import limits

FACTS = "qc_report_sessions"  # a temporary table, for the connection only
# Messages of one buyer at the same second sort buyer first, then auto/system, then agent (as sessions do).
ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"

_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE {FACTS} AS
WITH r AS (
    SELECT session_id, count(*) AS rounds,
           count(*) FILTER (WHERE unanswered) AS unanswered_rounds,
           min(wait_seconds) FILTER (WHERE is_first AND NOT unanswered) AS first_wait_s,
           max(wait_seconds) FILTER (WHERE NOT unanswered) AS max_wait_s
    FROM rounds WHERE week = $week GROUP BY session_id
), f AS (
    SELECT session_id, count(*) FILTER (WHERE role = 'agent') AS flags,
           count(*) FILTER (WHERE role IS DISTINCT FROM 'agent') AS auto_flags
    FROM flags WHERE week = $week AND session_id IS NOT NULL GROUP BY session_id
), d AS (
    SELECT d.session_id, count(*) AS deductions
    FROM score_deductions d SEMI JOIN session_scores s ON s.session_id = d.session_id AND s.week = $week
    GROUP BY d.session_id
)
SELECT sc.week, sc.shop, sc.agent, sc.session_id, ss.buyer, ss.started_at, ss.ended_at,
       sc.score, sc.auto_failed, sc.responsiveness, sc.compliance, sc.outcome,
       coalesce(r.rounds, 0) AS rounds, coalesce(r.unanswered_rounds, 0) AS unanswered_rounds,
       r.first_wait_s, r.max_wait_s, coalesce(f.flags, 0) AS flags, coalesce(f.auto_flags, 0) AS auto_flags,
       coalesce(d.deductions, 0) AS deductions
FROM session_scores sc
LEFT JOIN sessions ss USING (session_id)
LEFT JOIN r USING (session_id)
LEFT JOIN f USING (session_id)
LEFT JOIN d USING (session_id)
WHERE sc.week = $week
"""

# Each kind: which sessions qualify and which come first. Ties fall to the session id, so the same
# warehouse always shows the same sessions.
_KINDS = {
    "auto_failed": ("auto_failed", "score, compliance, session_id"),
    "unanswered": ("unanswered_rounds > 0", "unanswered_rounds DESC, max_wait_s DESC NULLS LAST, session_id"),
    "slowest": ("max_wait_s IS NOT NULL", "max_wait_s DESC, session_id"),
    "best": ("NOT auto_failed", "score DESC, rounds DESC, session_id"),
}


def build_facts(con: duckdb.DuckDBPyConnection, week: str) -> None:
    con.execute(_FACTS_SQL, {"week": week})


def facts_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every session of the week, by agent and worst first (the full list)."""
    return con.sql(f"SELECT * FROM {FACTS} ORDER BY agent NULLS LAST, score, session_id").pl()


def reading(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """(agent, kind, kind_rank, kind_total, session_id): the sessions worth reading, at most
    ``limits.READING[kind]`` per agent and kind. Flagged sessions are the agent's own flags (an agent flagged
    in a colleague's session sees it too); the other kinds go by the session's scored agent."""
    parts = [f"""
        SELECT agent, 'flagged' AS kind, session_id,
               row_number() OVER (PARTITION BY agent ORDER BY score NULLS LAST, session_id) AS kind_rank,
               count(*) OVER (PARTITION BY agent) AS kind_total
        FROM (SELECT fl.agent, fl.session_id, any_value(s.score) AS score
              FROM flags fl LEFT JOIN {FACTS} s USING (session_id)
              WHERE fl.week = $week AND fl.agent IS NOT NULL AND fl.session_id IS NOT NULL
              GROUP BY fl.agent, fl.session_id)
        QUALIFY kind_rank <= {int(limits.READING['flagged'])}"""]
    for kind, (where, order) in _KINDS.items():
        parts.append(f"""
        SELECT agent, '{kind}' AS kind, session_id,
               row_number() OVER (PARTITION BY agent ORDER BY {order}) AS kind_rank,
               count(*) OVER (PARTITION BY agent) AS kind_total
        FROM {FACTS} WHERE agent IS NOT NULL AND {where}
        QUALIFY kind_rank <= {int(limits.READING[kind])}""")
    sql = " UNION ALL ".join(parts) + " ORDER BY agent, kind, kind_rank"
    return con.sql(sql, params={"week": week}).pl()


def worst(con: duckdb.DuckDBPyConnection, n: int = limits.WORST_SESSIONS_SHOWN) -> pl.DataFrame:
    """The ``n`` lowest-scored sessions of each agent, with their totals per agent."""
    return con.sql(f"""
        SELECT *, row_number() OVER (PARTITION BY agent ORDER BY score, session_id) AS worst_rank,
               count(*) OVER (PARTITION BY agent) AS agent_sessions
        FROM {FACTS} WHERE agent IS NOT NULL
        QUALIFY worst_rank <= {int(n)}
        ORDER BY agent, worst_rank""").pl()


def session_rows(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> pl.DataFrame:
    """The facts of the given sessions (a frame with ``session_id``)."""
    con.register("qc_report_ids", ids.select("session_id").unique().to_arrow())
    try:
        return con.sql(f"SELECT s.* FROM {FACTS} s SEMI JOIN qc_report_ids USING (session_id)").pl()
    finally:
        con.unregister("qc_report_ids")


def deductions(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> pl.DataFrame:
    con.register("qc_report_ids", ids.select("session_id").unique().to_arrow())
    try:
        return con.sql("""
            SELECT d.session_id, d.category, d.points, d.reason, d.msg_id FROM score_deductions d
            SEMI JOIN qc_report_ids USING (session_id)
            ORDER BY d.session_id, d.points DESC, d.category, d.reason, d.msg_id""").pl()
    finally:
        con.unregister("qc_report_ids")


def transcripts(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> pl.DataFrame:
    """Every message of the given sessions, in session order, with its position.

    Messages carry no session id: they are found by shop, buyer and the session's time span. The join
    first reads only those key columns and keeps row ids, then fetches the text of the few rows it found.
    """
    con.register("qc_report_ids", ids.select("session_id").unique().to_arrow())
    try:
        return con.sql(f"""
            WITH picked AS (
                SELECT s.session_id, s.shop, s.buyer, s.started_at, s.ended_at FROM sessions s
                SEMI JOIN qc_report_ids USING (session_id)
            ), hit AS (
                SELECT m.rowid AS rid, p.session_id FROM messages m
                JOIN picked p ON m.shop = p.shop AND m.buyer = p.buyer
                     AND m.sent_at BETWEEN p.started_at AND p.ended_at
            )
            SELECT h.session_id, m.msg_id, m.role, m.agent, m.buyer, m.sent_at, m.text,
                   row_number() OVER (PARTITION BY h.session_id
                       ORDER BY m.sent_at, {ROLE_ORDER}, m.source_path, m.source_line, m.msg_id) - 1 AS pos,
                   count(*) OVER (PARTITION BY h.session_id) AS session_messages
            FROM messages m JOIN hit h ON m.rowid = h.rid
            ORDER BY h.session_id, pos""").pl()
    finally:
        con.unregister("qc_report_ids")


def session_flags(con: duckdb.DuckDBPyConnection, week: str, ids: pl.DataFrame) -> pl.DataFrame:
    """The flags in the given sessions (any agent's, auto-replies included)."""
    con.register("qc_report_ids", ids.select("session_id").unique().to_arrow())
    try:
        return con.sql("""
            SELECT f.msg_id, f.session_id, f.agent, f.role, f.sent_at, f.rule_id, f.category, f.severity,
                   f.start, f."end", f.matched
            FROM flags f SEMI JOIN qc_report_ids USING (session_id)
            WHERE f.week = $week
            ORDER BY f.session_id, f.sent_at, f.msg_id, f.start, f.rule_id""", params={"week": week}).pl()
    finally:
        con.unregister("qc_report_ids")


def all_flags(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """Every flag of the week with its message, lowest session score first (the full list)."""
    return con.sql(f"""
        SELECT f.week, f.shop, f.agent, f.session_id, s.score AS session_score, f.sent_at, f.role, f.rule_id,
               f.category, f.severity, f.start, f."end", f.matched, f.msg_id, m.text, m.buyer
        FROM flags f
        LEFT JOIN (SELECT rowid AS rid, msg_id FROM messages) ids USING (msg_id)
        LEFT JOIN messages m ON m.rowid = ids.rid
        LEFT JOIN {FACTS} s USING (session_id)
        WHERE f.week = $week
        ORDER BY s.score NULLS LAST, f.session_id NULLS LAST, f.sent_at, f.msg_id, f.start, f.rule_id""",
                   params={"week": week}).pl()
