"""What each page and sheet shows, built once from the week's data and shared by HTML, workbook and Markdown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qc_pipeline.reports import limits
from qc_pipeline.reports.data import EDGES, WeekData
from qc_pipeline.reports.detail import Details, Reading, SessionView
from qc_pipeline.reports.figures import (
    AGENT_KEYS, AGENT_SECTIONS, FIGURES, SUMMARY_FIGURES, SUMMARY_KEYS, Delta, band_tone, delta, fmt_figure, tone,
)
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.weeks import week_days
from qc_pipeline.store.schema import FLAG_CATEGORIES

WORST_SESSIONS_SHOWN = limits.WORST_SESSIONS_SHOWN
NO_BAND = "none"


@dataclass
class Cell:
    key: str
    value: Any
    text: str
    tone: str = ""
    previous: Any = None
    previous_text: str = ""
    delta: Delta | None = None
    target: int | None = None


@dataclass
class AgentRow:
    agent: str
    shop: str
    name: str | None
    role: str
    role_label: str
    rank: int
    band: str | None
    band_label: str
    href: str
    file_name: str
    targets: dict[str, int]
    cells: dict[str, Cell]
    is_new: bool


def _targets(row: dict, config) -> dict[str, int]:
    role = row.get("agent_role") or config.default_role
    return {"first": config.target_seconds(role, True), "follow": config.target_seconds(role, False)}


def _cell(key: str, row: dict, prev: dict | None, targets: dict[str, int], T: Labels, show_delta: bool) -> Cell:
    value = row.get(key)
    previous = prev.get(key) if prev else None
    fig = FIGURES[key]
    return Cell(
        key=key,
        value=value,
        text=fmt_figure(key, value, T),
        tone=tone(key, value, targets),
        previous=previous,
        previous_text=fmt_figure(key, previous, T) if prev else "",
        delta=delta(key, value, previous, T) if show_delta else None,
        target=targets[fig.target] if fig.target else None,
    )


def _rank_key(row: dict) -> tuple:
    score, rate = row.get("qc_score_avg"), row.get("conversion_rate")
    return (score is None, -(score or 0.0), rate is None, -(rate or 0.0))


def ranks(rows: list[dict]) -> list[tuple[int, dict]]:
    """Rank by average QC score, then conversion rate; equal figures share a rank (1, 2, 2, 4)."""
    ordered = sorted(rows, key=lambda r: (_rank_key(r), r["shop"], r["agent"]))
    out, rank, last = [], 0, None
    for i, row in enumerate(ordered, start=1):
        key = _rank_key(row)
        if key != last:
            rank, last = i, key
        out.append((rank, row))
    return out


def agent_rows(data: WeekData, config, T: Labels, file_names: dict[str, str], keys=SUMMARY_KEYS) -> list[AgentRow]:
    rows = []
    for rank, row in ranks(data.agents):
        prev = data.previous.get((row["shop"], row["agent"]))
        targets = _targets(row, config)
        role = row.get("agent_role") or config.default_role
        rows.append(AgentRow(
            agent=row["agent"],
            shop=row["shop"],
            name=row.get("agent_name"),
            role=role,
            role_label=T.of("roles", role),
            rank=rank,
            band=row.get("conversion_band"),
            band_label=T.of("bands", row.get("conversion_band")),
            href="agents/" + file_names[row["agent"]],
            file_name=file_names[row["agent"]],
            targets=targets,
            cells={k: _cell(k, row, prev, targets, T, data.has_previous) for k in keys},
            is_new=data.has_previous and prev is None,
        ))
    return rows


@dataclass
class SummaryView:
    week: str
    agents: list[AgentRow]
    groups: dict[str, tuple[str, ...]]
    shops: list[dict]
    bands: list[dict]
    flag_categories: list[str]
    flag_matrix: list[dict]
    auto_flags: dict[str, int]
    has_previous: bool
    previous_week: str
    trend_weeks: list[str]
    trend: dict[str, list[tuple[str, list[Any]]]]
    # The review loop: rules that need tuning, scores adjusted after appeals (qc_pipeline/review/report.py).
    review: dict = field(default_factory=dict)


def summary_view(data: WeekData, config, T: Labels, file_names: dict[str, str]) -> SummaryView:
    agents = agent_rows(data, config, T, file_names)
    band_names = [b["name"] for b in config.conversion["bands"]] + ["insufficient_data"]
    counts = {b: 0 for b in band_names + [NO_BAND]}
    for row in data.agents:
        band = row.get("conversion_band") or NO_BAND
        counts[band] = counts.get(band, 0) + 1
    bands = [
        {"band": b, "label": T.ui.none if b == NO_BAND else T.of("bands", b), "count": n,
         "css": "bar-muted" if b == NO_BAND else band_tone(b)}
        for b, n in counts.items() if b != NO_BAND or n
    ]
    stored = {(r["shop"], r["agent"]): r for r in data.agents}
    matrix = [
        {"agent": a.agent, "counts": {c: stored[(a.shop, a.agent)][f"flags_{c}"] for c in FLAG_CATEGORIES},
         "total": stored[(a.shop, a.agent)]["flags_total"]}
        for a in agents
    ]
    weeks = sorted({r["week"] for r in data.history})
    trend = {}
    for key in ("qc_score_avg", "conversion_rate", "first_median_s", "first_within_target_pct"):
        by_agent: dict[str, dict[str, Any]] = {}
        for r in data.history:
            by_agent.setdefault(r["agent"], {})[r["week"]] = r.get(key)
        trend[key] = [(agent, [by_agent[agent].get(w) for w in weeks]) for agent in sorted(by_agent)]
    shops = []
    for s in data.shops:
        prev = data.previous_shops.get(s["shop"])
        shops.append({
            "shop": s["shop"],
            "cells": {
                k: _cell(k, s, prev, {}, T, data.has_previous)
                for k in ("inquiries", "paying_buyers", "conversion_rate", "sales_amount", "silent_orders",
                          "silent_amount")
            },
        })
    return SummaryView(
        week=data.week, agents=agents, groups=SUMMARY_FIGURES, shops=shops, bands=bands,
        flag_categories=list(FLAG_CATEGORIES), flag_matrix=matrix, auto_flags=data.auto_flags_by_category,
        has_previous=data.has_previous, previous_week=data.previous_week, trend_weeks=weeks, trend=trend,
    )


def distribution(buckets: dict[int, int], unanswered: int, edges: tuple[int, ...], target: int,
                 T: Labels) -> list[dict]:
    """Histogram bins from SQL buckets over ``edges`` (bucket i: answered first waits in (edges[i-1], edges[i]],
    bucket 0 from 0, bucket len(edges) above them all). The agent's bins split at the standard edges and its
    own target, which ``edges`` must hold."""
    if target not in edges:
        raise ValueError(f"histogram edges {edges} lack the target {target}")
    bins, low, i = [], 0, 0
    for high in sorted(set(EDGES) | {target}):
        n = 0
        while i < len(edges) and edges[i] <= high:
            n += buckets.get(i, 0)
            i += 1
        bins.append({"label": f"≤{high}" if low == 0 else f"{low}–{high}", "count": n, "within": high <= target})
        low = high
    bins.append({"label": f">{low}", "count": sum(c for b, c in buckets.items() if b >= i), "within": False})
    bins.append({"label": T.ui.unanswered_bin, "count": unanswered, "within": None})
    return bins


def daily(data: WeekData, agent: str) -> list[dict]:
    by_day = {r["day"]: r for r in data.daily.get(agent, [])}
    out = []
    for day in week_days(data.week):
        r = by_day.get(day, {})
        out.append({
            "day": day,
            "rounds": r.get("rounds", 0),
            "first_rounds": r.get("first_rounds", 0),
            "first_median_s": r.get("first_median_s"),
            "first_within_target_pct": r.get("first_within_target_pct"),
            "unanswered_rounds": r.get("unanswered_rounds", 0),
        })
    return out


@dataclass
class AgentView:
    week: str
    row: AgentRow
    sections: dict[str, tuple[str, ...]]
    distribution: list[dict]
    daily: list[dict]
    conversion_history: list[dict]
    shop_rate: float | None
    sessions: list[SessionView]          # the worst sessions, lowest score first
    session_count: int                   # the agent's scored sessions
    reading: list[Reading]               # sessions worth reading, by kind
    shown: list[tuple[SessionView, str]]  # each session worth reading once, with the kind it is shown under
    flag_count: int                      # the agent's flags of the week
    session_views: dict[str, SessionView]  # every session shown, by id
    has_previous: bool
    previous_week: str


def agent_views(data: WeekData, config, T: Labels, file_names: dict[str, str], details: Details) -> list[AgentView]:
    """One view per agent of the week."""
    rows = agent_rows(data, config, T, file_names, keys=AGENT_KEYS)
    shop_rates = {s["shop"]: s.get("conversion_rate") for s in data.shops}
    history: dict[tuple[str, str], list[dict]] = {}
    for r in data.history:
        history.setdefault((r["shop"], r["agent"]), []).append(
            {"week": r["week"], "rate": r.get("conversion_rate"), "band": r.get("conversion_band")})
    views = []
    for row in sorted(rows, key=lambda r: (r.shop, r.agent)):
        reading = details.reading.get(row.agent, [])
        shown, seen = [], set()
        for group in reading:
            for sid in group.session_ids:
                if sid not in seen:
                    seen.add(sid)
                    shown.append((details.sessions[sid], group.kind))
        views.append(AgentView(
            week=data.week,
            row=row,
            sections=AGENT_SECTIONS,
            distribution=distribution(data.first_buckets.get(row.agent, {}), data.first_unanswered.get(row.agent, 0),
                                      data.edges, row.targets["first"], T),
            daily=daily(data, row.agent),
            conversion_history=history.get((row.shop, row.agent), []),
            shop_rate=shop_rates.get(row.shop),
            sessions=[details.sessions[sid] for sid in details.worst.get(row.agent, [])],
            session_count=details.session_counts.get(row.agent, 0),
            reading=reading,
            shown=shown,
            flag_count=details.flag_counts.get(row.agent, 0),
            session_views=details.sessions,
            has_previous=data.has_previous,
            previous_week=data.previous_week,
        ))
    return views
