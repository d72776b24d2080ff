"""What is known about each session of a week, for classifying and ranking it as a case.

A session is a candidate for a week when one of its rounds belongs to that week, so a conversation that
runs from Sunday night into Monday can be picked in either week (and, unless repeats are allowed, in
only one of them).
"""
from __future__ import annotations

import duckdb
import polars as pl

from qc_pipeline.cases.settings import CaseCriteria

_ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"

# The week's candidates: sessions with a round in the week.
_CANDIDATES = "cand AS (SELECT DISTINCT session_id FROM rounds WHERE week = $week)"

# Three queries, joined in polars: as one query, the hash tables of all its joins were held at once
# (about a gigabyte for a 5-million-message week); each of these frees its own before the next starts.
_SESSION_FACTS = f"""
WITH {_CANDIDATES},
s AS (
    SELECT s.session_id, s.shop, s.buyer, s.started_at, s.ended_at,
           coalesce(sc.agent, s.primary_agent) AS agent, sc.score, coalesce(sc.auto_failed, false) AS auto_failed
    FROM sessions s JOIN cand USING (session_id) LEFT JOIN session_scores sc USING (session_id)
),
r AS (
    SELECT session_id,
           any_value(wait_seconds) FILTER (WHERE is_first) AS first_wait_s,
           any_value(target_seconds) FILTER (WHERE is_first) AS first_target_s,
           coalesce(bool_or(is_first AND unanswered), false) AS first_unanswered,
           coalesce(bool_and(met_target OR unanswered), true) AS replies_on_target,
           count(*) FILTER (WHERE unanswered) AS unanswered_rounds,
           any_value(round_no) FILTER (WHERE unanswered) AS unanswered_round,
           coalesce(bool_or(agent_role = 'presale' AND NOT unanswered), false) AS presale,
           coalesce(bool_or(agent_role = 'aftersale'), false) AS aftersale_agent
    FROM rounds WHERE session_id IN (SELECT session_id FROM cand) GROUP BY session_id
)
SELECT s.*, r.* EXCLUDE (session_id) FROM s JOIN r USING (session_id) ORDER BY s.session_id
"""

_SESSION_FLAGS = f"""
WITH {_CANDIDATES}
SELECT session_id,
       count(*) AS all_flags,
       count(*) FILTER (WHERE role = 'agent') AS agent_flags,
       count(*) FILTER (WHERE role = 'agent' AND severity = 'critical') AS critical_flags,
       count(*) FILTER (WHERE role = 'agent' AND category = 'arguing') AS arguing_flags,
       count(*) FILTER (WHERE role = 'agent' AND severity <> 'critical' AND category <> 'arguing') AS other_flags
FROM flags WHERE session_id IN (SELECT session_id FROM cand) GROUP BY session_id
"""

_SESSION_ORDERS = f"""
WITH {_CANDIDATES},
days AS (
    SELECT DISTINCT session_id, shop, buyer, CAST(replied_at AS DATE) AS day FROM rounds
    WHERE NOT unanswered AND agent_role = 'presale' AND session_id IN (SELECT session_id FROM cand)
),
day_outcome AS (
    -- Every agent's inquiry row of a buyer-day carries the same buyer-day outcome.
    SELECT shop, buyer, day, bool_or(credited_agent IS NOT NULL) AS converted, bool_or(ordered) AS ordered,
           any_value(first_order_id) AS first_order_id, any_value(sales_amount) AS sales_amount,
           any_value(refund_amount) AS refund_amount
    FROM inquiries GROUP BY ALL
)
SELECT d.session_id, bool_or(coalesce(o.converted, false)) AS converted,
       bool_or(coalesce(o.ordered, false)) AS ordered,
       min(o.first_order_id) FILTER (WHERE o.converted) AS order_id,
       sum(o.sales_amount) FILTER (WHERE o.converted) AS order_amount,
       sum(o.refund_amount) FILTER (WHERE o.converted) AS refund_amount
FROM days d LEFT JOIN day_outcome o USING (shop, buyer, day) GROUP BY d.session_id
"""
_FLAG_COUNTS = ("all_flags", "agent_flags", "critical_flags", "arguing_flags", "other_flags")

_SESSION_TEXT = f"""
SELECT s.session_id, m.role, m.text,
       row_number() OVER (PARTITION BY s.session_id
                          ORDER BY m.sent_at, {_ROLE_ORDER}, m.source_path, m.source_line, m.msg_id) AS pos
FROM sessions s
JOIN (SELECT DISTINCT session_id FROM rounds WHERE week = $week) c USING (session_id)
JOIN messages m ON m.shop = s.shop AND m.buyer = s.buyer AND m.sent_at BETWEEN s.started_at AND s.ended_at
WHERE m.role IN ('buyer', 'agent') AND hash(s.session_id) % $parts = $part
"""
# The week's texts are read this many candidate sessions at a time (by a hash of the session id), so that a
# 5-million-message week is never held whole: it held 2.4 GB of frames at once.
SESSIONS_PER_PART = 200_000

# Stickers and emoji a buyer sends instead of words: [微笑], [OK].
_STICKER = r"\[[^\]]{1,8}\]"
_NOT_WORDS = r"[\p{P}\p{S}\s\d~]"


def _longest_first(phrases: list[str]) -> list[str]:
    # With leftmost matching the earlier pattern wins where two start at the same place: 好的 before 好.
    return sorted(set(phrases), key=lambda p: (-len(p), p))


