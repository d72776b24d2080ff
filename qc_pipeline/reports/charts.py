"""The charts on the pages, drawn from the views with the small SVG helpers."""
from __future__ import annotations

import statistics

from markupsafe import Markup

from qc_pipeline.reports import limits, svg
from qc_pipeline.reports.figures import FIGURES, PCT, RATE, SCORE, SECONDS, fmt
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.views import AgentView, SummaryView, role_order


def _seconds(T: Labels):
    return lambda v: f"{svg.num(v)}{T.units.seconds}"


def _percent(v: float) -> str:
    return f"{svg.num(v * 100)}%"


def distribution_chart(view: AgentView, T: Labels) -> Markup:
    bars = [
        svg.Bar(b["label"], b["count"], "bar-muted" if b["within"] is None else ("bar-ok" if b["within"] else "bar-bad"),
                note=str(b["count"]))
        for b in view.distribution
    ]
    return svg.bar_chart(bars, T.ui.distribution_title, svg.num, width=620, integer=True)


def daily_chart(view: AgentView, T: Labels) -> Markup:
    labels = [d["day"].strftime("%m-%d") for d in view.daily]
    target = view.row.targets["first"]
    return svg.line_chart(
        labels,
        [(T.ui.daily_first_median, [d["first_median_s"] for d in view.daily])],
        T.ui.daily_title,
        _seconds(T),
        lines=[svg.Line(target, f"{T.ui.target} {target}{T.units.seconds}", "target-line")],
        width=620,
    )


def conversion_chart(view: AgentView, T: Labels, bands: list[dict]) -> Markup:
    bars = [
        svg.Bar(h["week"], h["rate"] or 0.0,
                (f"band-{h['band']}" if h["band"] else "bar-muted") + (" current" if h["week"] == view.week else ""),
                note=fmt(RATE, h["rate"], T))
        for h in view.conversion_history
    ]
    lines = [svg.Line(b["min_pct"] / 100, f"{T.of('bands', b['name'])} {b['min_pct']}%", "band-line")
             for b in bands if b["min_pct"] > 0]
    if view.shop_rate is not None:
        lines.append(svg.Line(view.shop_rate, f"{T.ui.shop_rate} {_percent(view.shop_rate)}", "shop-line", left=True))
    top = max([h["rate"] or 0 for h in view.conversion_history] + [b["min_pct"] / 100 for b in bands] + [0.0])
    y_max = 1.0 if top > 0.8 else svg.nice_max(top * 1.1)
    return svg.bar_chart(bars, T.ui.conversion_chart, _percent, lines=lines, y_max=y_max, width=620)


def band_chart(view: SummaryView, T: Labels) -> Markup:
    return svg.hbar_chart([svg.Bar(b["label"], b["count"], b["css"] or "bar-muted") for b in view.bands],
                          T.ui.band_distribution)


_TREND_FORMATS = {"qc_score_avg": SCORE, "conversion_rate": RATE, "first_median_s": SECONDS,
                  "first_within_target_pct": PCT}


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def trend_charts(view: SummaryView, T: Labels) -> list[tuple[str, list[tuple[str, Markup]]]]:
    """(role, [(figure, chart)]), roles in ranking order: per role, since roles have their own targets (and only some convert), each
    figure's weekly median over the role's agents beside the few agents furthest from the target this
    week (``limits.TREND_AGENTS``), with the role's target drawn as a line."""
    out = []
    by_role: dict[str, list] = {}
    for a in view.agents:
        by_role.setdefault(a.role, []).append(a)
    for role, members in sorted(by_role.items(), key=lambda item: role_order(item[0])):
        names = {a.account for a in members}
        charts = []
        for key, series in view.trend.items():
            if key == "conversion_rate" and not any(a.has_conversion for a in members):
                continue
            kind = _TREND_FORMATS[key]
            axis = {SCORE: svg.num, RATE: _percent, SECONDS: _seconds(T), PCT: lambda v: f"{svg.num(v)}%"}[kind]
            y_max = 100.0 if kind in (SCORE, PCT) else (1.0 if kind == RATE else None)
            mine = [(agent, values) for agent, values in series if agent in names]
            if not mine:
                continue
            median = [_median([values[i] for _, values in mine]) for i in range(len(view.trend_weeks))]
            lower_is_better = FIGURES[key].better == "lower"
            # This week's value decides who is drawn: the worst first; an agent without one is left out.
            current = [(agent, values) for agent, values in mine if values and values[-1] is not None]
            worst = sorted(current, key=lambda item: (-item[1][-1] if lower_is_better else item[1][-1], item[0]))
            drawn = [(T.ui.trend_median.format(n=len(mine)), median)] + worst[:limits.TREND_AGENTS]
            target = _trend_target(key, members[0], view, T)
            lines = [svg.Line(target, f"{T.ui.target} {axis(target)}", "target-line")] if target is not None else []
            charts.append((key, svg.line_chart(view.trend_weeks, drawn, T.figures[key], axis, y_max=y_max,
                                               width=520, lines=lines)))
        if charts:
            out.append((role, charts))
    return out


def _trend_target(key: str, member, view: SummaryView, T: Labels) -> float | None:
    if key == "first_within_target_pct":
        return view.first_share
    if key == "first_median_s":
        return member.targets.get("first")
    if key == "conversion_rate" and view.pass_rate is not None:
        return view.pass_rate
    return None
