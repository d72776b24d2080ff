"""truth.json: what the pipeline must find in the sample, taken from the plan itself.

Every wait, clock start and session boundary comes from the planned conversations; the weekly figures
are plain Python over the planned rounds (statistics.median and a hand-written linear p90), written
independently of the pipeline's SQL. Conversion figures come from conversion_truth.py, likewise plain
Python over the planned replies and orders; the service-standard sections (promises, payment reminders,
handovers, stale auto-replies) from standard_truth.py.
"""
from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict

from qc_pipeline.config import Config
from qc_pipeline.sample.model import Round, Session
from qc_pipeline.sample.period import Period, fmt, iso_week

TRUTH_VERSION = 1


def p90(values: list[float]) -> float:
    """Linear interpolation between closest ranks, as numpy's default percentile and quantile_cont."""
    s = sorted(values)
    pos = 0.9 * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def session_key(session: Session) -> dict:
    return {"shop": session.shop, "buyer": session.buyer, "session_started_at": fmt(session.started_at)}


def target_for(config: Config, role: str, first: bool) -> int:
    return config.target_seconds(role, first)


def _derived_round_cases(session: Session, rnd: Round, role: str, target: int) -> list[str]:
    cases = list(rnd.cases)

    def add(tag: str) -> None:
        if tag not in cases:
            cases.append(tag)

    if rnd.reply is None:
        add("unanswered_last")
    else:
        if len(rnd.buyer_msgs) >= 3:
            add("three_before_reply")
        if rnd.wait_seconds > target:
            add("slow_reply")
        if rnd.round_no == 1 and any(
            m.role == "auto" and rnd.started_at <= m.at <= rnd.reply.at for m in session.msgs
        ):
            add("auto_reply_first")
    if any(n.kind == "transfer" and n.at < rnd.started_at for n in session.notes):
        add("after_transfer")
    if role == "aftersale":
        add("aftersale")
    return cases


def round_truth(session: Session, rnd: Round, roles: dict[str, str], config: Config) -> dict:
    role = roles.get(rnd.agent, config.default_role)
    first = rnd.round_no == 1
    target = target_for(config, role, first)
    answered = rnd.reply is not None
    return {
        **session_key(session),
        "round_no": rnd.round_no,
        "is_first": first,
        "agent": rnd.agent,
        "agent_role": role,
        "started_at": fmt(rnd.started_at),
        "clock_start": fmt(rnd.clock_start),
        "replied_at": fmt(rnd.reply.at) if answered else None,
        "wait_seconds": rnd.wait_seconds if answered else None,
        "target_seconds": target,
        "met_target": answered and rnd.wait_seconds <= target,
        "unanswered": not answered,
        "week": iso_week(rnd.started_at),
        "n_buyer_msgs": len(rnd.buyer_msgs),
        "cases": _derived_round_cases(session, rnd, role, target),
    }


def _primary_agent(session: Session) -> str | None:
    """Most human replies (ties: who replied first); with none, the agent the buyer last wrote to."""
    replies = [m.agent for m in session.msgs if m.role == "agent"]
    if replies:
        return max(dict.fromkeys(replies), key=lambda a: (replies.count(a), -replies.index(a)))
    addressed = [m.agent for m in session.msgs if m.role == "buyer" and m.agent]
    return addressed[-1] if addressed else None


def session_truth(session: Session, repeat_buyer: bool) -> dict:
    cases = list(session.cases)
    derived = []
    if any(n.kind == "transfer" for n in session.notes):
        derived.append("transfer")
    if session.kind == "aftersale":
        derived.append("aftersale")
    if repeat_buyer:
        derived.append("repeat_buyer")
    if any(r.reply is None for r in session.rounds):
        derived.append("unanswered_last")
    cases += [c for c in derived if c not in cases]
    return {
        "shop": session.shop,
        "buyer": session.buyer,
        "kind": session.kind,
        "started_at": fmt(session.started_at),
        "ended_at": fmt(session.ended_at),
        "n_buyer_msgs": sum(m.role == "buyer" for m in session.msgs),
        "n_agent_msgs": sum(m.role == "agent" for m in session.msgs),
        "n_auto_msgs": sum(m.role == "auto" for m in session.msgs),
        "n_system_msgs": sum(m.role == "system" for m in session.msgs),
        "n_rounds": len(session.rounds),
        "agents": list(dict.fromkeys(m.agent for m in session.msgs if m.role == "agent")),
        "primary_agent": _primary_agent(session),
        "files": list(session.files),
        "cases": cases,
    }


def agent_week(rounds: list[dict], roles: dict[str, str], names: dict[str, str], cap: int) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rounds:
        groups[(r["week"], r["shop"], r["agent"])].append(r)
    out = []
    for (week, shop, agent), rs in sorted(groups.items()):
        first = [r for r in rs if r["is_first"]]
        follow = [r for r in rs if not r["is_first"]]
        out.append({
            "week": week,
            "shop": shop,
            "agent": agent,
            "agent_name": names.get(agent),
            "agent_role": roles.get(agent),
            "sessions": len({(r["shop"], r["buyer"], r["session_started_at"]) for r in rs}),
            "rounds": len(rs),
            "first_rounds": len(first),
            **_response_figures("first", first),
            **_response_figures("follow", follow),
            "unanswered_rounds": sum(r["unanswered"] for r in rs),
            "avg_wait_capped_s": statistics.fmean(
                cap if r["unanswered"] else min(r["wait_seconds"], cap) for r in rs
            ),
        })
    return out


