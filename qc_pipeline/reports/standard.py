"""The service-standard section of the weekly pages, sheet and summary.md: look-up promises, shift handovers,
payment reminders, order remarks and stale auto-replies, read from the tables the `standard` stage wrote
(promises, handovers, shift_week, payment_reminders, order_remarks, stale_auto_replies) and agent_week's
standard columns.

Per agent: the week's figures, the broken and late promises with the masked transcript around the promise
and its answer, the rounds the agent left at a shift end or answered after one, the orders it reminded
first, its malformed remarks and the remarks of others it overwrote. For the team: totals, a row per agent,
the per-shift table, buyers chased by more than one agent, the remarks that break the format or were
overwritten, and the stale auto-replies per shop. Buyer nicks and chat text are masked here (``detail.transcript_lines``
and ``masking``), so no writer can show them unmasked. Order numbers are shown as they are: they identify
an order, not a person, and QC needs them (docs/reports.md, "Masking").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from qc_pipeline.reports import limits, masking
from qc_pipeline.reports.detail import TranscriptLine, transcript_lines
from qc_pipeline.reports.figures import COUNT, MONEY, PCT, SECONDS, fmt, plain
from qc_pipeline.reports.labels import Labels
from qc_pipeline.reports.naming import account, shown_agent
from qc_pipeline.reports.reminders import CLOSED_STATUS
from qc_pipeline.reports.sessions import ROLE_ORDER
from qc_pipeline.reports.weekly_tables import stale_auto_replies_frame

# agent_week's standard columns (store/schema.py STANDARD_COLUMNS, HANDOVER_COLUMNS) and how each is shown.
AGENT_FIGURES = {
    "promises": COUNT, "promises_kept_pct": PCT, "promise_keep_median_s": SECONDS,
    "handovers_left": COUNT, "handovers_answered": COUNT, "handover_answer_median_s": SECONDS,
    "reminders_sent": COUNT, "reminded_paid": COUNT, "reminder_success_pct": PCT,
    "reminder_recovered_amount": MONEY,
    "remarks_written": COUNT, "remarks_malformed": COUNT, "remarks_overwritten": COUNT,
}
# The figures of the per-shift table, from shift_week.
SHIFT_FIGURES = {
    "sessions": COUNT, "rounds": COUNT, "first_median_s": SECONDS, "first_within_target_pct": PCT,
    "follow_median_s": SECONDS, "unanswered_rounds": COUNT, "handovers_left": COUNT,
    "handovers_received": COUNT, "handovers_answered": COUNT, "handover_answer_median_s": SECONDS,
}
LISTED_PROMISES = ("broken", "late")


@dataclass
class Figure:
    key: str
    value: Any
    text: str
    target_text: str = ""
    tone: str = ""


@dataclass
class PromiseItem:
    msg_id: str
    shop: str
    agent: str | None
    buyer: str                 # masked unless the report is unmasked
    status: str
    status_label: str
    promised_at: dt.datetime
    due: dt.datetime
    kept_at: dt.datetime | None
    kept_by: str | None
    keep_seconds: float | None
    transcript: list[TranscriptLine] = field(default_factory=list)
    omitted_after: int = 0


@dataclass
class AgentStandard:
    figures: list[Figure]
    status_counts: dict[str, int]     # promises.status -> promises of the agent this week
    promises: list[PromiseItem]       # broken and late, the first ``limits.STANDARD_PROMISES``
    promises_listed: int              # broken and late promises in all
    left: list[dict]                  # handovers rows this agent left
    taken: list[dict]                 # handovers rows this agent answered
    reminders: list[dict]             # payment_reminders rows this agent reminded first
    chased: list[dict]                # of those, buyers other agents reminded too
    remarks: list[dict] = field(default_factory=list)  # its malformed remarks and those it overwrote
    due_hours: float = 24.0           # standard.promise_due_hours


@dataclass
class TeamStandard:
    due_hours: float
    answer_target_s: float | None     # what "answer the waiting buyers first thing" is held to: the first-reply target
    totals: dict[str, Any]
    agents: list[dict]                # agent, name, figures: list[Figure]
    shifts: list[dict]                # shop, shift, figures
    chased: list[dict]                # payment_reminders rows with reminding_agents > 1
    stale: list[dict]                 # per shop and text, first and last time seen (masked)
    remarks: list[dict]               # malformed and overwritten remarks (masked), ``limits.STANDARD_REMARKS``
    sheet: pl.DataFrame               # every row of the 服务规范 list (standard.csv), SHEET_COLUMNS + ATTENTION
    by_agent: dict[str, AgentStandard] = field(default_factory=dict)  # naming.account -> its figures


def _rows(frame: pl.DataFrame) -> list[dict]:
    return [{k: plain(v) if not isinstance(v, (dt.datetime, dt.date, list)) else v for k, v in r.items()}
            for r in frame.iter_rows(named=True)]


def _masked_buyer(frame: pl.DataFrame, mask: bool, column: str = "buyer") -> pl.DataFrame:
    nick = pl.col(column)
    return frame.with_columns((masking.mask_nick_expr(nick) if mask else nick.fill_null("")).alias(column))


def _group(items, key) -> dict:
    out: dict = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def _figure(key: str, kind: str, value: Any, T: Labels) -> Figure:
    target, tone = "", ""
    if key == "promises_kept_pct":
        target = T.standard.target_all
        tone = "" if value is None else ("ok" if value >= 100 else "bad")
    elif key in ("handovers_left", "remarks_malformed"):
        target = T.standard.target_zero
        tone = "warn" if value else ""
    elif key == "remarks_overwritten":
        target = T.standard.target_zero
        tone = "bad" if value else ""
    return Figure(key, plain(value), fmt(kind, value, T), target, tone)


def _outcome() -> pl.Expr:
    """A reminded order's outcome: paid after the reminder, closed unpaid (the export's status), or unpaid."""
    return (
        pl.when(pl.col("paid_after_reminder")).then(pl.lit("paid_after_reminder"))
        .when(pl.col("paid_at").is_null() & pl.col("status").fill_null("").str.contains(CLOSED_STATUS))
        .then(pl.lit("closed"))
        .otherwise(pl.lit("unpaid"))
    )


def build_standard(con: duckdb.DuckDBPyConnection, week: str, agents: list[dict], T: Labels, mask: bool,
                   due_hours: float, answer_target_s: float | None = None) -> TeamStandard:
    """The week's service-standard views; ``agents`` are the week's agent_week rows; ``answer_target_s`` the
    first-reply target the median wait after a shift's start is compared with."""
    params = {"week": week}
    # A promise carries its message's time (standard/promises.py), and joined on it too DuckDB reads only
    # the messages of the promises' time range (as a flag's message is found, store/schema.py).
    promises = con.sql("SELECT p.*, m.text FROM promises p LEFT JOIN messages m "
                       "ON m.msg_id = p.msg_id AND m.sent_at = p.promised_at "
                       "WHERE p.week = $week ORDER BY p.shop, p.agent, p.promised_at, p.msg_id", params=params).pl()
    handovers = con.sql("SELECT * FROM handovers WHERE week = $week "
                        "ORDER BY shop, shift_ended_at, started_at, session_id, round_no", params=params).pl()
    reminded = con.sql("SELECT * FROM payment_reminders WHERE week = $week AND reminders > 0 "
                       "ORDER BY shop, created_at, order_id", params=params).pl()
    shifts = con.sql("SELECT * FROM shift_week WHERE week = $week ORDER BY shop, shift", params=params).pl()
    stale = stale_auto_replies_frame(con, week, mask)
    remarks = con.sql("SELECT * FROM order_remarks WHERE week = $week "
                      "ORDER BY shop, order_id, written_at NULLS LAST, line", params=params).pl()
    remark_rows = _remark_rows(remarks, T, mask)

    listed = promises.filter(pl.col("status").is_in(LISTED_PROMISES) & pl.col("agent").is_not_null())
    shown = listed.with_columns(pl.int_range(pl.len()).over("shop", "agent").alias("_n")).filter(
        pl.col("_n") < limits.STANDARD_PROMISES)
    items = _promise_items(con, shown, T, mask)

    handover_rows = _rows(_masked_buyer(handovers, mask).with_columns(
        pl.col("status").replace_strict(T["standard_status"], default=pl.col("status")).alias("status_label")))
    reminded = reminded.with_columns(_outcome().alias("outcome"))
    reminder_rows = _rows(_masked_buyer(reminded, mask).with_columns(
        pl.col("outcome").replace_strict(T["standard_status"], default=pl.col("outcome")).alias("outcome_label")))
    chased = [r for r in reminder_rows if r["reminding_agents"] > 1]

    stored = {(r["shop"], r["agent"]): r for r in agents}
    team = TeamStandard(
        due_hours=due_hours,
        answer_target_s=answer_target_s,
        totals=_totals(promises, handovers, reminded, chased, stale, remarks),
        agents=[{"shop": r["shop"], "agent": r["agent"], "label": shown_agent(r["shop"], r["agent"]),
                 "name": r.get("agent_name"),
                 "figures": [_figure(k, kind, r.get(k), T) for k, kind in AGENT_FIGURES.items()]}
                for r in sorted(agents, key=lambda r: (r["shop"], r["agent"]))],
        shifts=[{"shop": r["shop"], "shift": r["shift"],
                 "figures": [Figure(k, plain(r.get(k)), fmt(kind, r.get(k), T)) for k, kind in SHIFT_FIGURES.items()]}
                for r in _rows(shifts)],
        chased=chased,
        stale=_rows(stale),
        remarks=remark_rows[:limits.STANDARD_REMARKS],
        sheet=_sheet_rows(promises, handovers, reminded, T, mask, remark_rows),
    )
    # Keyed by the agent's account (naming.account): two shops may each have an agent of the same name.
    counts: dict[str, dict[str, int]] = {}
    for shop, agent, status in promises.select("shop", "agent", "status").iter_rows():
        mine = counts.setdefault(account(shop, agent), {})
        mine[status] = mine.get(status, 0) + 1
    totals = {account(shop, agent): n for shop, agent, n in listed.group_by("shop", "agent").len().iter_rows()}
    # Each agent's rows, grouped once: a page is built per agent, and a week can have hundreds of them.
    by = {"promises": _group(items, lambda p: account(p.shop, p.agent)),
          "left": _group(handover_rows, lambda r: account(r["shop"], r["left_by"])),
          "taken": _group(handover_rows, lambda r: account(r["shop"], r["answered_by"])),
          "reminders": _group(reminder_rows, lambda r: account(r["shop"], r["reminded_by"])),
          "remarks": _group([r for r in remark_rows if r["status"] == "malformed"],
                            lambda r: account(r["shop"], r["agent"])),
          "overwrote": _group([r for r in remark_rows if r["overwritten_by"]],
                              lambda r: account(r["shop"], r["_overwritten_by"]))}
    for (shop, name), row in stored.items():
        agent = account(shop, name)
        mine = by["reminders"].get(agent, [])
        team.by_agent[agent] = AgentStandard(
            figures=[_figure(k, kind, row.get(k), T) for k, kind in AGENT_FIGURES.items()],
            status_counts={s: counts.get(agent, {}).get(s, 0) for s in ("kept", "late", "broken", "open")},
            promises=by["promises"].get(agent, []),
            promises_listed=totals.get(agent, 0),
            left=by["left"].get(agent, []),
            taken=by["taken"].get(agent, []),
            reminders=mine,
            chased=[r for r in mine if r["reminding_agents"] > 1],
            remarks=(by["remarks"].get(agent, []) + by["overwrote"].get(agent, []))[:limits.STANDARD_REMARKS],
            due_hours=due_hours,
        )
    return team


