"""The derived tables as pure functions of frames: no warehouse, no files, no clock.

`buyer_tables` computes everything that is decided per (shop, buyer): sessions, rounds, flags,
inquiries, order attribution and session scores. Every row it returns depends only on that buyer's
messages and orders, the roster and the settings, which is what lets the conductor recompute a few
buyers of a week, or map the same function over shop partitions on a distributed engine.
`weekly_tables` aggregates those rows into agent_week and shop_week for (week, shop) partitions.

A new rule set or scorecard changes only some of those tables: `stored_flags_table` recomputes flags
from stored messages and sessions, `score_tables` the session scores from stored rows, and
`agent_weekly_tables` what reads them; rounds, sessions, inquiries and order attribution stay as stored.
"""
from __future__ import annotations

import polars as pl

from qc_pipeline.config import ROLES, Config
from qc_pipeline.conversion.inquiries import agent_week_conversion, conversion_frames, session_outcomes
from qc_pipeline.conversion.shop import mark_matched_buyers, shop_week_table
from qc_pipeline.metrics.rounds import iso_week, role_targets, rounds_table
from qc_pipeline.rules import RuleSet, flag_messages
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.scoring.sessions import score_sessions
from qc_pipeline.sessions.onduty import DutyCalendar
from qc_pipeline.sessions.sessionize import messages_in_sessions, ordered_messages, sessions_table
from qc_pipeline.weekly import agent_week_flags, agent_week_response, agent_week_table, weekly_flag_counts
from qc_pipeline.weekly import aftersale_kpis, order_kpis, reception_kpis, weekly_scores, with_bands
from qc_pipeline.sessions.casefacts import refund_pattern, refund_topics, with_case_facts
from qc_pipeline.standard import (
    COUNT_COLUMNS as STANDARD_COUNTS, agent_week_standard, payment_reminders_table, promises_table, shop_latest,
    standard_lexicons,
)
from qc_pipeline.standard.auto_replies import auto_reply_dates, stale_auto_replies_table
from qc_pipeline.standard.remarks import REMARK_SCHEMA, order_remarks_table, remark_format
from qc_pipeline.standard.promises import PROMISE_SCHEMA
from qc_pipeline.standard.reminders import REMINDER_SCHEMA
from qc_pipeline.standard.handovers import (
    HANDOVER_COUNTS, agent_week_handovers, empty_handovers, handovers_table, shift_week_table,
)

# The tables decided per buyer, each with the (shop, week, buyer) columns that place a row in a partition.
BUYER_TABLES = (
    "sessions", "rounds", "flags", "inquiries", "order_attribution", "session_scores", "score_deductions",
    "promises", "payment_reminders", "stale_auto_replies",
)
WEEKLY_TABLES = ("agent_week", "agent_week_flags", "shop_week")
# Shift handovers (qc_pipeline/standard/handovers.py): per-buyer rows and the per-shift weekly table.
BUYER_TABLES += ("handovers",)
# Order remarks (qc_pipeline/standard/remarks.py): per order, in the order's partition.
BUYER_TABLES += ("order_remarks",)
WEEKLY_TABLES += ("shift_week",)

# Aggregated per (month, shop) from the rows of the weeks a calendar month overlaps (scope.months_of_weeks).
MONTHLY_TABLES = ("agent_month",)
# The time that places each per-buyer row in a calendar month: the one its ISO week is taken from, so a
# row's month and week always agree. Scores take their session's start.
MONTH_TIME = {"rounds": "started_at", "flags": "sent_at", "inquiries": "first_reply_at", "sessions": "started_at",
              "promises": "promised_at", "payment_reminders": "created_at",
              "handovers": "started_at", "order_remarks": "created_at"}
# What a new rule set recomputes (flags and what reads them), and what a new scorecard recomputes.
RULE_TABLES = ("flags", "session_scores", "score_deductions", "agent_week", "agent_week_flags", "agent_month")
SCORE_TABLES = ("session_scores", "score_deductions", "agent_week", "agent_week_flags", "agent_month")


