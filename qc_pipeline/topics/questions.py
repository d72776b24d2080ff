"""Reading the warehouse for topic mining: opening questions, and what happened in those sessions."""
from __future__ import annotations

import duckdb
import polars as pl

# Enough of the opening to tell the topic; later messages drift into follow-up questions.
OPENING_MESSAGES = 3

_ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"


def _in_weeks(con: duckdb.DuckDBPyConnection, weeks: list[str]) -> None:
    con.register("_topic_weeks", pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow())


def opening_questions(con: duckdb.DuckDBPyConnection, weeks: list[str]) -> pl.DataFrame:
    """One row per session started in `weeks`: the buyer's messages before the first human reply
    (all of them when no one replied), at most OPENING_MESSAGES, joined with a space."""
    _in_weeks(con, weeks)
    try:
        return con.sql(
            f"""
            WITH s AS (
                SELECT s.session_id, s.shop, s.buyer, s.started_at, s.ended_at, r.replied_at
                FROM sessions s
                LEFT JOIN rounds r ON r.session_id = s.session_id AND r.is_first
                WHERE strftime(s.started_at, '%G-W%V') IN (SELECT week FROM _topic_weeks)
            ),
            opening AS (
                SELECT s.session_id, m.text,
                       row_number() OVER (
                           PARTITION BY s.session_id
                           ORDER BY m.sent_at, {_ROLE_ORDER}, m.source_path, m.source_line, m.msg_id) AS n
                FROM s JOIN messages m ON m.shop = s.shop AND m.buyer = s.buyer
                     AND m.sent_at BETWEEN s.started_at AND s.ended_at
                WHERE m.role = 'buyer' AND (s.replied_at IS NULL OR m.sent_at <= s.replied_at)
            )
            SELECT s.session_id, s.shop, s.buyer, s.started_at,
                   string_agg(o.text, ' ' ORDER BY o.n) AS question
            FROM s JOIN opening o USING (session_id)
            WHERE o.n <= {OPENING_MESSAGES}
            GROUP BY ALL
            ORDER BY s.started_at, s.session_id
            """
        ).pl()
    finally:
        con.unregister("_topic_weeks")


def _register_sessions(con: duckdb.DuckDBPyConnection, session_ids: list[str]) -> None:
    frame = pl.DataFrame({"session_id": session_ids}, schema={"session_id": pl.Utf8})
    con.register("_topic_sessions", frame.to_arrow())


def session_facts(con: duckdb.DuckDBPyConnection, session_ids: list[str]) -> pl.DataFrame:
    """Per session: first-round wait, its presale buyer-days and how many converted, human flags."""
    _register_sessions(con, session_ids)
    try:
        return con.sql(
            """
            WITH ids AS (SELECT DISTINCT session_id FROM _topic_sessions),
            first_round AS (
                SELECT session_id, wait_seconds, unanswered FROM rounds
                WHERE is_first AND session_id IN (SELECT session_id FROM ids)
            ),
            days AS (
                SELECT DISTINCT r.session_id, r.shop, r.buyer, CAST(r.replied_at AS DATE) AS day
                FROM rounds r
                WHERE NOT r.unanswered AND r.agent_role = 'presale' AND r.session_id IN (SELECT session_id FROM ids)
            ),
            day_outcome AS (
                SELECT shop, buyer, day, bool_or(credited_agent IS NOT NULL) AS converted
                FROM inquiries GROUP BY ALL
            ),
            buyer_days AS (
                SELECT d.session_id,
                       list(DISTINCT d.shop || chr(31) || d.buyer || chr(31) || CAST(d.day AS VARCHAR)) AS days,
                       list(DISTINCT d.shop || chr(31) || d.buyer || chr(31) || CAST(d.day AS VARCHAR))
                           FILTER (WHERE o.converted) AS converted_days
                FROM days d LEFT JOIN day_outcome o USING (shop, buyer, day)
                GROUP BY d.session_id
            ),
            human_flags AS (
                SELECT session_id, count(*) AS flags FROM flags
                WHERE role = 'agent' AND session_id IN (SELECT session_id FROM ids) GROUP BY session_id
            )
            SELECT ids.session_id, f.wait_seconds AS first_wait_s, coalesce(f.unanswered, false) AS first_unanswered,
                   coalesce(b.days, []) AS buyer_days, coalesce(b.converted_days, []) AS converted_days,
                   coalesce(h.flags, 0) AS flags
            FROM ids
            LEFT JOIN first_round f USING (session_id)
            LEFT JOIN buyer_days b USING (session_id)
            LEFT JOIN human_flags h USING (session_id)
            ORDER BY ids.session_id
            """
        ).pl()
    finally:
        con.unregister("_topic_sessions")


def agent_answers(con: duckdb.DuckDBPyConnection, session_ids: list[str]) -> pl.DataFrame:
    """Every human agent message of the sessions, with its session."""
    _register_sessions(con, session_ids)
    try:
        return con.sql(
            """
            SELECT s.session_id, s.buyer, m.text
            FROM sessions s
            JOIN messages m ON m.shop = s.shop AND m.buyer = s.buyer AND m.sent_at BETWEEN s.started_at AND s.ended_at
            WHERE m.role = 'agent' AND s.session_id IN (SELECT session_id FROM _topic_sessions)
            ORDER BY s.session_id, m.sent_at, m.source_path, m.source_line, m.msg_id
            """
        ).pl()
    finally:
        con.unregister("_topic_sessions")
