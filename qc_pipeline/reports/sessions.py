"""The week's sessions in DuckDB: one row of facts per session, and the few per agent a page shows.

Everything here is aggregated, ranked and limited in SQL (window functions), so Python only ever sees
the full session list as one columnar frame (for ``sessions.csv``) and a bounded number of rows per agent.
Chat text and nicks leave this module unmasked; ``detail`` and ``lists`` mask them.
"""
from __future__ import annotations

import duckdb
import polars as pl

from qc_pipeline.reports import limits
from qc_pipeline.reports.naming import account_sql
from qc_pipeline.store.schema import FLAG_MESSAGE_JOIN

# Messages of one buyer at the same second sort buyer first, then auto/system, then agent (as sessions do).
ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"

_FACTS_SQL = """
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
), sc AS (
    SELECT * FROM session_scores WHERE week = $week
), d AS (
    SELECT d.session_id, count(*) AS deductions
    FROM score_deductions d SEMI JOIN sc ON sc.session_id = d.session_id
    GROUP BY d.session_id
)
SELECT sc.week, sc.shop, sc.agent, sc.session_id, ss.buyer, ss.started_at, ss.ended_at,
       sc.score, sc.auto_failed, sc.responsiveness, sc.compliance, sc.outcome,
       coalesce(r.rounds, 0) AS rounds, coalesce(r.unanswered_rounds, 0) AS unanswered_rounds,
       r.first_wait_s, r.max_wait_s, coalesce(f.flags, 0) AS flags, coalesce(f.auto_flags, 0) AS auto_flags,
       coalesce(d.deductions, 0) AS deductions
FROM sc
LEFT JOIN sessions ss USING (session_id)
LEFT JOIN r USING (session_id)
LEFT JOIN f USING (session_id)
LEFT JOIN d USING (session_id)
ORDER BY sc.session_id
"""

# Each kind: which sessions qualify and which come first, as a sort key (DuckDB compares structs field by
# field, NULLs last; a minus sign puts the largest first). The session id ends every key, so the same
# warehouse always shows the same sessions.
_KINDS = {
    "auto_failed": ("auto_failed", "score, compliance"),
    "unanswered": ("unanswered_rounds > 0", "-unanswered_rounds, -max_wait_s"),
    "slowest": ("max_wait_s IS NOT NULL", "-max_wait_s"),
    "best": ("NOT auto_failed", "-score, -rounds"),
}
WORST = ("TRUE", "score")


def _key(order: str) -> str:
    fields = [f.strip() for f in order.split(",")] + ["session_id"]
    return "{" + ", ".join(f"'k{i}': {f}" for i, f in enumerate(fields)) + "}"