def _remark_rows(remarks: pl.DataFrame, T: Labels, mask: bool) -> list[dict]:
    """The week's malformed and overwritten remarks, masked (a remark often holds an address or a phone
    number), each with its problems in words."""
    listed = remarks.filter((pl.col("status") == "malformed") | pl.col("overwritten_by").is_not_null())
    # The sheet masks its buyers itself; the pages are grouped by the agent as stored.
    listed = listed.with_columns(pl.col("buyer").alias("_buyer"), pl.col("overwritten_by").alias("_overwritten_by"))
    if mask:
        listed = masking.mask_column(listed, "line", nick="buyer")
        # A name not in the roster is whatever the remark held there: a phone number, an address.
        for name in ("agent_name", "overwritten_by"):
            listed = masking.mask_column(listed, name, nick="buyer").with_columns(
                pl.when(pl.col(name) != "").then(pl.col(name)).alias(name))
    listed = _masked_buyer(listed, mask)
    words = T["remark_problem"]
    rows = _rows(listed)
    for r in rows:
        r["problem_label"] = " / ".join(words.get(p, p) for p in (r["problem"] or "").split("; ") if p)
    return rows


def _totals(promises: pl.DataFrame, handovers: pl.DataFrame, reminded: pl.DataFrame, chased: list[dict],
            stale: pl.DataFrame, remarks: pl.DataFrame) -> dict[str, Any]:
    status = promises["status"]
    n = promises.height
    kept = int((status == "kept").sum())
    answered = promises.filter(pl.col("status").is_in(["kept", "late"]))["keep_seconds"]
    handed = handovers.filter(pl.col("status") == "answered")["wait_after_shift_start_s"]
    first = reminded.filter(pl.col("reminded_by").is_not_null())
    paid = first.filter(pl.col("paid_after_reminder"))
    return {
        "promises": n, "promises_kept": kept, "promises_kept_pct": 100.0 * kept / n if n else None,
        "promises_late": int((status == "late").sum()), "promises_broken": int((status == "broken").sum()),
        "promises_open": int((status == "open").sum()),
        "promise_keep_median_s": plain(answered.quantile(0.5, "linear")) if answered.len() else None,
        "handovers_left": handovers.height,
        "handovers_unanswered": int((handovers["status"] == "unanswered").sum()),
        "handovers_answered": handed.len(),
        "handover_answer_median_s": plain(handed.quantile(0.5, "linear")) if handed.len() else None,
        "reminders_sent": first.height, "reminded_paid": paid.height,
        "reminder_success_pct": 100.0 * paid.height / first.height if first.height else None,
        "reminder_recovered_amount": plain(paid["amount"].sum()) if paid.height else 0.0,
        "double_chased_buyers": len({(r["shop"], r["buyer"]) for r in chased}),
        "stale_auto_replies": int(stale["times"].sum()) if stale.height else 0,
        "remarks_written": remarks.height,
        "remarks_malformed": int((remarks["status"] == "malformed").sum()),
        "remarks_overwritten": int(remarks["overwritten_by"].is_not_null().sum()),
        "remarks_unnamed": int(remarks["agent"].is_null().sum()),
    }


