"""summary.md: the team table as Markdown to paste into a chat group or a wiki page."""
from __future__ import annotations

import re

from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.standard import markdown_lines
from qc_pipeline.reports.views import AgentRow, SummaryView
from qc_pipeline.store.schema import FLAG_CATEGORIES

MD_FIGURES = (
    "qc_score_avg", "auto_failed_sessions", "first_within_target_pct", "first_median_s", "avg_response_s",
    "unanswered_rounds", "conversion_rate", "sales_amount", "flags_total",
)
# Agent names come from the exports: a backslash before the characters that mean something inside a table
# cell keeps them plain text (and keeps "<...>" from being read as HTML by wikis that allow it). Our own
# labels and figures are left alone so the text still reads well where Markdown is not rendered.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def _cell(a: AgentRow, key: str) -> str:
    if key in ("conversion_rate", "sales_amount") and not a.has_conversion:
        return ""  # after-sale agents have no conversion
    cell = a.cells[key]
    text = cell.text
    if key == "conversion_rate" and a.band:
        text += f" {md_escape(a.band_label)}"
    if cell.delta is not None:
        text += f" ({cell.delta.text})"
    return text


def _attention(view: SummaryView, T: Labels) -> list[str]:
    """需关注 first, as on the page: one line per agent with every target missed, then the team totals."""
    lines = [f"**{T.ui.attention_title}**", ""]
    for group in view.attention_groups:
        misses = []
        for l in group:
            text = f"{T.of('attention_kinds', l.kind)}: {T.figures[l.key]} {l.value_text} ({T.ui.target} {l.target_text})"
            if l.rules:
                text += " " + ", ".join(md_escape(rule) for rule, _ in l.rules)
            misses.append(text)
        name = md_escape(group[0].label) + (f" {T.ui.small_sample}" if group[0].small_sample else "")
        lines.append(f"- {name}: " + "; ".join(misses))
    if not view.attention:
        lines.append(T.ui.attention_none)
    totals = " · ".join(f"{T.totals[k]} {n}" for k, n in view.totals.items())
    return lines + ["", f"**{T.ui.totals_title}**: {totals}", ""]


def render_markdown(view: SummaryView, T: Labels, masked: bool, generated_at: str) -> str:
    lines = [f"## {T.ui.summary_title} {view.week}", ""]
    if not masked:
        lines += [f"> **{T.ui.unmasked_banner}**", ""]
    lines.append(
        T.ui.compared_with.format(week=view.previous_week) if view.has_previous
        else T.ui.no_previous_week.format(week=view.previous_week)
    )
    lines.append("")
    lines += _attention(view, T)
    head = [T.ui.agent_role, T.ui.rank, T.ui.agent] + [T.figures[k] for k in MD_FIGURES]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join("---" if i in (0, 2) else "---:" for i in range(len(head))) + "|")
    for a in view.agents:
        row = [a.role_label, str(a.rank), md_escape(a.label)] + [_cell(a, k) for k in MD_FIGURES]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    totals = {c: sum(m["counts"][c] or 0 for m in view.flag_matrix) for c in FLAG_CATEGORIES}
    flagged = [f"{T.of('categories', c)} {n}" for c, n in totals.items() if n]
    if flagged:
        lines += [f"**{T.ui.md_top_flags}**: " + " · ".join(flagged), ""]
    review = view.review or {}
    if review.get("needs_tuning"):
        lines += [f"**{T.ui.needs_tuning}**: " + " · ".join(
            f"{md_escape(r['rule_id'])} {r['precision']:.0%} ({r['confirmed']}/{r['reviewed']})"
            for r in review["needs_tuning"]), ""]
    if review.get("adjusted"):
        lines += [f"**{T.ui.adjusted_title}**: " + " · ".join(
            f"{md_escape(r['agent'])} {r['qc_score_avg']} → {r['qc_score_adjusted_avg']}" for r in review["adjusted"]), ""]
    if view.standard is not None:
        lines += markdown_lines(view.standard, T, md_escape)
    bands = [f"{b['label']} {b['count']}" for b in view.bands if b["count"]]
    if bands:
        lines += [f"**{T.ui.band_distribution}**: " + " · ".join(bands), ""]
    lines.append(T.ui.md_detail.format(week=view.week) + f" {T.ui.generated_at}: {generated_at}")
    return "\n".join(lines) + "\n"

