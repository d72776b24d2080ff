"""The topic report as Markdown and as one self-contained HTML page."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from qc_pipeline.reports.markdown import md_escape
from qc_pipeline.reports.staging import is_staging, staged_folder
from qc_pipeline.topics.labels import labels
from qc_pipeline.topics.model import TopicResult


@lru_cache(maxsize=None)
def _environment() -> Environment:
    # Questions and answers are buyers' and agents' own words: escape everything.
    return Environment(
        loader=PackageLoader("qc_pipeline.topics", "templates"), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def _formatters(L: dict[str, str]) -> dict:
    def pct(v):
        return L["none"] if v is None else f"{v * 100:.1f}%"

    def secs(v):
        return L["none"] if v is None else L["seconds"].format(v=v)

    return {"pct": pct, "secs": secs}


def k_note(result: TopicResult, L: dict[str, str]) -> str:
    if result.chosen_by == "eigengap":
        s = result.singular_values
        gap = s[result.k - 1] - s[result.k] if len(s) > result.k else 0.0
        return L["k_eigengap"].format(k=result.k, gap=gap)
    return L["k_given" if result.chosen_by == "given" else "k_too_few"].format(k=result.k)


def sample_note(result: TopicResult, L: dict) -> str:
    return L["sampled"].format(total=result.sampled_from, n=result.questions + result.skipped, seed=result.seed)


def render_html(result: TopicResult, lang: str = "zh") -> str:
    L = labels(lang)
    return _environment().get_template("topics.html").render(
        r=result, L=L, k_note=k_note(result, L), lang=lang, **_formatters(L),
        sample_note=sample_note(result, L) if result.sampled_from is not None else None,
    )


def render_markdown(result: TopicResult, lang: str = "zh") -> str:
    L = labels(lang)
    f = _formatters(L)
    lines = [f"# {L['title']} {result.weeks[0]}…{result.weeks[-1]}" if result.weeks else f"# {L['title']}", ""]
    lines += [f"- {L['questions']}: {result.questions}", f"- {L['skipped']}: {result.skipped}"]
    if result.sampled_from is not None:
        lines.append(f"- {sample_note(result, L)}")
    lines += [f"- {k_note(result, L)}", "", L["how"], ""]
    head = [L["topic"], L["sessions"], L["share"], L["median_first"], L["conversion"], L["flag_rate"]]
    lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for t in result.topics:
        lines.append("| " + " | ".join([
            md_escape(t.name), str(t.sessions), f["pct"](t.share), f["secs"](t.median_first_response_s),
            f"{f['pct'](t.conversion_rate)} ({t.converted_buyer_days}/{t.buyer_days})", f["pct"](t.flag_rate),
        ]) + " |")
    for t in result.topics:
        lines += ["", f"## {t.topic_id + 1}. {md_escape(t.name)}", "",
                  f"{L['terms']}: " + "、".join(md_escape(x) for x in t.top_terms), "", f"**{L['examples']}**", ""]
        lines += [f"- {md_escape(e)}" for e in t.examples]
        lines += ["", f"**{L['phrases']}**", ""]
        if not t.quick_phrases:
            lines.append(L["no_phrases"])
            continue
        lines += [f"| {L['phrase']} | {L['uses']} | {L['orders']} | {L['order_rate']} | {L['variants']} |",
                  "|---|---:|---:|---:|---:|"]
        for p in t.quick_phrases:
            cells = [md_escape(p.text), str(p.sessions), str(p.orders), f["pct"](p.order_rate), str(p.variants)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_topics(result: TopicResult, out_dir: Path, lang: str = "zh") -> list[Path]:
    """Write topics.md and topics.html into `out_dir` and return their paths."""
    out_dir = Path(out_dir)
    pages = {"topics.md": render_markdown(result, lang), "topics.html": render_html(result, lang)}
    # Both pages replace the previous ones together, or neither does (see reports.staging).
    with staged_folder(out_dir, lambda name: name in pages or is_staging(name)) as stage:
        for name, text in pages.items():
            (stage / name).write_bytes(text.encode("utf-8"))
    return [out_dir / name for name in pages]