TOTAL_KINDS = {
    "promises": COUNT, "promises_kept_pct": PCT, "promises_late": COUNT, "promises_broken": COUNT,
    "promises_open": COUNT, "promise_keep_median_s": SECONDS, "handovers_left": COUNT,
    "handovers_unanswered": COUNT, "handovers_answered": COUNT, "handover_answer_median_s": SECONDS,
    "reminders_sent": COUNT, "reminded_paid": COUNT, "reminder_success_pct": PCT,
    "reminder_recovered_amount": MONEY, "double_chased_buyers": COUNT, "stale_auto_replies": COUNT,
    "remarks_written": COUNT, "remarks_malformed": COUNT, "remarks_overwritten": COUNT, "remarks_unnamed": COUNT,
}


def total_figures(team: TeamStandard, T: Labels) -> list[Figure]:
    out = []
    for key, kind in TOTAL_KINDS.items():
        value = team.totals[key]
        target = {"promises_kept_pct": T.standard.target_all}.get(key, "")
        if key == "handover_answer_median_s" and team.answer_target_s is not None:
            target = f"≤ {team.answer_target_s:g} {T.units.seconds}"
        if key in ("handovers_left", "handovers_unanswered", "promises_broken", "double_chased_buyers",
                   "stale_auto_replies", "remarks_malformed", "remarks_overwritten", "remarks_unnamed"):
            target = T.standard.target_zero
        tone = "warn" if target == T.standard.target_zero and value else ""
        if key == "handover_answer_median_s" and value is not None and team.answer_target_s is not None:
            tone = "ok" if value <= team.answer_target_s else "bad"
        out.append(Figure(key, plain(value), fmt(kind, value, T), target, tone))
    return out