def facts(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """Every session of the week with its score, waits and counts (the full list), by session id."""
    # Sorted by DuckDB, within its memory limit: a polars sort of the frame it hands over copied all of a
    # 5-million-message week's 830,000 rows once more (a third of the reports' largest memory).
    return con.sql(_FACTS_SQL, params={"week": week}).pl()


def _long(rows: list[tuple], kinds: list[str]) -> pl.DataFrame:
    out = {"account": [], "kind": [], "session_id": [], "kind_rank": [], "kind_total": []}
    for key, *cells in rows:
        for kind, ids, total in zip(kinds, cells[0::2], cells[1::2]):
            for rank, sid in enumerate(ids or [], start=1):
                out["account"].append(key)
                out["kind"].append(kind)
                out["session_id"].append(sid)
                out["kind_rank"].append(rank)
                out["kind_total"].append(total)
    return pl.DataFrame(out, schema={"account": pl.String, "kind": pl.String, "session_id": pl.String,
                                     "kind_rank": pl.Int64, "kind_total": pl.Int64})


def ranked(con: duckdb.DuckDBPyConnection, week: str, facts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(reading, worst), both (account, kind, session_id, kind_rank, kind_total), ``account`` the agent's
    key (naming.account: one per shop and agent).

    reading: the sessions worth reading, at most ``limits.READING[kind]`` per agent and kind. Flagged
    sessions are the agent's own flags (an agent flagged in a colleague's session sees it too); the other
    kinds go by the session's scored agent. worst: each agent's lowest-scored sessions. One pass over the
    facts per query: ``min_by(…, n)`` keeps the first n of each agent without sorting the week."""
    con.register("qc_report_facts", facts.to_arrow())
    try:
        kinds = list(_KINDS)
        cells = ", ".join(
            f"min_by(session_id, {_key(order)}, {int(limits.READING[kind])}) FILTER (WHERE {where}), "
            f"count(*) FILTER (WHERE {where})"
            for kind, (where, order) in _KINDS.items()
        )
        per_kind = con.sql(f"""SELECT {account_sql()} AS account, {cells} FROM qc_report_facts
                               WHERE agent IS NOT NULL GROUP BY account ORDER BY account""").fetchall()
        flagged = con.sql(f"""
            SELECT account, min_by(session_id, {_key('score')}, {int(limits.READING['flagged'])}), count(*)
            FROM (SELECT DISTINCT {account_sql('fl.shop', 'fl.agent')} AS account, fl.session_id, s.score FROM flags fl
                  LEFT JOIN qc_report_facts s USING (session_id)
                  WHERE fl.week = $week AND fl.agent IS NOT NULL AND fl.session_id IS NOT NULL)
            GROUP BY account ORDER BY account""", params={"week": week}).fetchall()
        worst = con.sql(f"""
            SELECT {account_sql()} AS account, min_by(session_id, {_key(WORST[1])}, {int(limits.WORST_SESSIONS_SHOWN)}),
                   count(*)
            FROM qc_report_facts WHERE agent IS NOT NULL GROUP BY account ORDER BY account""").fetchall()
    finally:
        con.unregister("qc_report_facts")
    reading = pl.concat([_long(flagged, ["flagged"]), _long(per_kind, kinds)]).sort("account", "kind", "kind_rank")
    return reading, _long(worst, ["worst"])


def _ids(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> None:
    con.register("qc_report_ids", ids.select("session_id").unique().sort("session_id").to_arrow())


def deductions(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> pl.DataFrame:
    _ids(con, ids)
    try:
        return con.sql("""
            SELECT d.session_id, d.category, d.points, d.reason, d.msg_id FROM score_deductions d
            SEMI JOIN qc_report_ids USING (session_id)
            ORDER BY d.session_id, d.points DESC, d.category, d.reason, d.msg_id""").pl()
    finally:
        con.unregister("qc_report_ids")


def transcripts(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame) -> pl.DataFrame:
    """Every message of the given sessions, in session order, with its position.

    Messages carry no session id: they are found by shop, buyer and the session's time span.
    """
    _ids(con, ids)
    try:
        return con.sql(f"""
            WITH picked AS (
                SELECT s.session_id, s.shop, s.buyer, s.started_at, s.ended_at FROM sessions s
                SEMI JOIN qc_report_ids USING (session_id)
            ), hit AS (
                -- only the key columns of every message are read; the text of the few found comes after.
                -- Found again by (msg_id, source_path, source_line), not rowid: a lake's messages are a view.
                SELECT m.msg_id AS rid, m.source_path AS rpath, m.source_line AS rline, p.session_id FROM messages m
                JOIN picked p ON m.shop = p.shop AND m.buyer = p.buyer AND m.sent_at BETWEEN p.started_at AND p.ended_at
            )
            SELECT h.session_id, m.msg_id, m.role, m.agent, m.buyer, m.sent_at, m.text,
                   row_number() OVER (PARTITION BY h.session_id
                       ORDER BY m.sent_at, {ROLE_ORDER}, m.source_path, m.source_line, m.msg_id) - 1 AS pos,
                   count(*) OVER (PARTITION BY h.session_id) AS session_messages
            FROM messages m JOIN hit h ON m.msg_id = h.rid AND m.source_path = h.rpath AND m.source_line = h.rline
            ORDER BY h.session_id, pos""").pl()
    finally:
        con.unregister("qc_report_ids")


def session_flags(con: duckdb.DuckDBPyConnection, week: str, ids: pl.DataFrame) -> pl.DataFrame:
    """The flags in the given sessions (any agent's, auto-replies included)."""
    _ids(con, ids)
    try:
        return con.sql("""
            SELECT f.msg_id, f.session_id, f.agent, f.role, f.sent_at, f.rule_id, f.category, f.severity,
                   f.start, f."end", f.matched
            FROM flags f SEMI JOIN qc_report_ids USING (session_id)
            WHERE f.week = $week
            ORDER BY f.session_id, f.sent_at, f.msg_id, f.start, f.rule_id""", params={"week": week}).pl()
    finally:
        con.unregister("qc_report_ids")


def all_flags(con: duckdb.DuckDBPyConnection, week: str, facts: pl.DataFrame) -> pl.DataFrame:
    """Every flag of the week with its message, lowest session score first (the full list)."""
    frame = con.sql(f"""
        SELECT f.week, f.shop, f.agent, f.session_id, f.sent_at, f.role, f.rule_id,
               f.category, f.severity, f.start, f."end", f.matched, f.msg_id, m.text, m.buyer
        FROM flags f LEFT JOIN messages m ON {FLAG_MESSAGE_JOIN}
        WHERE f.week = $week""", params={"week": week}).pl()
    scores = facts.select("session_id", pl.col("score").alias("session_score"))
    return frame.join(scores, on="session_id", how="left").sort(
        ["session_score", "session_id", "sent_at", "msg_id", "start", "rule_id"], nulls_last=True)
