"""`qc sample-review`: draw the week's sample, then write it as a review workbook and an HTML page.
Transcripts and flagged messages are masked here, before any writer sees them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined

from qc_pipeline.reports import masking
from qc_pipeline.reports.sessions import transcripts
from qc_pipeline.review.sample import Plan, draw, sampled_flags, week_sessions
from qc_pipeline.review.workbook import ReviewRow, write_review_workbook


@dataclass
class SampleResult:
    sampled: pl.DataFrame
    flags: pl.DataFrame
    workbook: Path
    page: Path


@lru_cache(maxsize=None)
def _environment() -> Environment:
    # Chat text is untrusted: every value is escaped, attributes included.
    return Environment(loader=PackageLoader("qc_pipeline.review", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _shown_flag(row: dict) -> tuple[str, str]:
    """(matched, message) of a flag as the reviewer sees them: the message masked, the hit as masked."""
    pieces = masking.highlight(row["text"] or "", [(row["start"], row["end"])], True, [row["buyer"]] if row["buyer"] else [])
    return "".join(p for p, hit in pieces if hit), "".join(p for p, _ in pieces)


def review_rows(sampled: pl.DataFrame, flags: pl.DataFrame) -> list[ReviewRow]:
    """A session row then its flags' rows, per sampled session, in the sample's order."""
    by_session: dict[str, list[dict]] = {}
    for f in flags.iter_rows(named=True):
        by_session.setdefault(f["session_id"], []).append(f)
    rows = []
    for s in sampled.iter_rows(named=True):
        own = by_session.get(s["session_id"], [])
        summary = f"score {s['score']:.1f}" + (" auto-failed" if s["auto_failed"] else "") + f", {len(own)} flags"
        base = dict(week=s["week"], shop=s["shop"], agent=s["agent"], session_id=s["session_id"],
                    stratum=s["stratum"], stratum_sessions=s["stratum_sessions"])
        rows.append(ReviewRow(item_id=s["session_id"], item="session", sent_at=s["started_at"], message=summary, **base))
        for f in own:
            matched, message = _shown_flag(f)
            rows.append(ReviewRow(item_id=f["flag_id"], item="flag", sent_at=f["sent_at"], rule_id=f["rule_id"],
                                  category=f["category"], severity=f["severity"], points=f["points"],
                                  matched=matched, message=message, **{**base, "week": f["week"]}))
    return rows


def _transcript_lines(con, sampled: pl.DataFrame, flags: pl.DataFrame) -> list[dict]:
    if sampled.is_empty():
        return []
    lines = transcripts(con, sampled.select("session_id"))
    lines = masking.mask_column(lines, "text", nick="buyer", alias="text_shown")
    lines = lines.with_columns(masking.mask_nick_expr(pl.col("buyer")).alias("buyer_shown"))
    spans: dict[str, list[dict]] = {}
    for f in flags.iter_rows(named=True):
        spans.setdefault(f["msg_id"], []).append(f)
    out = []
    for r in lines.iter_rows(named=True):
        own = spans.get(r["msg_id"], [])
        if own:
            pieces = masking.highlight(r["text"] or "", [(f["start"], f["end"]) for f in own], True,
                                       [r["buyer"]] if r["buyer"] else [])
        else:
            pieces = [(r["text_shown"] or "", False)]
        speaker = f"买家 {r['buyer_shown']}" if r["role"] == "buyer" else (r["agent"] or r["role"])
        out.append({"session_id": r["session_id"], "pos": r["pos"], "sent_at": r["sent_at"], "role": r["role"],
                    "speaker": speaker, "pieces": pieces, "text": "".join(p for p, _ in pieces),
                    "flags": own, "flag_ids": " ".join(f["flag_id"] for f in own)})
    return out


def sample_review(con: duckdb.DuckDBPyConnection, week: str, out: Path, plan: Plan, categories: list[str],
                  generated_at: dt.datetime | None = None) -> SampleResult:
    generated_at = generated_at or dt.datetime.now().astimezone().replace(microsecond=0)
    sampled = draw(week_sessions(con, week), plan)
    flags = sampled_flags(con, sampled)
    lines = _transcript_lines(con, sampled, flags)
    about = [
        ("week", week), ("seed", str(plan.seed)), ("per_agent", str(plan.per_agent)),
        ("rates", ", ".join(f"{k} {v:g}" for k, v in plan.rates.items())),
        ("generated_at", generated_at.isoformat()),
        ("how", "review 表每行填写 verdict（结论）与 reviewer（质检员）：违规行 confirmed（确认）或 not_violation（误判）；"
                "会话行 confirmed（无漏检）或 missed_violation（漏检，并填 missed_category）。申诉填在 appeals 表："
                "flag_id、appellant、decision（upheld 维持 / overturned 撤销）、decided_by。然后运行 qc import-review。"),
        ("masking", "买家手机号、地址、证件号、邮箱和昵称已脱敏。"),
    ]
    out = Path(out)
    workbook = write_review_workbook(out, review_rows(sampled, flags), lines, categories, about, generated_at)
    page = out.with_suffix(".html")
    by_session: dict[str, list[dict]] = {}
    for line in lines:
        by_session.setdefault(line["session_id"], []).append({**line, "sent_at": _time(line["sent_at"])})
    sessions = [{**s, "buyer": masking.mask_nick(s["buyer"]), "lines": by_session.get(s["session_id"], []),
                 "flags": flags.filter(pl.col("session_id") == s["session_id"]).rows()}
                for s in sampled.iter_rows(named=True)]
    html = _environment().get_template("review.html").render(
        week=week, seed=plan.seed, sessions=sessions, workbook=workbook.name, generated_at=_time(generated_at))
    page.write_bytes(html.encode("utf-8"))
    return SampleResult(sampled, flags, workbook, page)