def _promise_items(con: duckdb.DuckDBPyConnection, shown: pl.DataFrame, T: Labels, mask: bool) -> list[PromiseItem]:
    """Each listed promise with its excerpt: the buyer's messages from the start of the promise's session to
    the end of it or to the answer (for a broken promise, to its due time: what the buyer wrote meanwhile),
    whichever is later, cut to the promise and the answer with ``limits.CONTEXT`` messages either side (the
    marked lines)."""
    if shown.is_empty():
        return []
    picked = shown.select("msg_id", "shop", "buyer", "promised_at", "due", "kept_at", "kept_msg_id")
    con.register("qc_report_promises", picked.to_arrow())
    try:
        messages = con.sql(f"""
            WITH span AS (
                SELECT p.msg_id AS promise_id, p.shop, p.buyer,
                       least(p.promised_at, coalesce(min(s.started_at), p.promised_at)) AS from_at,
                       greatest(coalesce(max(s.ended_at), p.promised_at), coalesce(p.kept_at, p.due)) AS to_at
                FROM qc_report_promises p
                LEFT JOIN sessions s ON s.shop = p.shop AND s.buyer = p.buyer
                     AND p.promised_at BETWEEN s.started_at AND s.ended_at
                GROUP BY p.msg_id, p.shop, p.buyer, p.promised_at, p.due, p.kept_at
            )
            SELECT span.promise_id, m.msg_id, m.role, m.agent, m.buyer, m.sent_at, m.text,
                   row_number() OVER (PARTITION BY span.promise_id
                       ORDER BY m.sent_at, {ROLE_ORDER}, m.source_path, m.source_line, m.msg_id) - 1 AS pos,
                   count(*) OVER (PARTITION BY span.promise_id) AS session_messages
            FROM messages m JOIN span ON m.shop = span.shop AND m.buyer = span.buyer
                 AND m.sent_at BETWEEN span.from_at AND span.to_at
            ORDER BY span.promise_id, pos""").pl()
    finally:
        con.unregister("qc_report_promises")
    ends = pl.concat([
        picked.select(pl.col("msg_id").alias("promise_id"), pl.col("msg_id").alias("msg_id")),
        picked.filter(pl.col("kept_msg_id").is_not_null()).select(pl.col("msg_id").alias("promise_id"),
                                                                  pl.col("kept_msg_id").alias("msg_id")),
    ])
    at = messages.join(ends, on=["promise_id", "msg_id"], how="semi").select("promise_id", "pos")
    near = at.with_columns(
        pl.int_ranges(pl.col("pos") - limits.CONTEXT, pl.col("pos") + limits.CONTEXT + 1).alias("pos")
    ).explode("pos").unique().cast(at.schema)
    kept = messages.join(near, on=["promise_id", "pos"], how="semi")
    marked = set(ends["msg_id"].to_list())
    lines: dict[str, list[tuple[TranscriptLine, int]]] = {}
    for group, line, after in transcript_lines(kept, T, mask, marked=marked, by="promise_id"):
        lines.setdefault(group, []).append((line, after))
    out = []
    for r in _masked_buyer(shown, mask).iter_rows(named=True):
        got = lines.get(r["msg_id"], [])
        out.append(PromiseItem(
            msg_id=r["msg_id"], shop=r["shop"], agent=r["agent"], buyer=r["buyer"], status=r["status"],
            status_label=T.of("standard_status", r["status"]), promised_at=r["promised_at"], due=r["due"],
            kept_at=r["kept_at"], kept_by=r["kept_by"], keep_seconds=r["keep_seconds"],
            transcript=[line for line, _ in got], omitted_after=got[-1][1] if got else 0,
        ))
    return out


