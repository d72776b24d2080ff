"""Sessions, transcripts and flags as the reports show them: masked, labelled, bounded per agent.

Masking happens here, so no writer can show a buyer's data by forgetting it: whole columns through the
polars expressions of ``masking``, and only a flagged message, whose highlight needs offsets, through the
Python detectors.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import duckdb
import polars as pl

from qc_pipeline.reports import drill, limits, masking, sessions
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.naming import account_expr

log = logging.getLogger(__name__)


@dataclass
class FlagNote:
    rule_id: str
    category: str
    category_label: str
    severity: str
    severity_label: str
    explanation: str
    role: str
    hits: int = 1        # spans of this rule in the message: one note, the rule's words marked each time


@dataclass
class TranscriptLine:
    speaker: str
    role: str
    sent_at: str
    pieces: list[tuple[str, bool]]
    flagged: bool
    flags: list[FlagNote]
    omitted_before: int = 0     # messages of the session left out just before this line
    marked: bool = False        # the line a listing is about (a promise, its answer)


@dataclass
class SessionView:
    session_id: str
    buyer: str
    started_at: str
    started_at_value: dt.datetime | None
    score: float | None
    auto_failed: bool
    responsiveness: float | None
    compliance: float | None
    outcome: float | None
    deductions: list[dict]
    rounds: int = 0
    unanswered_rounds: int = 0
    first_wait_s: float | None = None
    max_wait_s: float | None = None
    kinds: list[str] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    omitted_after: int = 0


@dataclass
class Reading:
    kind: str
    label: str
    total: int                  # the agent's sessions of this kind in the week
    session_ids: list[str]      # the first ``limits.READING[kind]`` of them


@dataclass
class Details:
    """What the pages and sheets show below the figures, per agent, plus the week's full lists."""
    sessions: dict[str, SessionView]            # session_id -> view (every session shown anywhere)
    # Per agent, keyed by its account (naming.account: one per shop and agent).
    worst: dict[str, list[str]]                 # account -> lowest-scored session ids
    session_counts: dict[str, int]              # account -> scored sessions
    reading: dict[str, list[Reading]]           # account -> kinds, in page order
    flags: pl.DataFrame                         # every flag of the week, masked, lowest session score first
    shown_flags: pl.DataFrame                   # those in the flagged sessions the pages show
    flag_counts: dict[str, int]                 # account -> flags of the week (auto-replies included)
    session_list: pl.DataFrame                  # every session of the week (nick masked)
    # (account, list) -> the sessions behind a count (reports/drill.py), and each agent's worst sessions
    lists: dict[tuple[str, str], drill.AgentList] = field(default_factory=dict)
    list_rows: pl.DataFrame | None = None       # their rows in page order (drill.ranked_lists), buyers masked


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _session(row: dict) -> SessionView:
    return SessionView(
        session_id=row["session_id"],
        buyer=row["buyer_shown"] or "",
        started_at=_time(row["started_at"]),
        started_at_value=row["started_at"],
        score=row["score"],
        auto_failed=bool(row["auto_failed"]),
        responsiveness=row["responsiveness"],
        compliance=row["compliance"],
        outcome=row["outcome"],
        deductions=[],
        rounds=row["rounds"],
        unanswered_rounds=row["unanswered_rounds"],
        first_wait_s=row["first_wait_s"],
        max_wait_s=row["max_wait_s"],
    )


def _shown_nick(frame: pl.DataFrame, column: str, mask: bool, alias: str) -> pl.DataFrame:
    nick = pl.col(column)
    return frame.with_columns((masking.mask_nick_expr(nick) if mask else nick.fill_null("")).alias(alias))


