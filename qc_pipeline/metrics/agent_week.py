"""agent_week: each agent's weekly response figures, computed in SQL from `rounds`.

Medians and p90 are over answered rounds only (quantile_cont interpolates linearly); the
within-target shares count unanswered rounds as not met.
"""
from __future__ import annotations

import duckdb
import polars as pl

AGENT_WEEK_SQL = """
SELECT
    r.week,
    r.shop,
    r.agent,
    any_value(a.name) AS agent_name,
    any_value(r.agent_role) AS agent_role,
    count(DISTINCT r.session_id) AS sessions,
    count(*) AS rounds,
    count(*) FILTER (WHERE r.is_first) AS first_rounds,
    quantile_cont(r.wait_seconds, 0.5) FILTER (WHERE r.is_first AND NOT r.unanswered) AS first_median_s,
    quantile_cont(r.wait_seconds, 0.9) FILTER (WHERE r.is_first AND NOT r.unanswered) AS first_p90_s,
    100.0 * count(*) FILTER (WHERE r.is_first AND r.met_target)
        / nullif(count(*) FILTER (WHERE r.is_first), 0) AS first_within_target_pct,
    quantile_cont(r.wait_seconds, 0.5) FILTER (WHERE NOT r.is_first AND NOT r.unanswered) AS follow_median_s,
    quantile_cont(r.wait_seconds, 0.9) FILTER (WHERE NOT r.is_first AND NOT r.unanswered) AS follow_p90_s,
    100.0 * count(*) FILTER (WHERE NOT r.is_first AND r.met_target)
        / nullif(count(*) FILTER (WHERE NOT r.is_first), 0) AS follow_within_target_pct,
    count(*) FILTER (WHERE r.unanswered) AS unanswered_rounds,
    avg(CASE WHEN r.unanswered THEN $cap ELSE least(r.wait_seconds, $cap) END) AS avg_wait_capped_s
FROM rounds r
LEFT JOIN agents a ON a.agent = r.agent
WHERE r.agent IS NOT NULL
GROUP BY r.week, r.shop, r.agent
ORDER BY r.week, r.shop, r.agent
"""


def agent_week_response(con: duckdb.DuckDBPyConnection, wait_cap_seconds: int) -> pl.DataFrame:
    """The response-time columns of agent_week from the `rounds` table, one row per (week, shop, agent)."""
    return con.sql(AGENT_WEEK_SQL, params={"cap": float(wait_cap_seconds)}).pl()