def _first_hit(phrases: list[str]) -> pl.Expr:
    """The leftmost of the phrases in the (lower-cased) text, the longer one where two start together; else null."""
    found = pl.col("_lower").str.extract_many(_longest_first(phrases), ascii_case_insensitive=True, leftmost=True)
    return pl.when(found.list.len() > 0).then(found.list.first()).otherwise(None)


def session_facts(con: duckdb.DuckDBPyConnection, week: str, criteria: CaseCriteria) -> pl.DataFrame:
    facts = con.sql(_SESSION_FACTS, params={"week": week}).pl()
    for sql in (_SESSION_FLAGS, _SESSION_ORDERS):
        facts = facts.join(con.sql(sql, params={"week": week}).pl(), on="session_id", how="left",
                           maintain_order="left")
    facts = facts.with_columns(*(pl.col(c).fill_null(0) for c in _FLAG_COUNTS),
                               pl.col("converted", "ordered").fill_null(False))
    text = text_facts(con, week, criteria)
    return facts.join(text, on="session_id", how="left").with_columns(
        pl.col("trailing_sign_off").fill_null(False),
        # Only a real question left without a reply counts: a buyer's closing 好的谢谢 needs none.
        ((pl.col("unanswered_rounds") > 0) & ~pl.col("trailing_sign_off").fill_null(False)).alias("left_unanswered"),
        (pl.col("aftersale_agent") | pl.col("complaint").is_not_null()).alias("aftersale"),
    )


def text_facts(con: duckdb.DuckDBPyConnection, week: str, criteria: CaseCriteria) -> pl.DataFrame:
    """Per session: a buyer complaint, the agent's resolution phrase, the buyer's thanks after it, and
    whether the buyer's last messages (those after the last agent reply) are a mere sign-off."""
    ((sessions,),) = con.execute("SELECT count(DISTINCT session_id) FROM rounds WHERE week = ?", [week]).fetchall()
    parts = max(1, -(-int(sessions) // SESSIONS_PER_PART))
    # A session's messages all fall in one part (the part is a function of its id), so the parts' rows
    # simply add up.
    frames = [_text_facts_part(con, week, criteria, parts, part) for part in range(parts)]
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _text_facts_part(con: duckdb.DuckDBPyConnection, week: str, criteria: CaseCriteria, parts: int,
                     part: int) -> pl.DataFrame:
    msgs = con.sql(_SESSION_TEXT, params={"week": week, "parts": parts, "part": part}).pl()
    lower = pl.col("text").str.to_lowercase().alias("_lower")
    # Each phrase search runs on the rows it is about only (buyer or agent messages), and the texts are
    # dropped as soon as they are searched: what is sorted and grouped afterwards is a few short columns,
    # not a million messages (moving the texts was most of the case library's memory).
    buyers = msgs.filter(pl.col("role") == "buyer").with_columns(lower).select(
        "session_id", "pos",
        _first_hit(criteria.phrases("complaint")).alias("_complaint"),
        _first_hit(criteria.phrases("thanks")).alias("_thanks"),
        pl.col("_lower").str.replace_all(_STICKER, "")
        .str.replace_many({p: "" for p in _longest_first(criteria.phrases("closing"))}, leftmost=True)
        .str.replace_all(_NOT_WORDS, "")
        .str.len_chars().eq(0).alias("_closing"),
    ).sort("session_id", "pos")
    agents = msgs.filter(pl.col("role") == "agent").with_columns(lower).select(
        "session_id", "pos", _first_hit(criteria.phrases("refund_agreed")).alias("_resolve"),
    ).sort("session_id", "pos")
    del msgs
    replies = agents.group_by("session_id").agg(
        pl.col("_resolve").drop_nulls().first().alias("resolve_phrase"),
        pl.col("pos").filter(pl.col("_resolve").is_not_null()).min().alias("_resolve_pos"),
        pl.col("pos").max().alias("_last_agent_pos"),
    )
    trailing = pl.col("_last_agent_pos").is_null() | (pl.col("pos") > pl.col("_last_agent_pos"))
    asked = buyers.join(replies.drop("resolve_phrase"), on="session_id", how="left", maintain_order="left").group_by(
        "session_id").agg(
        pl.col("_complaint").drop_nulls().first().alias("complaint"),
        pl.col("_thanks").filter(pl.col("pos") > pl.col("_resolve_pos")).drop_nulls().first().alias("thanks_phrase"),
        pl.col("_thanks").drop_nulls().first().alias("any_thanks"),
        (pl.col("_closing").filter(trailing).all() & trailing.any()).alias("trailing_sign_off"),
    )
    # A session of agent messages only has no buyer row: nothing asked, nothing left trailing.
    found = asked.join(replies.select("session_id", "resolve_phrase"), on="session_id", how="full",
                       coalesce=True).with_columns(pl.col("trailing_sign_off").fill_null(False)).select(
        "session_id", "complaint", "resolve_phrase", "thanks_phrase", "any_thanks", "trailing_sign_off")
    # Polars strings are views into the buffers they were cut from, so the few short columns kept from a
    # part held on to its million messages until the last part was done (about 100 MB more per part).
    # Copied out through Arrow, a part's messages are freed when it ends.
    return pl.from_arrow(found.to_arrow(compat_level=pl.CompatLevel.oldest()))
