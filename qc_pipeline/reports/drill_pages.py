"""The drill-down pages (``<week>/lists/``): one per agent and list, with the sessions behind a count and
their transcripts, and one per list for the team, whose rows lead to the agents' pages. Also the links:
which cell, attention line and team total leads to which page, with the count it promises."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import polars as pl
from markupsafe import Markup

from qc_pipeline.reports import drill
from qc_pipeline.reports.detail import Details, SessionView
from qc_pipeline.reports.figures import SCORE, SECONDS, fmt
from qc_pipeline.reports.labels import Labels


@dataclass
class ListPage:
    name: str
    agent: str | None                  # the agent's account (naming.account); None: the team's page
    agent_file: str | None             # the agent's page in agents/
    rows: int                          # sessions listed
    total: int                         # the sum of their counts
    rows_html: Markup                  # the table's rows, escaped (built column-wise: a list can be long)
    sessions: list[SessionView] = field(default_factory=list)  # those shown with their transcript, in order
    figures: list[tuple[str, int]] = field(default_factory=list)  # the figures this page backs, with their count
    agents: list[dict] = field(default_factory=list)  # the team's page: agent, href of its list, rows, n

    @property
    def unit(self) -> str:
        return drill.SESSIONS if self.name == drill.WORST else drill.LISTS[self.name].unit


def _href(path: str) -> str:
    return quote(path)


def _figures(name: str, rows: int, total: int) -> list[tuple[str, int]]:
    return [(key, drill.counted(measure, rows, total))
            for key, (list_name, measure) in drill.LINKS.items() if list_name == name]


# Lists whose rows count one session each: their table has no count column.
_COUNTED_PER_SESSION = {drill.WORST} | {name for name, d in drill.LISTS.items() if d.unit == drill.SESSIONS}
_ESCAPES = (["&", "<", ">", '"', "'"], ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;"])


def _escaped(column: pl.Expr) -> pl.Expr:
    # One pass, leftmost match first: the & of an escape put in is never escaped again (as html.escape).
    return column.cast(pl.String).fill_null("").str.replace_many(*_ESCAPES)


def _formatted(frame: pl.DataFrame, column: str, kind: str, T: Labels) -> pl.Expr:
    """The column as ``figures.fmt`` writes it: formatted once per distinct value."""
    values = frame[column].drop_nulls().unique().to_list()
    mapping = {v: fmt(kind, v, T) for v in values}
    return (pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)
            .fill_null(fmt(kind, None, T)))


def _row_html(frame: pl.DataFrame, T: Labels) -> pl.DataFrame:
    """Each row as the agent's page shows it (`_agent_row`)."""
    sid = _escaped(pl.col("session_id"))
    short = pl.when(pl.col("session_id").str.len_chars() > 12).then(
        _escaped(pl.col("session_id").str.slice(0, 10)) + pl.lit("…")).otherwise(sid)
    code = pl.format('<code>{}</code>', short)
    cells = pl.format(
        '<td>{}</td><td>{}</td><td class="num{}">{}</td>{}<td class="num">{}</td><td class="num">{}</td></tr>',
        _escaped(pl.col("buyer")),
        pl.col("started_at").dt.strftime("%Y-%m-%d %H:%M:%S").fill_null(
            pl.when(pl.col("scored_week").is_not_null()).then(
                pl.lit(T.ui.scored_in) + _escaped(pl.col("scored_week"))).otherwise(pl.lit(""))),
        pl.when(pl.col("auto_failed")).then(pl.lit(" bad")).otherwise(pl.lit("")), pl.col("_score"),
        pl.when(pl.col("list").is_in(list(_COUNTED_PER_SESSION))).then(pl.lit("")).otherwise(
            pl.format('<td class="num">{}</td>', pl.col("n"))),
        pl.col("_first"), pl.col("_max"))
    head = pl.format('<tr id="r-{}" data-session="{}" data-n="{}">', sid, sid, pl.col("n"))
    own = pl.when(pl.col("shown")).then(
        pl.format('<td><a href="#s-{}" title="{}">{}</a></td>', sid, sid, code)).otherwise(
        pl.format('<td title="{}">{}</td>', sid, code))
    return frame.with_columns(
        _formatted(frame, "score", SCORE, T).alias("_score"), _formatted(frame, "first_wait_s", SECONDS, T).alias("_first"),
        _formatted(frame, "max_wait_s", SECONDS, T).alias("_max"),
    ).with_columns((head + own + cells).alias("_agent_row"))