def with_buyer_context(ordered: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    """The agent and auto-reply texts, each with `context`: the buyer's last message before it in its
    session (what the reply answers: a question of fact or a request), null when there is none."""
    text = ordered.select("msg_id", "session_no", "role").join(texts.select("msg_id", "text"), on="msg_id", how="left",
                                                                maintain_order="left")
    text = text.with_columns(
        pl.when(pl.col("role") == "buyer").then(pl.col("text")).forward_fill().over("session_no").alias("context")
    )
    return text.filter(pl.col("role").is_in(["agent", "auto"])).select("msg_id", "role", "text", "context")


def flags_table(ordered: pl.DataFrame, texts: pl.DataFrame, ruleset: RuleSet) -> pl.DataFrame:
    """Every rule hit on agent and auto-reply messages, with the session and week it belongs to.
    `texts` holds (msg_id, text) of the messages (buyer ones too, for the context a reply answers); buyer
    messages are never checked."""
    hits = flag_messages(with_buyer_context(ordered, texts), ruleset)
    context = ordered.filter(pl.col("msg_id").is_in(hits["msg_id"].unique().implode())).select(
        "msg_id", "session_id", "shop", "buyer", "agent", "role", "sent_at", iso_week("sent_at").alias("week")
    )
    return hits.join(context, on="msg_id", how="inner")


def stored_flags_table(messages: pl.DataFrame, sessions: pl.DataFrame, ruleset: RuleSet) -> pl.DataFrame:
    """`flags_table` for messages whose sessions are already derived: `messages` (msg_id, shop, buyer,
    agent, role, sent_at, source_line, text) from the start to the end of each of `sessions` (session_id,
    shop, buyer, started_at, ended_at), so that every reply sees the buyer message it answers."""
    return flags_table(messages_in_sessions(messages.drop("text"), sessions), messages, ruleset)


def score_tables(sessions: pl.DataFrame, rounds: pl.DataFrame, flags: pl.DataFrame, inquiries: pl.DataFrame,
                 ruleset: RuleSet, scorecard: Scorecard) -> dict[str, pl.DataFrame]:
    """session_scores and score_deductions of `sessions`, from their rounds, their flags (weighed by the
    rules' weights) and the buyer-day inquiries their presale replies belong to."""
    weights = {r.id: float(r.weight) for r in ruleset.rules}
    weighted = flags.with_columns(
        pl.col("rule_id").replace_strict(weights, default=1.0, return_dtype=pl.Float64).alias("weight"))
    scores, deductions = score_sessions(sessions, rounds, weighted, session_outcomes(rounds, inquiries), scorecard)
    placed = sessions.select("session_id", "shop", "buyer", iso_week("started_at").alias("week"))
    return {
        "session_scores": scores.drop("week").join(placed, on="session_id", how="left"),
        "score_deductions": deductions.join(placed, on="session_id", how="left"),
    }


def order_week(created: str = "created_at", paid: str = "paid_at") -> pl.Expr:
    """The partition of an order: the ISO week it was created in (paid, for an export without creation times)."""
    return pl.coalesce(iso_week(created), iso_week(paid))


def buyer_tables(
    messages: pl.DataFrame,
    texts: pl.DataFrame,
    orders: pl.DataFrame,
    roster: pl.DataFrame,
    chat_buyers: pl.DataFrame,
    config: Config,
    ruleset: RuleSet,
    scorecard: Scorecard,
    latest: pl.DataFrame | None = None,
    remark_versions: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Every per-buyer table for the given messages (msg_id, shop, buyer, agent, role, sent_at,
    source_line), their texts (msg_id, role, text), the buyers' orders, the roster (agent, name, role)
    and `chat_buyers` (shop, buyer pairs that chatted with the shop at all). `latest` (shop, latest_at)
    is each shop's latest loaded message, which tells an open promise from a broken one; without it,
    the latest of `messages` (right when they are all of the shop's messages). `remark_versions` (order_id,
    remark) holds every export's 订单备注 of those orders; without it, only the orders' own remark."""
    calendar = DutyCalendar.from_shifts(config.shifts)
    ordered = ordered_messages(messages, calendar, config.idle_seconds)
    sessions = with_case_facts(sessions_table(ordered), ordered, texts, refund_pattern(refund_topics()),
                               config.reopen_hours)
    rounds = rounds_table(
        ordered, sessions, calendar, roster, role_targets(config, list(ROLES)), config.default_role
    )
    flags = flags_table(ordered, texts, ruleset)
    conv = config.conversion
    # Attribution carries the order's columns; the remark is order_remarks' business.
    frames = conversion_frames(rounds, orders.drop("remark", strict=False), conv["window_days"], conv["attribution"])
    attribution = mark_matched_buyers(frames["order_attribution"], chat_buyers).with_columns(
        order_week().alias("week")
    )
    return {
        "sessions": sessions.with_columns(iso_week("started_at").alias("week")),
        "rounds": rounds,
        "flags": flags,
        "inquiries": frames["inquiries"].drop("orders"),
        "order_attribution": attribution,
        **score_tables(sessions, rounds, flags, frames["inquiries"], ruleset, scorecard),
        **standard_tables(messages, texts, orders, roster, config,
                          shop_latest(messages) if latest is None else latest, remark_versions),
        "handovers": handovers_table(rounds, ordered, sessions, config.shifts, config.idle_seconds),
    }


def standard_tables(messages: pl.DataFrame, texts: pl.DataFrame, orders: pl.DataFrame, roster: pl.DataFrame,
                    config: Config, latest: pl.DataFrame,
                    remark_versions: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """promises, payment_reminders, stale_auto_replies and order_remarks of the given buyers
    (qc_pipeline/standard)."""
    lexicons = standard_lexicons()
    return {
        "promises": promises_table(messages, texts, latest, lexicons, config.promise_due_hours,
                                   config.promise_follow_hours),
        "payment_reminders": payment_reminders_table(orders, messages, texts, lexicons, config.payment_close_hours),
        "stale_auto_replies": stale_auto_replies_table(messages, texts, auto_reply_dates()),
        "order_remarks": order_remarks_table(orders, remark_versions, roster, remark_format(), order_week()),
    }


def weekly_tables(
    rounds: pl.DataFrame,
    flags: pl.DataFrame,
    inquiries: pl.DataFrame,
    attribution: pl.DataFrame,
    scores: pl.DataFrame,
    roster: pl.DataFrame,
    order_span: pl.DataFrame,
    config: Config,
    sessions: pl.DataFrame | None = None,
    promises: pl.DataFrame | None = None,
    reminders: pl.DataFrame | None = None,
    handovers: pl.DataFrame | None = None,
    remarks: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """agent_week, agent_week_flags, shop_week and shift_week of the (week, shop) partitions the rows
    belong to. `order_span` holds each shop's first and last order-creation day (shop, first_day,
    last_day); `sessions` (of those partitions) feed the after-sale KPIs, `promises` and `reminders` (rows
    of payment_reminders) the service-standard figures, `handovers` the shift-handover ones."""
    handovers = empty_handovers() if handovers is None else handovers
    return {
        **agent_weekly_tables(rounds, flags, inquiries, scores, roster, config, sessions, promises, reminders,
                              handovers, remarks),
        "shop_week": shop_week_table(inquiries, attribution, order_span),
        "shift_week": shift_week_table(rounds, handovers, config.shifts, config.wait_cap_seconds),
    }


def agent_weekly_tables(rounds: pl.DataFrame, flags: pl.DataFrame, inquiries: pl.DataFrame,
                        scores: pl.DataFrame, roster: pl.DataFrame, config: Config,
                        sessions: pl.DataFrame | None = None, promises: pl.DataFrame | None = None,
                        reminders: pl.DataFrame | None = None,
                        handovers: pl.DataFrame | None = None,
                        remarks: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """agent_week and agent_week_flags: the weekly tables that read flags and scores (shop_week and
    shift_week read neither)."""
    return {"agent_week": agent_period_table(rounds, flags, inquiries, scores, roster, config, sessions,
                                             promises, reminders, handovers, remarks),
            "agent_week_flags": agent_week_flags(flags)}


def agent_period_table(rounds: pl.DataFrame, flags: pl.DataFrame, inquiries: pl.DataFrame, scores: pl.DataFrame,
                       roster: pl.DataFrame, config: Config, sessions: pl.DataFrame | None,
                       promises: pl.DataFrame | None = None, reminders: pl.DataFrame | None = None,
                       handovers: pl.DataFrame | None = None,
                       remarks: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per (week, shop, agent) of the rows given, whatever their `week` holds: agent_month calls
    it with each row's month in that column."""
    conv = config.conversion
    if promises is None:
        promises = pl.DataFrame(schema=PROMISE_SCHEMA)
    if reminders is None:
        reminders = pl.DataFrame(schema=REMINDER_SCHEMA)
    if remarks is None:
        remarks = pl.DataFrame(schema=REMARK_SCHEMA)
    if sessions is None:
        sessions = pl.DataFrame(schema={"week": pl.Utf8, "shop": pl.Utf8, "session_id": pl.Utf8,
                                        "agents": pl.List(pl.Utf8), "primary_agent": pl.Utf8,
                                        "refund_topic": pl.Boolean, "reopened_at": pl.Datetime("us")})
    table = agent_week_table(
        agent_week_response(rounds, config.wait_cap_seconds),
        weekly_flag_counts(flags),
        with_bands(agent_week_conversion(inquiries), conv["bands"], conv["min_inquiries"]),
        weekly_scores(scores),
        roster,
        config.default_role,
        kpis=(
            reception_kpis(rounds, config.wait_cap_seconds),
            order_kpis(inquiries),
            aftersale_kpis(sessions, rounds, roster, config.default_role, config.aftersale_first_reply_seconds),
            agent_week_standard(promises, reminders, remarks),
            agent_week_handovers(empty_handovers() if handovers is None else handovers),
        ),
    )
    # An agent-week without promises, reminders or handovers made none: 0, not unknown.
    return table.with_columns(*[pl.col(c).fill_null(0) for c in (*STANDARD_COUNTS, "reminder_recovered_amount",
                                                                 *HANDOVER_COUNTS)])


def _in_month(rows: pl.DataFrame, table: str) -> pl.DataFrame:
    """The rows with `week` holding their calendar month ('YYYY-MM', shop-local) instead of their ISO week."""
    return rows.with_columns(pl.col(MONTH_TIME[table]).dt.strftime("%Y-%m").alias("week"))


def agent_month_table(rounds: pl.DataFrame, flags: pl.DataFrame, inquiries: pl.DataFrame, scores: pl.DataFrame,
                      roster: pl.DataFrame, config: Config, sessions: pl.DataFrame,
                      promises: pl.DataFrame | None = None, reminders: pl.DataFrame | None = None,
                      handovers: pl.DataFrame | None = None,
                      remarks: pl.DataFrame | None = None) -> pl.DataFrame:
    """agent_month: `agent_period_table` over the rows relabelled by calendar month, so every figure is
    computed from the month's rows themselves (a median over the month's rounds, a rate from the month's
    counts), never from weekly figures. `sessions` also place the session scores. Returns every month the
    rows touch; a caller holding only part of a month's weeks keeps only the months it holds whole."""
    month_sessions = _in_month(sessions, "sessions")
    placed_scores = scores.drop("week").join(month_sessions.select("session_id", "week"), on="session_id",
                                             how="inner")
    table = agent_period_table(
        _in_month(rounds, "rounds"), _in_month(flags, "flags"), _in_month(inquiries, "inquiries"), placed_scores,
        roster, config, month_sessions,
        None if promises is None else _in_month(promises, "promises"),
        None if reminders is None else _in_month(reminders, "payment_reminders"),
        None if handovers is None else _in_month(handovers, "handovers"),
        None if remarks is None else _in_month(remarks, "order_remarks"),
    )
    return table.rename({"week": "month"})
