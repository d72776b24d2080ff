"""Building a week's case library and keeping it in the `cases` table."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from qc_pipeline.cases.facts import session_facts
from qc_pipeline.cases.reasons import reason
from qc_pipeline.cases.select import Candidate, classify, pick
from qc_pipeline.cases.settings import CaseCriteria, load_criteria
from qc_pipeline.errors import UserError
from qc_pipeline.reports.masking import mask_text
from qc_pipeline.reports.weeks import check_week as check_iso_week, unknown_week
from qc_pipeline.topics.mine import session_topics

CASE_SCHEMA = {
    "week": pl.Utf8, "case_id": pl.Utf8, "session_id": pl.Utf8, "kind": pl.Utf8, "category": pl.Utf8,
    "matched": pl.List(pl.Utf8), "agent": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8,
    "started_at": pl.Datetime("us"), "score": pl.Float64, "rank": pl.Int32, "rank_score": pl.Float64,
    "rank_terms": pl.Utf8, "reason": pl.Utf8, "details": pl.Utf8, "topic": pl.Utf8, "tags": pl.List(pl.Utf8),
    "ordered": pl.Boolean, "order_id": pl.Utf8, "order_amount": pl.Decimal(18, 2),
    "refund_amount": pl.Decimal(18, 2), "criteria_version": pl.Utf8, "selected_at": pl.Datetime("us"),
}
KIND_LETTER = {"good": "G", "bad": "B"}
TOPIC_WEEKS = 4


def weeks_held(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [w for (w,) in con.execute("SELECT DISTINCT week FROM rounds ORDER BY week").fetchall()]


def check_week(con: duckdb.DuckDBPyConnection, week: str) -> None:
    check_iso_week(week if isinstance(week, str) else repr(week))
    held = weeks_held(con)
    if week not in held:
        raise unknown_week(week, held)


def _flags(con: duckdb.DuckDBPyConnection, sessions: dict[str, str]) -> dict[str, list[dict]]:
    """Flags on agents' messages per session, their matched text masked."""
    if not sessions:
        return {}
    con.register("_case_sessions", pl.DataFrame({"session_id": list(sessions)}).to_arrow())
    try:
        rows = con.execute(
            """SELECT session_id, rule_id, category, severity, matched FROM flags
               WHERE role = 'agent' AND session_id IN (SELECT session_id FROM _case_sessions)
               ORDER BY session_id, sent_at, msg_id, start, rule_id"""
        ).fetchall()
    finally:
        con.unregister("_case_sessions")
    out: dict[str, list[dict]] = {}
    for sid, rule_id, category, severity, matched in rows:
        out.setdefault(sid, []).append({
            "rule_id": rule_id, "category": category, "severity": severity,
            "matched": mask_text(matched, [sessions[sid]]),
        })
    return out


def _latest_order(con: duckdb.DuckDBPyConnection, row: dict) -> tuple | None:
    """The buyer's most recent order placed before the session ended (what an after-sale talk is about)."""
    found = con.execute(
        """SELECT order_id, amount, refund_amount FROM orders
           WHERE shop = ? AND buyer = ? AND created_at <= ? ORDER BY created_at DESC, order_id LIMIT 1""",
        [row["shop"], row["buyer"], row["ended_at"]],
    ).fetchall()
    return found[0] if found else None


def _details(c: Candidate, flags: list[dict]) -> dict:
    row = c.row
    amount = row["order_amount"]
    return {
        "first_wait_s": row["first_wait_s"], "first_target_s": row["first_target_s"],
        "first_unanswered": row["first_unanswered"], "score": row["score"],
        "order_amount": f"{amount:.2f}" if amount is not None else None,
        "resolve_phrase": row["resolve_phrase"], "thanks_phrase": row["thanks_phrase"],
        "unanswered_round": row["unanswered_round"], "flags": flags,
    }