# Rows turned into markup at a time: a large week's lists hold millions of rows, and their markup all at
# once would be the report's largest memory. Each batch is whole (list, agent) pages.
BATCH_ROWS = 50_000


def list_pages(details: Details, file_names: dict[str, str], T: Labels) -> Iterator[ListPage]:
    """Every agent's list pages, then the team's (one per list some agent has), rows in page order; made
    one batch of pages at a time as they are written."""
    # ``list_rows`` is in page order already (drill.ranked_lists): each (list, agent) is a run of rows, by
    # rank. A batch is a slice of those runs, so the millions of rows of a large week are never sorted or
    # copied whole (that copy was the reports' largest memory).
    names = pl.DataFrame({"account": list(file_names), "_file": [_href(f) for f in file_names.values()]},
                         schema={"account": pl.String, "_file": pl.String})
    listed = details.list_rows
    sizes = listed.group_by("list", "account", maintain_order=True).agg(
        pl.len().alias("rows"), pl.col("n").sum().alias("n"))
    sizes = sizes.with_columns((pl.col("rows").cum_sum() - pl.col("rows")).alias("_offset")).join(
        names, on="account", how="inner", maintain_order="left")
    start = taken = 0
    for i, (offset, count) in enumerate(sizes.select("_offset", "rows").iter_rows(), start=1):
        if not taken:
            start = offset
        taken += count
        if taken >= BATCH_ROWS or i == sizes.height:
            batch = listed.slice(start, offset + count - start)
            yield from _agent_pages(details, file_names, T, batch.filter(pl.col("account").is_in(names["account"].implode())))
            taken = 0
    # The team's page lists the agents, each with its sessions and count and a link to its list: a team's
    # week can hold more sessions than a page should (the agents' lists hold them all).
    team = sizes.filter(pl.col("list") != drill.WORST).sort("list", "account").drop("_offset")
    for (name,), part in team.group_by(["list"], maintain_order=True):
        rows, total = int(part["rows"].sum()), int(part["n"].sum())
        agents = part.sort(["n", "account"], descending=[True, False])
        yield ListPage(name, None, None, rows, total, Markup(""), figures=_figures(name, rows, total),
                       agents=[{"agent": a, "href": f"{name}/{f}", "rows": r, "n": n}
                               for _, a, r, n, f in agents.iter_rows()])


def _agent_pages(details: Details, file_names: dict[str, str], T: Labels, batch: pl.DataFrame) -> Iterator[ListPage]:
    for (name, key), part in _row_html(batch, T).group_by(["list", "account"], maintain_order=True):
        found = details.lists[(key, name)]
        total = int(part["n"].sum())
        yield ListPage(name, key, file_names[key], part.height, total, Markup("\n".join(part["_agent_row"])),
                       [details.sessions[sid] for sid in found.transcripts if sid in details.sessions],
                       _figures(name, part.height, total))


def attach_links(rows, details: Details) -> None:
    """Give each count cell of ``rows`` (AgentRow) its list page and the count it leads to; a count of 0
    leads nowhere."""
    for row in rows:
        for key, cell in row.cells.items():
            count = drill.link_count(key, details.lists, row.account)
            if count:
                cell.link = _href(drill.agent_href(drill.LINKS[key][0], row.file_name))
                cell.link_count = count


# The attention block's kinds and the list each leads to.
ATTENTION_LISTS = {"auto_failed": "auto_failed", "first_within_target": "first_missed", "unanswered": "unanswered"}


def attach_attention(lines, file_names: dict[str, str]) -> None:
    for line in lines:
        name = ATTENTION_LISTS.get(line.kind)
        if name and line.account in file_names:
            line.drill = _href(drill.agent_href(name, file_names[line.account]))


def team_links(totals: dict[str, int]) -> dict[str, str]:
    return {key: _href(drill.team_href(drill.LINKS[key][0])) for key, n in totals.items() if key in drill.LINKS and n}
