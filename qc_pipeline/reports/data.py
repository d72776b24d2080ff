"""Everything a week's reports show, read from the warehouse tables and nothing else.

Figures come from ``agent_week``/``shop_week`` as stored; ``rounds`` feeds only the distribution and the
daily trend; flags, messages and scores feed the detail lists. Every query is ordered so that the
same warehouse gives the same reports.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from qc_pipeline.errors import UserError
from qc_pipeline.reports.figures import plain
from qc_pipeline.reports.weeks import previous_week

# Messages of one buyer at the same second sort buyer first, then auto/system, then agent (as sessions do).
_ROLE_ORDER = "CASE m.role WHEN 'buyer' THEN 0 WHEN 'agent' THEN 2 ELSE 1 END"


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
    first_waits: dict[str, list[dict]] = field(default_factory=dict)   # agent -> first rounds
    daily: dict[str, list[dict]] = field(default_factory=dict)         # agent -> per-day figures
    sessions: dict[str, list[dict]] = field(default_factory=dict)      # agent -> scored sessions, worst first
    flags: list[dict] = field(default_factory=list)                    # every flag of the week
    context: dict[str, list[dict]] = field(default_factory=dict)       # session_id -> its messages in order
    auto_flags_by_category: dict[str, int] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [{n: plain(v) if not isinstance(v, (dt.datetime, dt.date, list)) else v for n, v in zip(names, row)}
            for row in cur.fetchall()]


def weeks_held(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [w for (w,) in con.execute("SELECT DISTINCT week FROM agent_week ORDER BY week").fetchall()]


def load_week(con: duckdb.DuckDBPyConnection, week: str) -> WeekData:
    held = weeks_held(con)
    if week not in held:
        raise UserError(f"week {week}: not in the warehouse (it holds {', '.join(held) or 'no weeks'})")
    prev = previous_week(week)
    agent_rows = _rows(con, "SELECT * FROM agent_week WHERE week = ? ORDER BY shop, agent", [week])
    prev_rows = _rows(con, "SELECT * FROM agent_week WHERE week = ? ORDER BY shop, agent", [prev])
    shop_rows = _rows(con, "SELECT * FROM shop_week WHERE week = ? ORDER BY shop", [week])
    prev_shops = _rows(con, "SELECT * FROM shop_week WHERE week = ? ORDER BY shop", [prev])
    data = WeekData(
        week=week,
        weeks_held=held,
        agents=agent_rows,
        previous={(r["shop"], r["agent"]): r for r in prev_rows},
        previous_week=prev,
        has_previous=prev in held,
        history=_rows(con, "SELECT * FROM agent_week WHERE week <= ? ORDER BY week, shop, agent", [week]),
        shops=shop_rows,
        previous_shops={r["shop"]: r for r in prev_shops},
        meta={k: v for k, v in con.execute("SELECT key, value FROM meta ORDER BY key").fetchall()},
    )
    _load_rounds(con, data)
    _load_sessions(con, data)
    _load_flags(con, data)
    return data


def _load_rounds(con: duckdb.DuckDBPyConnection, data: WeekData) -> None:
    for r in _rows(
        con,
        """SELECT agent, wait_seconds, unanswered, met_target, target_seconds FROM rounds
           WHERE week = ? AND is_first AND agent IS NOT NULL
           ORDER BY agent, wait_seconds NULLS LAST, session_id""",
        [data.week],
    ):
        data.first_waits.setdefault(r["agent"], []).append(r)
    for r in _rows(
        con,
        """SELECT agent, CAST(started_at AS DATE) AS day,
                  count(*) AS rounds,
                  count(*) FILTER (WHERE is_first) AS first_rounds,
                  quantile_cont(wait_seconds, 0.5) FILTER (WHERE is_first AND NOT unanswered) AS first_median_s,
                  100.0 * count(*) FILTER (WHERE is_first AND met_target)
                      / nullif(count(*) FILTER (WHERE is_first), 0) AS first_within_target_pct,
                  count(*) FILTER (WHERE unanswered) AS unanswered_rounds
           FROM rounds WHERE week = ? AND agent IS NOT NULL
           GROUP BY agent, day ORDER BY agent, day""",
        [data.week],
    ):
        data.daily.setdefault(r["agent"], []).append(r)


def _load_sessions(con: duckdb.DuckDBPyConnection, data: WeekData) -> None:
    deductions: dict[str, list[dict]] = defaultdict(list)
    for d in _rows(
        con,
        """SELECT d.session_id, d.category, d.points, d.reason, d.msg_id FROM score_deductions d
           JOIN session_scores s USING (session_id)
           WHERE s.week = ? ORDER BY d.session_id, d.points DESC, d.category, d.reason, d.msg_id""",
        [data.week],
    ):
        deductions[d["session_id"]].append(d)
    for s in _rows(
        con,
        """SELECT s.session_id, s.agent, s.score, s.auto_failed, s.responsiveness, s.compliance, s.outcome,
                  ss.buyer, ss.started_at
           FROM session_scores s LEFT JOIN sessions ss USING (session_id)
           WHERE s.week = ? AND s.agent IS NOT NULL
           ORDER BY s.agent, s.score, s.session_id""",
        [data.week],
    ):
        s["deductions"] = deductions.get(s["session_id"], [])
        data.sessions.setdefault(s["agent"], []).append(s)


def _load_flags(con: duckdb.DuckDBPyConnection, data: WeekData) -> None:
    data.flags = _rows(
        con,
        """SELECT f.msg_id, f.session_id, f.shop, f.agent, f.role, f.sent_at, f.rule_id, f.category, f.severity,
                  f.start, f."end", f.matched, f.rule_version, f.probability,
                  m.text, m.buyer, s.score AS session_score, s.auto_failed AS session_auto_failed
           FROM flags f
           LEFT JOIN messages m USING (msg_id)
           LEFT JOIN session_scores s USING (session_id)
           WHERE f.week = ?
           ORDER BY s.score NULLS LAST, f.session_id NULLS LAST, f.sent_at, f.msg_id, f.start, f.rule_id""",
        [data.week],
    )
    data.auto_flags_by_category = {
        c: n for c, n in con.execute(
            "SELECT category, count(*) FROM flags WHERE week = ? AND role = 'auto' GROUP BY category ORDER BY category",
            [data.week],
        ).fetchall()
    }
    for m in _rows(
        con,
        f"""SELECT s.session_id, m.msg_id, m.role, m.agent, m.buyer, m.sent_at, m.text
            FROM sessions s
            JOIN messages m ON m.shop = s.shop AND m.buyer = s.buyer
                AND m.sent_at BETWEEN s.started_at AND s.ended_at
            WHERE s.session_id IN (SELECT session_id FROM flags WHERE week = ?)
            ORDER BY s.session_id, m.sent_at, {_ROLE_ORDER}, m.source_path, m.source_line, m.msg_id""",
        [data.week],
    ):
        data.context.setdefault(m["session_id"], []).append(m)


def around(data: WeekData, flag: dict, before: int = 2, after: int = 2) -> list[dict]:
    """The flagged message with the messages just before and after it in its session."""
    messages = data.context.get(flag["session_id"] or "", [])
    for i, m in enumerate(messages):
        if m["msg_id"] == flag["msg_id"]:
            return messages[max(0, i - before): i + after + 1]
    return [{"msg_id": flag["msg_id"], "role": flag["role"], "agent": flag["agent"], "buyer": flag["buyer"],
             "sent_at": flag["sent_at"], "text": flag["text"] or ""}]


def row_value(row: dict[str, Any] | None, key: str) -> Any:
    return None if row is None else row.get(key)