def build_details(
    con: duckdb.DuckDBPyConnection, week: str, T: Labels, mask: bool, explanations: dict[str, str]
) -> Details:
    t = _Clock()
    every = sessions.facts(con, week)
    t("facts")
    reading, worst = sessions.ranked(con, week, every)
    # An agent's flag this week in a session scored in another week: that week's pages show the session.
    reading = reading.join(every.select("session_id"), on="session_id", how="semi")
    list_rows = _list_rows(con, week, every, worst, mask)
    lists = drill.agent_lists(list_rows)
    listed_ids = pl.DataFrame({"session_id": sorted({sid for found in lists.values() for sid in found.transcripts})},
                              schema={"session_id": pl.String})
    read_ids = pl.concat([reading.select("session_id"), listed_ids]).unique()
    shown_ids = pl.concat([read_ids, worst.select("session_id")]).unique()
    facts = _shown_nick(every.join(shown_ids, on="session_id", how="semi"), "buyer", mask, "buyer_shown")
    views = {r["session_id"]: _session(r) for r in facts.iter_rows(named=True)}
    t("ranked")
    _add_deductions(con, shown_ids, facts, views, T, mask)
    t("deductions")
    _add_transcripts(con, week, read_ids, views, T, mask, explanations)
    t("transcripts")

    by_agent: dict[str, list[Reading]] = {}
    for (key,), rows in reading.group_by(["account"], maintain_order=True):
        kinds = []
        for kind in limits.READING:
            of_kind = rows.filter(pl.col("kind") == kind).sort("kind_rank")
            if of_kind.height:
                kinds.append(Reading(kind, T.of("reading_kinds", kind), int(of_kind["kind_total"][0]),
                                     of_kind["session_id"].to_list()))
                for sid in of_kind["session_id"]:
                    views[sid].kinds.append(kind)
        by_agent[key] = kinds
    worst_ids: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for row in worst.select("account", "session_id", "kind_total").iter_rows():
        worst_ids.setdefault(row[0], []).append(row[1])
        counts[row[0]] = row[2]
    flags = sessions.all_flags(con, week, every)
    t("flags read")
    flags = flag_list(flags, T, mask, explanations)
    t("flags masked")
    shown_pairs = reading.filter(pl.col("kind") == "flagged").select("account", "session_id")
    keyed = flags.with_columns(account_expr().alias("account"))
    shown_flags = keyed.join(shown_pairs, on=["account", "session_id"], how="semi", maintain_order="left").drop("account")
    flag_counts = dict(keyed.filter(pl.col("agent").is_not_null()).group_by("account").len().iter_rows())
    listed = session_list(every, mask)
    t("session list")
    return Details(sessions=views, worst=worst_ids, session_counts=counts, reading=by_agent, flags=flags,
                   shown_flags=shown_flags, flag_counts=flag_counts, session_list=listed, lists=lists,
                   list_rows=list_rows)


def _list_rows(con, week: str, every: pl.DataFrame, worst: pl.DataFrame, mask: bool) -> pl.DataFrame:
    """The drill-down lists of every agent, plus each agent's worst sessions (all shown with their
    transcript: the agent page's score table links to them), buyers masked; in page order (by list, agent
    and rank: drill_pages reads each page's rows as one run)."""
    rows = pl.concat([drill.list_rows(con, week),
                      worst.select(pl.lit(drill.WORST).alias("list"), "account", "session_id", pl.lit(1, pl.Int64).alias("n"))])
    # Only the columns the list rows show: the semi join copies what it keeps of 800,000 sessions.
    facts = every.select("session_id", *drill.FACT_COLUMNS).join(rows.select("session_id").unique(),
                                                                  on="session_id", how="semi")
    facts = _shown_nick(facts, "buyer", mask, "buyer")
    ranked = drill.ranked_lists(rows, facts)
    # Sessions scored in another week (rounds past Sunday midnight): the page names that week.
    elsewhere = ranked.filter(pl.col("started_at").is_null()).select("session_id").unique()
    if elsewhere.height:
        con.register("qc_report_elsewhere", elsewhere.to_arrow())
        try:
            weeks = con.sql("SELECT session_id, min(week) AS scored_week FROM session_scores "
                            "SEMI JOIN qc_report_elsewhere USING (session_id) GROUP BY session_id").pl()
        finally:
            con.unregister("qc_report_elsewhere")
        return ranked.join(weeks, on="session_id", how="left", maintain_order="left")
    return ranked.with_columns(pl.lit(None, pl.String).alias("scored_week"))


class _Clock:
    def __init__(self):
        self.last = time.perf_counter()

    def __call__(self, what: str) -> None:
        now = time.perf_counter()
        log.debug("reports:   %s %.3f s", what, now - self.last)
        self.last = now


def _add_deductions(con, ids: pl.DataFrame, facts: pl.DataFrame, views: dict[str, SessionView], T: Labels,
                    mask: bool) -> None:
    frame = sessions.deductions(con, ids).join(facts.select("session_id", "buyer"), on="session_id", how="left")
    if mask:
        frame = masking.mask_column(frame, "reason", nick="buyer")
    for d in frame.iter_rows(named=True):
        views[d["session_id"]].deductions.append({
            "category": d["category"], "category_label": T.of("deduction_categories", d["category"]),
            "points": d["points"], "reason": d["reason"],
        })