# The 服务规范 list: one row per promise, handover, reminded order and malformed or overwritten remark of the
# week, in these columns. standard.csv holds every row; the sheet at most ``limits.SHEET_STANDARD``, those
# that need attention first (``sheet_shown``).
SHEET_COLUMNS = ("kind", "shop", "agent", "buyer", "status", "at", "deadline", "done_at", "done_by", "wait_s",
                 "paid_at", "amount", "reminders", "reminding_agents", "text", "ref")
# A row a supervisor has to act on: a broken or late promise, a buyer left unanswered at a shift's end, a
# remark that breaks the format or was overwritten. A sheet too long to hold them all shows these first.
ATTENTION = "_attention"
ATTENTION_STATUSES = ("broken", "late", "unanswered")
_SHEET_SCHEMA = {
    "kind": pl.String, "shop": pl.String, "agent": pl.String, "buyer": pl.String, "status": pl.String,
    "at": pl.Datetime("us"), "deadline": pl.Datetime("us"), "done_at": pl.Datetime("us"), "done_by": pl.String,
    "wait_s": pl.Float64, "paid_at": pl.Datetime("us"), "amount": pl.Float64, "reminders": pl.Int64,
    "reminding_agents": pl.Int64, "text": pl.String, "ref": pl.String,
}


