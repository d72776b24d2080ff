"""Drill-down: the sessions behind each count a page shows.

Each list is declared once (``LISTS``): which sessions it holds for an agent's week and how many of the
counted things (sessions, rounds, flagged messages) each holds, read from the same tables and with the
same attribution as ``agent_week`` (weekly/agent_week.py), so a list's total is the figure that links to
it. ``LINKS`` says which agent_week figure each list backs and whether the figure counts its rows or the
sum of its ``n``. The pages list every session; the first ``limits.LIST_TRANSCRIPTS`` of an agent's list
carry their transcript below it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from qc_pipeline.reports import limits
from qc_pipeline.reports.naming import account_sql

SESSIONS, ROUNDS, MESSAGES = "sessions", "rounds", "messages"
FOLDER = "lists"


@dataclass(frozen=True)
class DrillList:
    name: str
    unit: str     # what `n` counts: SESSIONS (always 1), ROUNDS or MESSAGES
    sql: str      # (shop, agent, session_id, n) of the week $week; the order a page lists them in is by_n, id
    order: str    # "n": most first; "score": lowest session score first


# Sessions with an auto-fail (weekly_scores: session_scores by the session's scored agent).
_AUTO_FAILED = """SELECT shop, agent, session_id, 1 AS n FROM session_scores
                  WHERE week = $week AND agent IS NOT NULL AND auto_failed"""
# Violations: one per (message, category) of a human agent's flags (weekly_flag_counts).
_VIOLATIONS = """SELECT shop, agent, session_id, count(*) AS n FROM (
                     SELECT DISTINCT shop, agent, session_id, msg_id, category FROM flags
                     WHERE week = $week AND role = 'agent' AND agent IS NOT NULL AND session_id IS NOT NULL)
                 GROUP BY shop, agent, session_id"""


def _rounds(where: str) -> str:
    # Rounds by their own agent, as agent_week_response counts them.
    return f"""SELECT shop, agent, session_id, count(*) AS n FROM rounds
               WHERE week = $week AND agent IS NOT NULL AND {where} GROUP BY shop, agent, session_id"""


LISTS = {d.name: d for d in (
    DrillList("auto_failed", SESSIONS, _AUTO_FAILED, "score"),
    DrillList("violations", MESSAGES, _VIOLATIONS, "n"),
    DrillList("unanswered", ROUNDS, _rounds("unanswered"), "n"),
    DrillList("first_missed", ROUNDS, _rounds("is_first AND NOT met_target"), "n"),
    DrillList("follow_missed", ROUNDS, _rounds("NOT is_first AND NOT met_target"), "n"),
)}
# Each agent's lowest-scored sessions (the score table of the agent page), the one list no figure counts.
WORST = "worst"
LIST_NAMES = (*LISTS, WORST)
# agent_week figure -> (list, "rows" | "n"): what the figure counts of its list.
LINKS = {
    "auto_failed_sessions": ("auto_failed", "rows"),
    "flags_total": ("violations", "n"),
    "violation_sessions": ("violations", "rows"),
    "unanswered_rounds": ("unanswered", "n"),
    "first_within_target_pct": ("first_missed", "n"),
    "follow_within_target_pct": ("follow_missed", "n"),
}


@dataclass
class AgentList:
    name: str
    account: str                        # naming.account of the agent
    rows: int                           # sessions listed
    total: int                          # the sum of their counts
    transcripts: list[str] = field(default_factory=list)  # the ids shown with their transcript, in order


def list_rows(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """(list, account, session_id, n) of every list of the week; ``account`` (naming.account) tells one
    shop's agent from another's of the same name."""
    parts = [f"SELECT '{d.name}' AS list, {account_sql()} AS account, session_id, CAST(n AS BIGINT) AS n FROM ({d.sql})"
             for d in LISTS.values()]
    return con.sql(" UNION ALL ".join(parts), params={"week": week}).pl()


FACT_COLUMNS = ("buyer", "started_at", "score", "auto_failed", "first_wait_s", "max_wait_s")


def ranked_lists(rows: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (list, account, session_id, n) with the session's facts, in page order (``rank`` within the
    agent's list), and ``shown``: the first ones carrying their transcript. A session scored in another week
    (its rounds run past Sunday midnight) has no facts this week: it is listed, and its transcript is on
    that week's pages."""
    by_count = ~pl.col("list").is_in([WORST] + [n for n, d in LISTS.items() if d.order == "score"])
    # Put in page order with the sort keys only, then joined to the other facts: a large week's lists hold
    # over a million rows, and sorting them with every column was a copy of them all.
    ordered = rows.join(facts.select("session_id", "score", pl.lit(True).alias("_known")), on="session_id",
                        how="left").with_columns(
        pl.when(by_count).then(-pl.col("n")).otherwise(0).alias("_most")).sort(
        ["list", "account", "_most", "score", "session_id"], nulls_last=True).drop("score").join(
        facts.select("session_id", *FACT_COLUMNS), on="session_id", how="left", maintain_order="left")
    limit = pl.when(pl.col("list") == WORST).then(limits.WORST_SESSIONS_SHOWN).otherwise(limits.LIST_TRANSCRIPTS)
    known_rank = pl.col("_known").fill_null(False).cast(pl.Int64).cum_sum().over(["list", "account"])
    return ordered.with_columns(
        pl.int_range(pl.len()).over(["list", "account"]).alias("rank"),
        (pl.col("_known").fill_null(False) & (known_rank <= limit)).alias("shown"),
    ).drop("_most", "_known")


def agent_lists(ranked: pl.DataFrame) -> dict[tuple[str, str], AgentList]:
    """(account, list) -> its size, total and the sessions shown with their transcript."""
    grouped = ranked.group_by("account", "list").agg(
        pl.len().alias("rows"), pl.col("n").sum().alias("total"),
        pl.col("session_id").filter(pl.col("shown")).alias("transcripts"))
    return {(key, name): AgentList(name, key, rows, total, ids)
            for key, name, rows, total, ids in grouped.sort("account", "list").iter_rows()}


def counted(measure: str, rows: int, total: int) -> int:
    """What a figure of ``measure`` ("rows" | "n", LINKS) counts of a list of ``rows`` sessions holding ``total``."""
    return rows if measure == "rows" else total


def link_count(figure: str, lists: dict[tuple[str, str], AgentList], account: str) -> int | None:
    """How many of its list's things ``figure`` counts for the agent of ``account`` (None: the figure has
    no list)."""
    if figure not in LINKS:
        return None
    name, measure = LINKS[figure]
    found = lists.get((account, name))
    return 0 if found is None else counted(measure, found.rows, found.total)


def agent_href(name: str, file_name: str) -> str:
    """An agent's list, relative to the week's folder."""
    return f"{FOLDER}/{name}/{file_name}"


def team_href(name: str) -> str:
    return f"{FOLDER}/{name}.html"
