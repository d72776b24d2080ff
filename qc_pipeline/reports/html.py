"""The HTML pages: one self-contained file each (inline CSS and SVG, no script, no external resource)."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from qc_pipeline.reports import charts, drill, limits
from qc_pipeline.reports.figures import data_value, fmt
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.standard import total_figures
from qc_pipeline.reports.views import AgentView, SummaryView


# The reading index's kinds with a full list behind them that counts the same sessions (the index's flagged
# and unanswered kinds go by the session's scored agent and count auto-reply flags; their lists, like
# agent_week, by the round's and the flag's agent: the figures table links those).
READING_LISTS = {"auto_failed": "auto_failed"}


@lru_cache(maxsize=None)
def environment() -> Environment:
    # Chat text is untrusted: every value is escaped, including attributes, with no opt-out per template.
    env = Environment(
        loader=PackageLoader("qc_pipeline.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["data_value"] = data_value
    return env


class SessionBodies:
    """Each session's transcript block (``_macros.html`` session_body) rendered once for a pack: a session
    is shown on its agent's page and on every list page that holds it, in the same words."""

    def __init__(self, T: Labels):
        self.T = T
        self._macros = None   # made at the first session: the summary shows none
        self._done: dict[str, Markup] = {}

    def __call__(self, session) -> Markup:
        body = self._done.get(session.session_id)
        if body is None:
            if self._macros is None:
                self._macros = environment().get_template("_macros.html").make_module(
                    {"T": self.T, "fmt": lambda kind, value: fmt(kind, value, self.T)})
            body = self._done[session.session_id] = Markup(self._macros.session_body(session))
        return body


def _common(T: Labels, week: str, masked: bool, generated_at: str, meta: dict,
            bodies: SessionBodies | None = None) -> dict:
    return {
        "T": T, "week": week, "masked": masked, "generated_at": generated_at, "meta": meta,
        "fmt": lambda kind, value: fmt(kind, value, T),
        "session_body_of": bodies if bodies is not None else SessionBodies(T),
    }


def render_summary(view: SummaryView, T: Labels, masked: bool, generated_at: str, meta: dict,
                   lists: dict[str, str]) -> str:
    return environment().get_template("summary.html").render(
        view=view,
        lists=lists,
        band_chart=charts.band_chart(view, T),
        trend_charts=charts.trend_charts(view, T),
        trend_agents=limits.TREND_AGENTS,
        standard_totals=total_figures(view.standard, T) if view.standard else [],
        **_common(T, view.week, masked, generated_at, meta),
    )


def render_agent(view: AgentView, T: Labels, bands: list[dict], masked: bool, generated_at: str, meta: dict,
                 lists: dict[str, str], trend: list[dict] | None = None, bodies: SessionBodies | None = None) -> str:
    """`trend`: the agent's last four weeks (reports/agent_trend.py), shown when given; `bodies`: the pack's
    rendered transcripts, shared with its other pages."""
    return environment().get_template("agent.html").render(
        view=view,
        trend=trend or [],
        charts={
            "distribution": charts.distribution_chart(view, T),
            "daily": charts.daily_chart(view, T),
            "conversion": charts.conversion_chart(view, T, bands),
        },
        lists=lists,
        worst_href="../" + quote(drill.agent_href(drill.WORST, view.row.file_name)),
        reading_lists={kind: quote(drill.agent_href(name, view.row.file_name))
                       for kind, name in READING_LISTS.items() if view.has_list(name)},
        **_common(T, view.week, masked, generated_at, meta, bodies),
    )


def render_list(page, T: Labels, masked: bool, generated_at: str, meta: dict, week: str, lists: dict[str, str],
                bodies: SessionBodies | None = None) -> str:
    """A drill-down page (reports/drill_pages.py): the team's at lists/<list>.html, an agent's at
    lists/<list>/<agent>.html."""
    return environment().get_template("list.html").render(
        page=page, root="../" if page.agent is None else "../../", lists=lists,
        **_common(T, week, masked, generated_at, meta, bodies),
    )
