"""What the weekly summary shows of the review loop: the rules that need tuning (precision under the
configured threshold over the recent weeks) and each agent's score adjusted after appeals beside the
machine's. Empty for a warehouse without reviews (or a lake, which keeps none)."""
from __future__ import annotations

import duckdb

from qc_pipeline.review.precision import needs_tuning, window
from qc_pipeline.review.settings import ReviewSettings


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def review_section(con: duckdb.DuckDBPyConnection, week: str, config) -> dict:
    """{"needs_tuning": [rule rows], "adjusted": [agent rows], "threshold", "weeks"}."""
    section = {"needs_tuning": [], "adjusted": [], "threshold": None, "min_reviewed": None, "weeks": []}
    tables = _tables(con)
    if "reviews" not in tables:
        return section
    settings = ReviewSettings.of(config)
    section.update(threshold=settings.precision_threshold, min_reviewed=settings.min_reviewed)
    section["weeks"] = window(con, settings.precision_weeks, week)
    section["needs_tuning"] = needs_tuning(con, week, settings).to_dicts()
    if "adjusted_agent_week" in tables:
        section["adjusted"] = [dict(zip(("shop", "agent", "qc_score_avg", "qc_score_adjusted_avg",
                                         "auto_failed_sessions", "auto_failed_adjusted_sessions", "overturned_flags"), r))
                               for r in con.execute(
            """SELECT shop, agent, qc_score_avg, qc_score_adjusted_avg, auto_failed_sessions,
                      auto_failed_adjusted_sessions, overturned_flags
               FROM adjusted_agent_week WHERE week = ? AND overturned_flags > 0 ORDER BY shop, agent""",
            [week]).fetchall()]
    return section