def _sheet_rows(promises: pl.DataFrame, handovers: pl.DataFrame, reminded: pl.DataFrame, T: Labels,
                mask: bool, remarks: list[dict] = ()) -> pl.DataFrame:
    status = T["standard_status"]
    text = promises.select("text", "buyer")
    if mask:
        text = masking.mask_column(text, "text", nick="buyer")
    attention = pl.col("status").is_in(ATTENTION_STATUSES).fill_null(False).alias(ATTENTION)
    parts = [
        promises.with_columns(text["text"].alias("text")).select(
            pl.lit(status["promise"]).alias("kind"), "shop", "agent", "buyer", attention,
            pl.col("status").replace_strict(status, default=pl.col("status")).alias("status"),
            pl.col("promised_at").alias("at"), pl.col("due").alias("deadline"), pl.col("kept_at").alias("done_at"),
            pl.col("kept_by").alias("done_by"), pl.col("keep_seconds").alias("wait_s"),
            pl.col("text").fill_null(""), pl.col("msg_id").alias("ref")),
        handovers.select(
            pl.lit(status["handover"]).alias("kind"), "shop", pl.col("left_by").alias("agent"), "buyer", attention,
            pl.col("status").replace_strict(status, default=pl.col("status")).alias("status"),
            pl.col("started_at").alias("at"), pl.col("shift_ended_at").alias("deadline"),
            pl.col("answered_at").alias("done_at"), pl.col("answered_by").alias("done_by"),
            pl.col("wait_after_shift_start_s").alias("wait_s"), pl.col("session_id").alias("ref")),
        reminded.select(
            pl.lit(status["reminder"]).alias("kind"), "shop", pl.col("reminded_by").alias("agent"), "buyer",
            pl.lit(False).alias(ATTENTION),
            pl.col("outcome").replace_strict(status, default=pl.col("outcome")).alias("status"), pl.col("created_at").alias("at"),
            pl.col("close_deadline").alias("deadline"), pl.col("reminded_at").alias("done_at"),
            pl.col("reminded_by").alias("done_by"), "paid_at", pl.col("amount").cast(pl.Float64),
            "reminders", "reminding_agents", pl.col("order_id").alias("ref")),
    ]
    if remarks:
        # The line is masked already (_remark_rows); the buyer is masked below with the others.
        parts.append(pl.DataFrame(
            [{"kind": status["remark"], "shop": r["shop"], "agent": r["agent"] or r["agent_name"],
              "buyer": r["_buyer"], "status": r["problem_label"] or status["overwritten"],
              # a remark without a readable time is placed at its order's creation
              "at": r["written_at"] or r["created_at"], "done_at": r["overwritten_at"], "done_by": r["overwritten_by"],
              "text": r["line"], "ref": r["order_id"], ATTENTION: True} for r in remarks],
            schema={**{c: _SHEET_SCHEMA[c] for c in ("kind", "shop", "agent", "buyer", "status", "at", "done_at",
                                                     "done_by", "text", "ref")}, ATTENTION: pl.Boolean}))
    filled = []
    for part in parts:
        missing = [pl.lit(None, dtype=t).alias(c) for c, t in _SHEET_SCHEMA.items() if c not in part.columns]
        filled.append(part.with_columns(missing).select(*SHEET_COLUMNS, ATTENTION)
                      .cast({**_SHEET_SCHEMA, ATTENTION: pl.Boolean}))
    return _masked_buyer(pl.concat(filled), mask)


