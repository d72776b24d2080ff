"""The weekly figures a report shows: how each is formatted, which way is better, and its target.

Values always come from ``agent_week`` (or ``shop_week``) unchanged; this module only presents them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qc_pipeline.reports.labels import Labels

SECONDS, PCT, RATE, MONEY, COUNT, SCORE = "seconds", "pct", "rate", "money", "count", "score"


@dataclass(frozen=True)
class Figure:
    key: str          # the agent_week column
    kind: str         # SECONDS | PCT (0-100) | RATE (0-1) | MONEY | COUNT | SCORE
    better: str | None = None  # "lower" | "higher" | None (a volume: neither)
    # "first" | "follow": compared with the role's response target (seconds, at most); "first_share": with
    # reports.first_within_target_pct (a share, at least).
    target: str | None = None


FIGURES = {
    f.key: f
    for f in (
        Figure("sessions", COUNT),
        Figure("rounds", COUNT),
        Figure("first_rounds", COUNT),
        Figure("first_median_s", SECONDS, "lower", "first"),
        Figure("first_p90_s", SECONDS, "lower", "first"),
        Figure("first_within_target_pct", PCT, "higher", "first_share"),
        Figure("follow_median_s", SECONDS, "lower", "follow"),
        Figure("follow_p90_s", SECONDS, "lower", "follow"),
        Figure("follow_within_target_pct", PCT, "higher"),
        Figure("unanswered_rounds", COUNT, "lower"),
        Figure("avg_wait_capped_s", SECONDS, "lower"),
        Figure("avg_response_s", SECONDS, "lower"),
        Figure("flags_total", COUNT, "lower"),
        Figure("flags_critical", COUNT, "lower"),
        Figure("flags_major", COUNT, "lower"),
        Figure("flags_minor", COUNT, "lower"),
        Figure("inquiries", COUNT),
        Figure("ordering_buyers", COUNT, "higher"),
        Figure("paying_buyers", COUNT, "higher"),
        Figure("conversion_rate", RATE, "higher"),
        Figure("sales_amount", MONEY, "higher"),
        Figure("aov", MONEY, "higher"),
        Figure("refund_amount", MONEY, "lower"),
        Figure("refund_orders", COUNT, "lower"),
        Figure("assists", COUNT, "higher"),
        Figure("scored_sessions", COUNT),
        Figure("qc_score_avg", SCORE, "higher"),
        Figure("auto_failed_sessions", COUNT, "lower"),
        Figure("violation_sessions", COUNT, "lower"),
        Figure("violation_session_pct", PCT, "lower"),
        Figure("silent_orders", COUNT),
        Figure("silent_amount", MONEY),
    )
}

# The columns of the workbook summary and the week-over-week comparison.
SUMMARY_FIGURES = {
    "response": (
        "sessions", "rounds", "first_median_s", "first_p90_s", "first_within_target_pct", "follow_median_s",
        "follow_p90_s", "follow_within_target_pct", "unanswered_rounds", "avg_response_s", "avg_wait_capped_s",
    ),
    "conversion": ("inquiries", "paying_buyers", "conversion_rate", "sales_amount", "aov", "refund_amount"),
    "quality": ("flags_total", "violation_session_pct", "qc_score_avg", "auto_failed_sessions"),
}
SUMMARY_KEYS = tuple(k for keys in SUMMARY_FIGURES.values() for k in keys)

# The columns of the summary page's ranking tables, few enough to fit a laptop screen: the sort key and the
# auto-fails first, then what the standard counts. Each agent's page holds the rest. Groups whose figures a
# role does not have (conversion, for after-sale) are left out of that role's table.
RANKING_FIGURES = {
    "quality": ("qc_score_avg", "auto_failed_sessions", "flags_total", "violation_session_pct"),
    "response": ("first_within_target_pct", "first_median_s", "avg_response_s", "unanswered_rounds", "sessions"),
    "conversion": ("conversion_rate", "sales_amount"),
}
RANKING_KEYS = tuple(k for keys in RANKING_FIGURES.values() for k in keys)
# Conversion is credited to presale replies only (conversion/inquiries.py): other roles have no such figures.
CONVERSION_ROLES = ("presale",)

AGENT_SECTIONS = {
    "response": (
        "sessions", "rounds", "first_rounds", "first_median_s", "first_p90_s", "first_within_target_pct",
        "follow_median_s", "follow_p90_s", "follow_within_target_pct", "unanswered_rounds", "avg_response_s",
        "avg_wait_capped_s",
    ),
    "conversion": (
        "inquiries", "ordering_buyers", "paying_buyers", "conversion_rate", "sales_amount", "aov",
        "refund_amount", "refund_orders", "assists",
    ),
    "quality": (
        "scored_sessions", "qc_score_avg", "auto_failed_sessions", "flags_total", "flags_critical",
        "flags_major", "flags_minor", "violation_sessions", "violation_session_pct",
    ),
}
AGENT_KEYS = tuple(k for keys in AGENT_SECTIONS.values() for k in keys)


def fmt(kind: str, value: Any, T: Labels) -> str:
    if value is None:
        return T.ui.none
    if kind == SECONDS:
        return f"{value:,.1f} {T.units.seconds}"
    if kind == PCT:
        return f"{value:.1f}%"
    if kind == RATE:
        return f"{value * 100:.1f}%"
    if kind == MONEY:
        return f"¥{value:,.2f}"
    if kind == SCORE:
        return f"{value:.1f}"
    return f"{int(value):,}"


def fmt_figure(key: str, value: Any, T: Labels) -> str:
    return fmt(FIGURES[key].kind, value, T)


@dataclass(frozen=True)
class Delta:
    value: float          # current - previous, in the figure's own unit (a rate as a fraction)
    text: str             # "▲ 2.5 s", "▼ 3.0 pp", "= 0"
    tone: str             # "better" | "worse" | "same" | "neutral"


def delta(key: str, current: Any, previous: Any, T: Labels) -> Delta | None:
    """The change from the previous week, or None when either week lacks the figure."""
    if current is None or previous is None:
        return None
    fig = FIGURES[key]
    change = float(current) - float(previous)
    if change == 0:
        return Delta(0.0, "= 0", "same")
    arrow = "▲" if change > 0 else "▼"
    size = abs(change)
    if fig.kind == SECONDS:
        text = f"{size:,.1f} {T.units.seconds}"
    elif fig.kind in (PCT, RATE):
        text = f"{size * (100 if fig.kind == RATE else 1):.1f} {T.units.pp}"
    elif fig.kind == MONEY:
        text = f"¥{size:,.2f}"
    elif fig.kind == SCORE:
        text = f"{size:.1f}"
    else:
        text = f"{int(round(size)):,}"
    if fig.better is None:
        tone = "neutral"
    else:
        tone = "better" if (change < 0) == (fig.better == "lower") else "worse"
    return Delta(change, f"{arrow} {text}", tone)


def tone(key: str, value: Any, targets: dict[str, int]) -> str:
    """ok / bad / warn against the role's targets; "" where the shop standard sets no target."""
    if value is None:
        return ""
    fig = FIGURES[key]
    if fig.target:
        limit = targets[fig.target]
        if fig.better == "higher":
            return "ok" if value >= limit else "bad"
        if value <= limit:
            return "ok"
        return "warn" if key.endswith("_p90_s") else "bad"
    if key in ("unanswered_rounds", "flags_major", "flags_minor") and value > 0:
        return "warn"
    if key in ("auto_failed_sessions", "flags_critical") and value > 0:
        return "bad"
    return ""


def target_text(key: str, target: Any, T: Labels) -> str:
    """A figure's target as the pages show it: "≤ 30 秒" for a wait, "≥ 80%" for a share."""
    if target is None:
        return ""
    fig = FIGURES[key]
    number = f"{target:g}{'%' if fig.kind == PCT else ' ' + T.units.seconds}"
    return f"{'≥' if fig.better == 'higher' else '≤'} {number}"


def band_tone(band: str | None) -> str:
    return f"band-{band}" if band else ""


def plain(value: Any) -> Any:
    """A warehouse value as a plain Python number (DECIMAL money becomes float)."""
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return float(value)


def data_value(value: Any) -> str:
    """The exact value for a data attribute, so a reader (or a test) can check the page against the warehouse."""
    if value is None:
        return ""
    return repr(plain(value))