def _add_transcripts(con, week: str, ids: pl.DataFrame, views: dict[str, SessionView], T: Labels, mask: bool,
                     explanations: dict[str, str]) -> None:
    if ids.height == 0:
        return
    messages = sessions.transcripts(con, ids)
    flags = sessions.session_flags(con, week, ids)
    flagged_pos = messages.join(flags.select("msg_id").unique(), on="msg_id", how="semi").select("session_id", "pos")
    # Keep the first lines and every flagged message with its neighbours.
    near = flagged_pos.with_columns(
        pl.int_ranges(pl.col("pos") - limits.CONTEXT, pl.col("pos") + limits.CONTEXT + 1).alias("pos")
    ).explode("pos").unique()
    keep = messages.filter(pl.col("pos") < limits.TRANSCRIPT_LINES).select("session_id", "pos")
    kept = messages.join(pl.concat([keep, near.cast(keep.schema)]).unique(), on=["session_id", "pos"], how="semi")
    notes: dict[str, list[FlagNote]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in flags.iter_rows(named=True):
        spans.setdefault(f["msg_id"], []).append((f["start"], f["end"]))
        same = [n for n in notes.get(f["msg_id"], []) if n.rule_id == f["rule_id"] and n.role == (f["role"] or "")]
        if same:
            same[0].hits += 1
            continue
        notes.setdefault(f["msg_id"], []).append(FlagNote(
            rule_id=f["rule_id"], category=f["category"], category_label=T.of("categories", f["category"]),
            severity=f["severity"], severity_label=T.of("severities", f["severity"]),
            explanation=explanations.get(f["rule_id"], ""), role=f["role"] or "",
        ))
    for session_id, line, after in transcript_lines(kept, T, mask, spans, notes):
        view = views[session_id]
        view.transcript.append(line)
        view.omitted_after = after


def transcript_lines(kept: pl.DataFrame, T: Labels, mask: bool, spans: dict[str, list[tuple[int, int]]] | None = None,
                     notes: dict[str, list[FlagNote]] | None = None, marked: frozenset[str] | set[str] = frozenset(),
                     by: str = "session_id") -> list[tuple[str, TranscriptLine, int]]:
    """The transcript lines of ``kept``, messages as ``sessions.transcripts`` gives them (``pos``,
    ``session_messages``) cut to the ones to show, grouped by ``by`` (a session, or anything a listing shows
    its own excerpt for): (group, line, messages of the session after it), in order. Masked here, the one
    way every page shows chat text: the nick and text columns through ``masking``, a message with ``spans``
    highlighted through the Python detectors."""
    spans, notes = spans or {}, notes or {}
    kept = kept.sort(by, "pos").with_columns(
        (pl.col("pos") - pl.col("pos").shift(1, fill_value=-1).over(by) - 1).alias("omitted_before")
    )
    kept = _shown_nick(kept, "buyer", mask, "buyer_shown")
    if mask:
        kept = masking.mask_column(kept, "text", nick="buyer", alias="text_shown")
    else:
        kept = kept.with_columns(pl.col("text").fill_null("").alias("text_shown"))
    speaker = (
        pl.when(pl.col("role") == "buyer").then(pl.lit(T.speaker.buyer + " ") + pl.col("buyer_shown"))
        .when(pl.col("role") == "agent").then(pl.col("agent").fill_null(T.speaker.agent))
        .otherwise(pl.col("role").replace_strict(T["speaker"], default=pl.col("role")))
    )
    rows = kept.select(
        by, "msg_id", "role", speaker.alias("speaker"), "sent_at", "text", "text_shown", "buyer",
        "omitted_before", (pl.col("session_messages") - 1 - pl.col("pos")).alias("after"),
    ).iter_rows()
    out = []
    for group, msg_id, role, who, sent_at, text, shown, buyer, omitted, after in rows:
        flagged = msg_id in spans
        pieces = (masking.highlight(text or "", spans[msg_id], mask, [buyer] if buyer else []) if flagged
                  else [(shown, False)])
        out.append((group, TranscriptLine(
            speaker=who, role=role, sent_at=_time(sent_at), pieces=pieces, flagged=flagged,
            flags=notes.get(msg_id, []), omitted_before=omitted, marked=msg_id in marked,
        ), after))
    return out


FLAG_COLUMNS = ("week", "shop", "agent", "session_id", "session_score", "sent_at", "role", "rule_id", "category",
                "category_label", "severity", "severity_label", "matched", "message", "explanation", "msg_id")


def flag_list(frame: pl.DataFrame, T: Labels, mask: bool, explanations: dict[str, str]) -> pl.DataFrame:
    """Every flag with its message masked and the matched words as highlighted in the masked message."""
    frame = masking.highlight_columns(frame, "text", "start", "end", nick="buyer" if mask else None, mask=mask)
    matched = pl.when(pl.col("text").is_null()).then(pl.col("matched")).otherwise(pl.col("qc_inside"))
    return frame.with_columns(
        matched.alias("matched"),
        (pl.col("qc_before") + pl.col("qc_inside") + pl.col("qc_after")).alias("message"),
        pl.col("category").replace_strict(T["categories"], default=pl.col("category")).alias("category_label"),
        pl.col("severity").replace_strict(T["severities"], default=pl.col("severity")).alias("severity_label"),
        pl.col("rule_id").replace_strict(explanations, default="", return_dtype=pl.String).alias("explanation"),
    ).select(FLAG_COLUMNS)


SESSION_COLUMNS = ("week", "shop", "agent", "session_id", "buyer", "started_at", "ended_at", "score", "auto_failed",
                   "responsiveness", "compliance", "outcome", "rounds", "unanswered_rounds", "first_wait_s",
                   "max_wait_s", "flags", "auto_flags", "deductions")


def session_list(frame: pl.DataFrame, mask: bool) -> pl.DataFrame:
    return _shown_nick(frame, "buyer", mask, "buyer").select(SESSION_COLUMNS)
