"""What each page and sheet shows, built once from the week's data and shared by HTML, workbook and Markdown."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from qc_pipeline.config import ROLES
from qc_pipeline.reports import limits
from qc_pipeline.reports.data import EDGES, WeekData
from qc_pipeline.reports.detail import Details, Reading, SessionView
from qc_pipeline.reports.figures import (
    AGENT_KEYS, AGENT_SECTIONS, CONVERSION_ROLES, FIGURES, RANKING_FIGURES, SUMMARY_FIGURES, SUMMARY_KEYS, Delta,
    band_tone, delta, fmt_figure, target_text, tone,
)
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.naming import account, shown_agent
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
    target: float | None = None
    target_text: str = ""
    link: str = ""                  # the list of the sessions behind it (reports/drill.py), from the week's folder
    link_count: int | None = None   # how many of the list's things (sessions, rounds, messages) it counts


@dataclass
class AgentRow:
    agent: str
    shop: str
    account: str                 # naming.account: the key of this shop's agent (files, sheets, links)
    name: str | None
    role: str
    role_label: str
    rank: int
    band: str | None
    band_label: str
    href: str
    file_name: str
    targets: dict[str, float]
    cells: dict[str, Cell]
    is_new: bool
    sessions: int = 0
    small_sample: bool = False   # fewer sessions than reports.min_sessions: changes are not better or worse
    has_conversion: bool = True  # the role is credited with conversion (presale)

    @property
    def label(self) -> str:
        return shown_agent(self.shop, self.agent)


def _targets(row: dict, config) -> dict[str, float]:
    role = row.get("agent_role") or config.default_role
    return {"first": config.target_seconds(role, True), "follow": config.target_seconds(role, False),
            "first_share": config.first_within_target_share}


def _cell(key: str, row: dict, prev: dict | None, targets: dict[str, float], T: Labels, show_delta: bool,
          small_sample: bool = False) -> Cell:
    value = row.get(key)
    previous = prev.get(key) if prev else None
    fig = FIGURES[key]
    change = delta(key, value, previous, T) if show_delta else None
    if change is not None and small_sample and change.tone in ("better", "worse"):
        # A few sessions swing every figure: the change is shown, not judged.
        change = replace(change, tone="neutral")
    target = targets[fig.target] if fig.target else None
    return Cell(
        key=key,
        value=value,
        text=fmt_figure(key, value, T),
        tone=tone(key, value, targets),
        previous=previous,
        previous_text=fmt_figure(key, previous, T) if prev else "",
        delta=change,
        target=target,
        target_text=target_text(key, target, T),
    )


def small_sample(row: dict, config) -> bool:
    return (row.get("sessions") or 0) < config.min_sessions


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


def role_order(role: str) -> tuple:
    return (ROLES.index(role) if role in ROLES else len(ROLES), role)


def agent_rows(data: WeekData, config, T: Labels, file_names: dict[str, str], keys=SUMMARY_KEYS) -> list[AgentRow]:
    """Every agent of the week, role by role (presale, after-sale, supervisor, then any other), each role
    ranked on its own: roles have different targets, and only presale agents have conversion."""
    by_role: dict[str, list[dict]] = {}
    for row in data.agents:
        by_role.setdefault(row.get("agent_role") or config.default_role, []).append(row)
    rows = []
    for role in sorted(by_role, key=role_order):
        rows.extend(_role_rows(role, by_role[role], data, config, T, file_names, keys))
    return rows


def _role_rows(role: str, members: list[dict], data: WeekData, config, T: Labels, file_names: dict[str, str],
               keys) -> list[AgentRow]:
    rows = []
    for rank, row in ranks(members):
        prev = data.previous.get((row["shop"], row["agent"]))
        key = account(row["shop"], row["agent"])
        targets = _targets(row, config)
        small = small_sample(row, config)
        rows.append(AgentRow(
            agent=row["agent"],
            shop=row["shop"],
            account=key,
            name=row.get("agent_name"),
            role=role,
            role_label=T.of("roles", role),
            rank=rank,
            band=row.get("conversion_band"),
            band_label=T.of("bands", row.get("conversion_band")),
            href="agents/" + file_names[key],
            file_name=file_names[key],
            targets=targets,
            cells={k: _cell(k, row, prev, targets, T, data.has_previous, small) for k in keys},
            is_new=data.has_previous and prev is None,
            sessions=row.get("sessions") or 0,
            small_sample=small,
            has_conversion=role in CONVERSION_ROLES,
        ))
    return rows


@dataclass
class Ranking:
    """One role's ranking table on the summary: its agents, the figure groups it shows and their targets."""
    role: str
    role_label: str
    agents: list[AgentRow]
    groups: dict[str, tuple[str, ...]]
    targets: dict[str, str]   # figure -> "≤ 30 秒" / "≥ 80%", the role's targets for the column heads


