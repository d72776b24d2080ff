"""The agent page's four-week trend: the agent's first-reply within-target share, conversion rate and QC
score in the reported ISO week and the three before it, as agent_week stores them (a week without a row
shows as none: the agent had no rounds that week)."""
from __future__ import annotations

from typing import Any

from qc_pipeline.reports.figures import PCT, RATE, SCORE, fmt, plain
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.weeks import previous_week

TREND_KEYS = (("first_within_target_pct", PCT), ("conversion_rate", RATE), ("qc_score_avg", SCORE))
TREND_WEEKS = 4


def trend_weeks(week: str, n: int = TREND_WEEKS) -> list[str]:
    """`week` and the n - 1 ISO weeks before it, oldest first."""
    weeks = [week]
    while len(weeks) < n:
        weeks.append(previous_week(weeks[-1]))
    return weeks[::-1]


def agent_trends(history: list[dict[str, Any]], week: str, T: Labels) -> dict[tuple[str, str], list[dict]]:
    """(shop, agent) -> one entry per week of `trend_weeks(week)`: {week, present, cells[(key, text, value)]},
    for every agent with a row in `week`. `history` holds agent_week rows (reports/data.py)."""
    weeks = trend_weeks(week)
    by_key = {(r["shop"], r["agent"], r["week"]): r for r in history if r["week"] in weeks}
    out: dict[tuple[str, str], list[dict]] = {}
    for shop, agent, w in list(by_key):
        if w != week:
            continue
        entries = []
        for each in weeks:
            row = by_key.get((shop, agent, each))
            values = [(key, kind, plain(row.get(key)) if row else None) for key, kind in TREND_KEYS]
            entries.append({"week": each, "present": row is not None,
                            "cells": [(key, fmt(kind, v, T), v) for key, kind, v in values]})
        out[(shop, agent)] = entries
    return out
