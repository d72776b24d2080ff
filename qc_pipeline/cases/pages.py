"""Writing a week's case library as HTML and Markdown: an index and one page per case."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from qc_pipeline.cases import labels
from qc_pipeline.cases.views import CaseView, case_view
from qc_pipeline.reports.markdown import md_escape
from qc_pipeline.reports.staging import is_staging, staged_folder

_CASE_FILE = re.compile(r"^\d{4}-W\d{2}-[GB]\d{2,}\.(html|md)$")


@lru_cache(maxsize=None)
def _environment() -> Environment:
    # Chat text is untrusted: everything is escaped, attributes included, with no opt-out.
    return Environment(
        loader=PackageLoader("qc_pipeline.cases", "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def _md_case(c: CaseView, week: str, lang: str, masked: bool) -> str:
    ui = labels.ui(lang)
    out = [f"# {c.kind_label} {c.case_id} · {c.category_label}", ""]
    if not masked:
        out += [f"> **{ui['unmasked']}**", ""]
    out += [
        f"- {ui['agent']}: {md_escape(c.agent)}", f"- {ui['shop']}: {md_escape(c.shop)}",
        f"- {ui['buyer']}: {md_escape(c.buyer)}", f"- {ui['started']}: {c.started_at}",
        f"- {ui['score']}: {c.score}", f"- {ui['topic']}: {md_escape(c.topic) or ui['none']}",
        "", f"## {ui['why']}", "", md_escape(c.reason), "", f"## {ui['outcome']}", "",
        md_escape(" · ".join(c.outcome)), "", f"## {ui['tags']}", "",
        " ".join(f"`{t.replace('`', '')}`" for t in c.tags), "", f"## {ui['transcript']}", "",
    ]
    for line in c.lines:
        text = "".join(f"**{md_escape(p)}**" if title else md_escape(p) for p, title in line.pieces if p)
        out.append(f"- `{line.time}` **{md_escape(line.speaker)}**: {text}")
        out += [f"  - {md_escape(n.text)}" for n in line.notes]
    if masked:
        out += ["", ui["masked_note"]]
    return "\n".join(out) + "\n"


def _md_index(groups: list[tuple[str, list[CaseView]]], week: str, lang: str, masked: bool) -> str:
    ui = labels.ui(lang)
    out = [f"# {ui['library']} {week}", ""]
    if not masked:
        out += [f"> **{ui['unmasked']}**", ""]
    for kind, cases in groups:
        out += [f"## {labels.KINDS[kind][lang]}", ""]
        if not cases:
            out += [ui["empty"], ""]
            continue
        out += [f"| {ui['rank']} | {ui['case']} | {ui['category']} | {ui['agent']} | {ui['topic']} | {ui['score']} | "
                f"{ui['ranking']} |", "|---:|---|---|---|---|---:|---:|"]
        out += [
            f"| {c.rank} | [{c.case_id}]({c.file_stem}.md) | {md_escape(c.category_label)} | {md_escape(c.agent_label)} | "
            f"{md_escape(c.topic) or ui['none']} | {c.score} | {c.rank_score} |"
            for c in cases
        ]
        out.append("")
    return "\n".join(out)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def write_pages(
    con: duckdb.DuckDBPyConnection, week: str, rows: list[dict], out_dir: Path, lang: str, mask: bool
) -> list[Path]:
    labels.ui(lang)
    out_dir = Path(out_dir)
    views = [case_view(con, r, lang, mask) for r in rows]
    groups = [(kind, [v for v in views if v.kind == kind]) for kind in ("good", "bad")]
    env = _environment()
    common = {"ui": labels.ui(lang), "week": week, "lang": lang, "masked": mask}
    # Written whole into a temporary folder and moved into place; the folder's other files are kept, and a
    # page left from an earlier selection (a case the table no longer holds) goes with the old pack.
    with staged_folder(out_dir, lambda name: _owned(name) or is_staging(name)) as stage:
        written = [
            _write(stage / "index.html", env.get_template("index.html").render(
                groups=groups, kind_labels={k: labels.KINDS[k][lang] for k in labels.KINDS}, **common)),
            _write(stage / "index.md", _md_index(groups, week, lang, mask)),
        ]
        for v in views:
            written.append(_write(stage / f"{v.file_stem}.html", env.get_template("case.html").render(c=v, **common)))
            written.append(_write(stage / f"{v.file_stem}.md", _md_case(v, week, lang, mask)))
    return [out_dir / p.name for p in written]


def _owned(name: str) -> bool:
    return name in ("index.html", "index.md") or bool(_CASE_FILE.match(name))