def rankings(rows: list[AgentRow], figures: dict[str, tuple[str, ...]] = RANKING_FIGURES) -> list[Ranking]:
    """``rows`` (from ``agent_rows``, role by role) as one ranking per role."""
    out: list[Ranking] = []
    for row in rows:
        if not out or out[-1].role != row.role:
            groups = {g: keys for g, keys in figures.items() if g != "conversion" or row.has_conversion}
            targets = {k: row.cells[k].target_text for keys in groups.values() for k in keys
                       if k in row.cells and row.cells[k].target_text}
            out.append(Ranking(row.role, row.role_label, [], groups, targets))
        out[-1].agents.append(row)
    return out


@dataclass
class AttentionLine:
    """One missed target: who, which figure, the value and the target."""
    agent: str
    account: str
    label: str           # naming.shown_agent
    name: str | None
    role_label: str
    href: str
    kind: str            # auto_failed | first_within_target | unanswered | band_fail
    key: str             # the agent_week column
    value: Any
    value_text: str
    target_text: str
    small_sample: bool
    rules: list[tuple[str, int]] = field(default_factory=list)  # auto-fails: (rule id, sessions)
    drill: str = ""      # the list of the sessions behind it, from the week's folder


def attention(rows: list[AgentRow], stored: dict[tuple[str, str], dict], auto_fail_rules: dict[str, list],
              T: Labels, band_target: str = "") -> list[AttentionLine]:
    """Every target an agent missed this week, agents in ranking order, the gravest first: auto-failed
    sessions (with the rules that failed them), 首响达标率 below the standard's share, unanswered rounds,
    conversion band fail. Built from ``agent_rows`` with the SUMMARY or AGENT keys (the cells it reads)."""
    out = []
    for a in rows:
        row = stored[(a.shop, a.agent)]

        def line(kind: str, key: str, target: str, **extra) -> AttentionLine:
            return AttentionLine(a.agent, a.account, a.label, a.name, a.role_label, a.href, kind, key, row.get(key),
                                 fmt_figure(key, row.get(key), T), target, a.small_sample, **extra)

        if (row.get("auto_failed_sessions") or 0) > 0:
            out.append(line("auto_failed", "auto_failed_sessions", "0", rules=auto_fail_rules.get(a.account, [])))
        within, share = row.get("first_within_target_pct"), a.targets["first_share"]
        if within is not None and within < share:
            out.append(line("first_within_target", "first_within_target_pct",
                            target_text("first_within_target_pct", share, T)))
        if (row.get("unanswered_rounds") or 0) > 0:
            out.append(line("unanswered", "unanswered_rounds", "0"))
        if a.has_conversion and row.get("conversion_band") == "fail":
            out.append(line("band_fail", "conversion_rate", band_target or T.of("bands", "pass")))
    return out


def attention_by_agent(lines: list[AttentionLine]) -> list[list[AttentionLine]]:
    """``lines`` cut into one list per agent, in their order."""
    out: list[list[AttentionLine]] = []
    for line in lines:
        if out and out[-1][0].account == line.account:
            out[-1].append(line)
        else:
            out.append([line])
    return out


def band_target(config, T: Labels) -> str:
    """What a failing conversion rate falls short of: the band above the lowest, e.g. "合格 ≥ 50%"."""
    bands = config.conversion["bands"]
    if len(bands) < 2:
        return ""
    return f"{T.of('bands', bands[1]['name'])} ≥ {bands[1]['min_pct']:g}%"


def team_totals(rows: list[dict]) -> dict[str, int]:
    """The week's team totals from agent_week: auto-failed sessions, violations (flagged messages), sessions
    with a violation, unanswered rounds."""
    keys = ("auto_failed_sessions", "flags_total", "violation_sessions", "unanswered_rounds")
    return {k: sum(r.get(k) or 0 for r in rows) for k in keys}


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
    # The service-standard section (reports/standard.py), when the report was built with it.
    standard: Any = None
    rankings: list[Ranking] = field(default_factory=list)       # one per role, in ``agents`` order
    attention: list[AttentionLine] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    total_links: dict[str, str] = field(default_factory=dict)   # total -> the team's list behind it
    first_share: float | None = None                            # reports.first_within_target_pct
    pass_rate: float | None = None                              # the conversion band above fail (0-1)
    min_sessions: int = 0

    @property
    def attention_groups(self) -> list[list["AttentionLine"]]:
        return attention_by_agent(self.attention)