def _response_figures(prefix: str, rounds: list[dict]) -> dict:
    waits = [float(r["wait_seconds"]) for r in rounds if not r["unanswered"]]
    return {
        f"{prefix}_median_s": float(statistics.median(waits)) if waits else None,
        f"{prefix}_p90_s": p90(waits) if waits else None,
        f"{prefix}_within_target_pct": (
            100.0 * sum(r["met_target"] for r in rounds) / len(rounds) if rounds else None
        ),
    }


def case_index(sessions: list[dict], rounds: list[dict]) -> dict:
    index: dict[str, dict[str, list]] = defaultdict(lambda: {"sessions": [], "rounds": []})
    for s in sessions:
        for tag in s["cases"]:
            index[tag]["sessions"].append(
                {"shop": s["shop"], "buyer": s["buyer"], "session_started_at": s["started_at"]})
    for r in rounds:
        for tag in r["cases"]:
            index[tag]["rounds"].append({k: r[k] for k in ("shop", "buyer", "session_started_at", "round_no")})
    return {tag: index[tag] for tag in sorted(index)}


def config_truth(config: Config) -> dict:
    return {
        "timezone": config.raw["timezone"],
        "shifts": [{"name": s["name"], "start": s["start"], "end": s["end"]} for s in config.raw["shifts"]],
        "idle_seconds": config.idle_seconds,
        "first_response_seconds": config.target_seconds("presale", True),
        "follow_up_seconds": config.target_seconds("presale", False),
        "aftersale_first_response_seconds": config.target_seconds("aftersale", True),
        "aftersale_follow_up_seconds": config.target_seconds("aftersale", False),
        "wait_cap_seconds": config.wait_cap_seconds,
        "auto_reply_prefix": "[自动回复]",
    }


def build_truth(
    *, seed: int, period: Period, config: Config, sessions: list[Session], roles: dict[str, str],
    names: dict[str, str], files: dict, orders: list[dict], quarantined: list[dict], violations: list[dict],
    agents: list[dict], conversion: dict, standard: dict,
) -> dict:
    ordered = sorted(sessions, key=lambda s: (s.shop, s.buyer, s.started_at))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for s in ordered:
        counts[(s.shop, s.buyer)] += 1
    session_rows = [session_truth(s, counts[(s.shop, s.buyer)] > 1) for s in ordered]
    round_rows = [round_truth(s, r, roles, config) for s in ordered for r in s.rounds]
    chat_files = [f for f in files.values() if f["kind"] == "chat"]
    return {
        "chat_qc_truth": {
            "version": TRUTH_VERSION,
            "seed": seed,
            "weeks": period.weeks,
            "first_day": period.first_day.isoformat(),
            "last_day": period.days[-1].isoformat(),
            "time_format": "YYYY-MM-DD HH:MM:SS, shop-local",
        },
        "config": config_truth(config),
        "agents": agents,
        "files": files,
        "messages_total": sum(f["rows_loaded"] for f in chat_files),
        "sessions": session_rows,
        "rounds": round_rows,
        "agent_week": agent_week(round_rows, roles, names, config.wait_cap_seconds),
        "orders": orders,
        "conversion": conversion,
        "quarantined": quarantined,
        "violations": violations,
        **standard,
        "cases": case_index(session_rows, round_rows),
    }


def _one(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _nested(value, depth: int) -> str:
    """Dicts spread over lines down to lists of records, one record a line."""
    pad = " " * depth
    if isinstance(value, dict) and value and any(isinstance(v, (dict, list)) for v in value.values()):
        body = ",\n".join(f"{pad} {_one(k)}: {_nested(v, depth + 1)}" for k, v in value.items())
        return "{\n" + body + "\n" + pad + "}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(f"{pad} {_one(v)}" for v in value) + "\n" + pad + "]"
    return _one(value)


# Keys whose value nests records a level deeper than the rest (mode -> table -> rows).
NESTED_KEYS = ("conversion",)


def dumps_truth(truth: dict) -> str:
    """JSON with one record per line in the long lists, so the file stays small and diffs stay readable."""
    one = _one
    parts = []
    for key, value in truth.items():
        if key in NESTED_KEYS:
            parts.append(f" {one(key)}: {_nested(value, 1)}")
        elif isinstance(value, list) and value:
            body = ",\n".join(f"  {one(v)}" for v in value)
            parts.append(f" {one(key)}: [\n{body}\n ]")
        elif isinstance(value, dict) and value and all(isinstance(v, (dict, list)) for v in value.values()):
            body = ",\n".join(f"  {one(k)}: {one(v)}" for k, v in value.items())
            parts.append(f" {one(key)}: {{\n{body}\n }}")
        else:
            parts.append(f" {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