def sheet_shown(rows: pl.DataFrame, limit: int) -> pl.DataFrame:
    """The rows the 服务规范 sheet shows: all of them, in their order, when they fit in ``limit``; else the
    rows that need attention first (each group in its order), cut at ``limit``. standard.csv has them all."""
    if rows.height <= limit:
        return rows
    return rows.with_row_index("_order").sort(
        [pl.col(ATTENTION), pl.col("_order")], descending=[True, False]).head(limit).drop("_order")


def sheet_header(T: Labels) -> list[str]:
    s = T.standard
    names = {"kind": s.sheet_kind, "shop": T.ui.shop, "agent": T.ui.agent, "buyer": T.ui.buyer,
             "status": s.sheet_status, "at": s.sheet_at, "deadline": s.sheet_deadline, "done_at": s.sheet_done_at,
             "done_by": s.sheet_done_by, "wait_s": s.sheet_wait, "paid_at": s.paid_at, "amount": s.amount,
             "reminders": s.reminders, "reminding_agents": s.reminding_agents, "text": s.sheet_text,
             "ref": s.sheet_ref}
    return [names[c] for c in SHEET_COLUMNS]


def markdown_lines(team: TeamStandard, T: Labels, escape) -> list[str]:
    """summary.md's service-standard lines: the team figures of each clause against the standard's targets
    (``escape`` keeps shop names plain text)."""
    t, s = team.totals, T.standard
    seconds = lambda v: fmt(SECONDS, v, T)
    target = f"≤ {team.answer_target_s:g} {T.units.seconds}" if team.answer_target_s is not None else T.ui.none
    per_shop: dict[str, int] = {}
    for r in team.stale:
        per_shop[r["shop"]] = per_shop.get(r["shop"], 0) + int(r["times"])
    shops = "".join(f" · {escape(shop)} {n}" for shop, n in per_shop.items())
    return [
        f"**{s.title}**", "",
        "- " + s.md_promises.format(n=t["promises"], pct=fmt(PCT, t["promises_kept_pct"], T), target=s.target_all,
                                    late=t["promises_late"], broken=t["promises_broken"]),
        "- " + s.md_handovers.format(n=t["handovers_left"], unanswered=t["handovers_unanswered"],
                                     median=seconds(t["handover_answer_median_s"]), target=target),
        "- " + s.md_reminders.format(n=t["reminders_sent"], pct=fmt(PCT, t["reminder_success_pct"], T),
                                     amount=fmt(MONEY, t["reminder_recovered_amount"], T),
                                     chased=t["double_chased_buyers"]),
        "- " + s.md_remarks.format(n=t["remarks_written"], malformed=t["remarks_malformed"],
                                   overwritten=t["remarks_overwritten"], unnamed=t["remarks_unnamed"]),
        "- " + s.md_auto_replies.format(n=t["stale_auto_replies"], shops=shops),
        "",
    ]