def summary_view(data: WeekData, config, T: Labels, file_names: dict[str, str]) -> SummaryView:
    agents = agent_rows(data, config, T, file_names)
    band_names = [b["name"] for b in config.conversion["bands"]] + ["insufficient_data"]
    counts = {b: 0 for b in band_names + [NO_BAND]}
    # Only roles credited with conversion have a band; the others would fill a "—" bar.
    with_conversion = {(a.shop, a.agent) for a in agents if a.has_conversion}
    for row in data.agents:
        if (row["shop"], row["agent"]) not in with_conversion:
            continue
        band = row.get("conversion_band") or NO_BAND
        counts[band] = counts.get(band, 0) + 1
    bands = [
        {"band": b, "label": T.ui.none if b == NO_BAND else T.of("bands", b), "count": n,
         "css": "bar-muted" if b == NO_BAND else band_tone(b)}
        for b, n in counts.items() if b != NO_BAND or n
    ]
    stored = {(r["shop"], r["agent"]): r for r in data.agents}
    matrix = [
        {"agent": a.agent, "label": a.label, "counts": {c: stored[(a.shop, a.agent)][f"flags_{c}"] for c in FLAG_CATEGORIES},
         "total": stored[(a.shop, a.agent)]["flags_total"]}
        for a in agents
    ]
    weeks = sorted({r["week"] for r in data.history})
    trend = {}
    for key in ("qc_score_avg", "conversion_rate", "first_median_s", "first_within_target_pct"):
        by_agent: dict[str, dict[str, Any]] = {}
        for r in data.history:
            by_agent.setdefault(account(r["shop"], r["agent"]), {})[r["week"]] = r.get(key)
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
        rankings=rankings(agents),
        attention=attention(agents, stored, data.auto_fail_rules, T, band_target(config, T)),
        totals=team_totals(data.agents), first_share=config.first_within_target_share,
        pass_rate=(config.conversion["bands"][1]["min_pct"] / 100 if len(config.conversion["bands"]) > 1 else None),
        min_sessions=config.min_sessions,
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
    min_sessions: int = 0                # reports.min_sessions: below it the row is a small sample
    standard: Any = None                 # the agent's service-standard section (reports/standard.py)
    cases: list[dict] = field(default_factory=list)  # the week's case-library cases of the agent, with their page
    lists: frozenset[str] = frozenset()  # the drill-down lists the agent has (reports/drill.py)

    def has_list(self, name: str) -> bool:
        return name in self.lists


def agent_views(data: WeekData, config, T: Labels, file_names: dict[str, str], details: Details) -> list[AgentView]:
    """One view per agent of the week."""
    rows = agent_rows(data, config, T, file_names, keys=AGENT_KEYS)
    shop_rates = {s["shop"]: s.get("conversion_rate") for s in data.shops}
    history: dict[tuple[str, str], list[dict]] = {}
    for r in data.history:
        history.setdefault((r["shop"], r["agent"]), []).append(
            {"week": r["week"], "rate": r.get("conversion_rate"), "band": r.get("conversion_band")})
    lists_of: dict[str, set[str]] = {}
    for agent, name in details.lists:
        lists_of.setdefault(agent, set()).add(name)
    views = []
    for row in sorted(rows, key=lambda r: (r.shop, r.agent)):
        reading = details.reading.get(row.account, [])
        shown, seen = [], set()
        for group in reading:
            for sid in group.session_ids:
                if sid not in seen:
                    seen.add(sid)
                    shown.append((details.sessions[sid], group.kind))
        views.append(AgentView(
            week=data.week,
            row=row,
            sections={k: v for k, v in AGENT_SECTIONS.items() if k != "conversion" or row.has_conversion},
            distribution=distribution(data.first_buckets.get(row.account, {}), data.first_unanswered.get(row.account, 0),
                                      data.edges, row.targets["first"], T),
            daily=daily(data, row.account),
            conversion_history=history.get((row.shop, row.agent), []),
            shop_rate=shop_rates.get(row.shop),
            sessions=[details.sessions[sid] for sid in details.worst.get(row.account, [])],
            session_count=details.session_counts.get(row.account, 0),
            reading=reading,
            shown=shown,
            flag_count=details.flag_counts.get(row.account, 0),
            session_views=details.sessions,
            has_previous=data.has_previous,
            previous_week=data.previous_week,
            min_sessions=config.min_sessions,
            lists=frozenset(lists_of.get(row.account, ())),
        ))
    return views