def _case_row(con, week: str, c: Candidate, rank: int, flags: list[dict], topic: str | None,
              criteria: CaseCriteria, now: dt.datetime) -> dict:
    row = c.row
    details = _details(c, flags)
    contributions = [[t, v, w] for t, v, w in c.contributions()]
    order_id, amount, refund = row["order_id"], row["order_amount"], row["refund_amount"]
    if order_id is None and not row["presale"]:
        latest = _latest_order(con, row)
        if latest:
            order_id, amount, refund = latest
    tags = [f"category:{c.category}", f"agent:{row['agent']}"] + ([f"topic:{topic}"] if topic else [])
    return {
        "week": week, "case_id": f"{week}-{KIND_LETTER[c.kind]}{rank:02d}", "session_id": c.session_id,
        "kind": c.kind, "category": c.category, "matched": c.matched, "agent": row["agent"], "shop": row["shop"],
        "buyer": row["buyer"], "started_at": row["started_at"], "score": row["score"], "rank": rank,
        "rank_score": c.rank_score, "rank_terms": json.dumps(contributions, ensure_ascii=False),
        "reason": reason(c.category, c.matched, details, c.rank_score, contributions, "zh"),
        "details": json.dumps(details, ensure_ascii=False, default=str), "topic": topic, "tags": tags,
        "ordered": bool(row["ordered"] or row["converted"]) if row["presale"] else None,
        "order_id": order_id,
        "order_amount": Decimal(str(amount)).quantize(Decimal("0.01")) if amount is not None else None,
        "refund_amount": Decimal(str(refund)).quantize(Decimal("0.01")) if refund is not None else None,
        "criteria_version": criteria.version, "selected_at": now,
    }


def _topics(con: duckdb.DuckDBPyConnection, week: str, sessions: list[str]) -> dict[str, str]:
    """session_id -> topic of these sessions, mined over the weeks up to this one as `qc topics` does by default."""
    if not sessions:
        return {}
    return session_topics(con, week, weeks=TOPIC_WEEKS, sessions=sessions)


def build_cases(
    con: duckdb.DuckDBPyConnection,
    week: str,
    top: int = 20,
    allow_repeats: bool = False,
    config: str | Path | CaseCriteria | None = None,
    topics: Callable[[list[str]], dict[str, str]] | None = None,
) -> pl.DataFrame:
    """Select the week's good and bad cases (up to `top` of each), store them in `cases` (replacing the
    week's earlier selection) and return them. `config`: a criteria TOML overriding the shipped one.
    `topics`: session_ids -> {session_id: topic} as `session_topics(con, week, weeks=TOPIC_WEEKS, sessions=)`
    gives it, called once with the chosen sessions (the weekly job shares one clustering with the topics page)."""
    check_week(con, week)
    if top < 0:
        raise UserError(f"--top {top}: must be 0 or more")
    criteria = load_criteria(config)
    candidates = classify(session_facts(con, week, criteria), criteria)
    taken = set() if allow_repeats else {
        s for (s,) in con.execute("SELECT DISTINCT session_id FROM cases WHERE week <> ?", [week]).fetchall()
    }
    chosen = {kind: pick(candidates, kind, top, criteria.max_per_agent, taken, criteria) for kind in ("good", "bad")}
    everyone = {c.session_id: c.row["buyer"] for cs in chosen.values() for c in cs}
    flags = _flags(con, everyone)
    topics = (topics(list(everyone)) if everyone else {}) if topics is not None else _topics(con, week, list(everyone))
    now = dt.datetime.now().replace(microsecond=0)
    rows = [
        _case_row(con, week, c, rank, flags.get(c.session_id, []), topics.get(c.session_id), criteria, now)
        for kind in ("good", "bad") for rank, c in enumerate(chosen[kind], start=1)
    ]
    frame = pl.DataFrame(rows, schema=CASE_SCHEMA)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM cases WHERE week = ?", [week])
        if rows:
            con.register("_new_cases", frame.to_arrow())
            con.execute("INSERT INTO cases BY NAME SELECT * FROM _new_cases")
            con.unregister("_new_cases")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return frame
