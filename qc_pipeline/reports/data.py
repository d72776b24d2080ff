"""The week's figures, read from the warehouse tables and nothing else.

Figures come from ``agent_week``/``shop_week`` as stored; ``rounds`` feeds only the distribution and the
daily trend, aggregated in SQL to a few rows per agent. Sessions, flags and chat text are read by
``sessions`` and masked by ``detail``. Every query is ordered so that the same warehouse gives the same
reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from qc_pipeline.errors import UserError
from qc_pipeline.reports.figures import plain
from qc_pipeline.reports.naming import account_sql
from qc_pipeline.reports.weeks import previous_week, unknown_week

# First-response histogram edges in seconds; each agent's target is added so bars split exactly there.
EDGES = (10, 20, 30, 60, 120, 180, 300, 600)
VERSION_KEYS = ("rule_version", "config_version", "scorecard_version")


@dataclass
class WeekData:
    week: str
    weeks_held: list[str]
    agents: list[dict]                      # agent_week rows of the week, by shop and agent
    previous: dict[tuple[str, str], dict]   # (shop, agent) -> agent_week row of the previous week
    previous_week: str
    has_previous: bool
    history: list[dict]                     # agent_week rows of every week held up to this one
    shops: list[dict]                       # shop_week rows of the week
    previous_shops: dict[str, dict]
    edges: tuple[int, ...] = EDGES          # histogram bucket edges, targets included
    # Per agent, keyed by its account (naming.account: one per shop and agent).
    first_buckets: dict[str, dict[int, int]] = field(default_factory=dict)  # account -> bucket -> answered
    first_unanswered: dict[str, int] = field(default_factory=dict)
    daily: dict[str, list[dict]] = field(default_factory=dict)         # account -> per-day figures
    auto_flags_by_category: dict[str, int] = field(default_factory=dict)   # flagged auto-replies per category
    auto_fail_rules: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # account -> (rule, sessions)
    meta: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)             # what the week was built with


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [{n: plain(v) if not isinstance(v, (dt.datetime, dt.date, list)) else v for n, v in zip(names, row)}
            for row in cur.fetchall()]


def weeks_held(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [w for (w,) in con.execute("SELECT DISTINCT week FROM agent_week ORDER BY week").fetchall()]


def load_week(con: duckdb.DuckDBPyConnection, week: str, targets: set[int] = frozenset()) -> WeekData:
    """The week's figures; ``targets`` are the first-response targets in use (histogram edges)."""
    held = weeks_held(con)
    if week not in held:
        raise unknown_week(week, held)
    prev = previous_week(week)
    history = _rows(con, "SELECT * FROM agent_week WHERE week <= ? ORDER BY week, shop, agent", [week])
    shop_rows = _rows(con, "SELECT * FROM shop_week WHERE week IN (?, ?) ORDER BY week, shop", [week, prev])
    meta = {k: v for k, v in con.execute("SELECT key, value FROM meta ORDER BY key").fetchall()}
    data = WeekData(
        week=week,
        weeks_held=held,
        agents=[r for r in history if r["week"] == week],
        previous={(r["shop"], r["agent"]): r for r in history if r["week"] == prev},
        previous_week=prev,
        has_previous=prev in held,
        history=history,
        shops=[r for r in shop_rows if r["week"] == week],
        previous_shops={r["shop"]: r for r in shop_rows if r["week"] == prev},
        edges=tuple(sorted(set(EDGES) | set(targets))),
        meta=meta,
        versions=week_versions(con, week, meta),
    )
    _load_rounds(con, data)
    # Flagged messages, as agent_week counts the agents' violations: two hits in one message are one.
    data.auto_flags_by_category = {
        c: n for c, n in con.execute(
            "SELECT category, count(DISTINCT msg_id) FROM flags WHERE week = ? AND role = 'auto' "
            "GROUP BY category ORDER BY category",
            [week],
        ).fetchall()
    }
    # Why each auto-failed session failed: the critical flags on the agents' messages in it (scoring/sessions.py).
    for key, rule, n in con.execute(
        f"""SELECT {account_sql('s.shop', 's.agent')} AS account, f.rule_id, count(DISTINCT s.session_id) AS n
           FROM session_scores s JOIN flags f ON f.session_id = s.session_id
           WHERE s.week = ? AND s.auto_failed AND s.agent IS NOT NULL AND f.role = 'agent' AND f.severity = 'critical'
           GROUP BY ALL ORDER BY account, n DESC, f.rule_id""",
        [week],
    ).fetchall():
        data.auto_fail_rules.setdefault(key, []).append((rule, n))
    return data


def _load_rounds(con: duckdb.DuckDBPyConnection, data: WeekData) -> None:
    # Bucket i holds answered first waits in (edges[i-1], edges[i]] (bucket 0 from 0), the last one above all.
    bucket = " ".join(f"WHEN wait_seconds <= $e{i} THEN {i}" for i in range(len(data.edges)))
    edges = {f"e{i}": float(e) for i, e in enumerate(data.edges)}
    for key, bucket, unanswered, n in con.execute(
        f"""SELECT {account_sql()} AS account, CASE WHEN unanswered OR wait_seconds IS NULL THEN NULL {bucket}
                               ELSE {len(data.edges)} END AS bucket,
                   unanswered, count(*)
            FROM rounds WHERE week = $week AND is_first AND agent IS NOT NULL
            GROUP BY ALL ORDER BY ALL""",
        {"week": data.week, **edges},
    ).fetchall():
        if unanswered:
            data.first_unanswered[key] = data.first_unanswered.get(key, 0) + n
        elif bucket is not None:
            data.first_buckets.setdefault(key, {})[bucket] = n
    for r in _rows(
        con,
        f"""SELECT {account_sql()} AS account, CAST(started_at AS DATE) AS day,
                  count(*) AS rounds,
                  count(*) FILTER (WHERE is_first) AS first_rounds,
                  quantile_cont(wait_seconds, 0.5) FILTER (WHERE is_first AND NOT unanswered) AS first_median_s,
                  100.0 * count(*) FILTER (WHERE is_first AND met_target)
                      / nullif(count(*) FILTER (WHERE is_first), 0) AS first_within_target_pct,
                  count(*) FILTER (WHERE unanswered) AS unanswered_rounds
           FROM rounds WHERE week = ? AND agent IS NOT NULL
           GROUP BY account, day ORDER BY account, day""",
        [data.week],
    ):
        data.daily.setdefault(r["account"], []).append(r)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The columns of a main-schema table, or [] when there is no such table."""
    return [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
        "AND NOT internal ORDER BY column_index", [name],
    ).fetchall()]


def week_versions(con: duckdb.DuckDBPyConnection, week: str, meta: dict[str, str]) -> dict[str, str]:
    """The rule, config and scorecard versions the week's partitions were built with (several shops built
    with different versions list each), or the warehouse-wide ones in ``meta`` when no partition says."""
    columns = _has_table(con, "partitions")
    found: dict[str, str] = {}
    if "week" in columns:
        for key in (k for k in VERSION_KEYS if k in columns):
            values = [v for (v,) in con.execute(
                f'SELECT DISTINCT "{key}" FROM partitions WHERE week = ? AND "{key}" IS NOT NULL ORDER BY 1',
                [week],
            ).fetchall()]
            if values:
                found[key] = " / ".join(str(v) for v in values)
    if not found:
        found = {k: meta[k] for k in VERSION_KEYS if meta.get(k)}
    return found


def row_value(row: dict[str, Any] | None, key: str) -> Any:
    return None if row is None else row.get(key)
