"""Shift handovers (到下班时间必须把手头客户处理完成；白班的问题下班时交接给晚班; 上班后第一时间回复留言): table
`handovers`, the per-shift table `shift_week` and the handover columns of agent_week.

A round is handed over when it is still waiting for a human reply at the first shift end after its first
buyer message (shifts are half-open, so a round started exactly at a shift end belongs to the next shift,
and a reply in that very second comes too late for the leaving shift). An answered round waits until its
reply; an unanswered one until its session is over, `sessions.idle_minutes` of on-duty time after the
session's last message. `left_by` is the agent the buyer was last talking to before the shift ended;
`wait_after_shift_start_s` the on-duty seconds from the moment the next shift is on duty to the reply (0
for a reply before it). With no shifts configured (always on duty) nothing is handed over.

Everything here depends only on the round's own session, which is what lets the conductor place a row in
the week of the round's first buyer message (scope.Reach declares it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qc_pipeline.config import Shift
from qc_pipeline.sessions.onduty import DAY_US, US_PER_S, DutyCalendar
from qc_pipeline.weekly.agent_week import agent_week_response

DAY_S = 86_400
KEYS = ["week", "shop", "agent"]
HANDOVER_SCHEMA = {
    "session_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "round_no": pl.Int32, "first_msg_id": pl.Utf8,
    "started_at": pl.Datetime("us"), "left_by": pl.Utf8, "shift_name": pl.Utf8,
    "shift_ended_at": pl.Datetime("us"), "next_shift": pl.Utf8, "next_shift_started_at": pl.Datetime("us"),
    "answered_at": pl.Datetime("us"), "answered_by": pl.Utf8, "wait_after_shift_start_s": pl.Float64,
    "status": pl.Utf8, "week": pl.Utf8,
}
HANDOVER_COUNTS = ("handovers_left", "handovers_answered")
# The response figures of shift_week: agent_week's, computed per shift instead of per agent.
SHIFT_RESPONSE = ("sessions", "rounds", "first_rounds", "first_median_s", "first_p90_s", "first_within_target_pct",
                  "follow_median_s", "follow_p90_s", "follow_within_target_pct", "unanswered_rounds",
                  "avg_wait_capped_s")
SHIFT_COUNTS = ("sessions", "rounds", "first_rounds", "unanswered_rounds", "handovers_left", "handovers_received",
                "handovers_answered")
SHIFT_WEEK_SCHEMA = {
    "week": pl.Utf8, "shop": pl.Utf8, "shift": pl.Utf8,
    **{c: (pl.Int64 if c in SHIFT_COUNTS else pl.Float64) for c in SHIFT_RESPONSE},
    "handovers_left": pl.Int64, "handovers_received": pl.Int64, "handovers_answered": pl.Int64,
    "handover_answer_median_s": pl.Float64,
}


def _epoch_us(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Datetime("us")).dt.epoch("us")


def _as_time(values: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.Int64).cast(pl.Datetime("us"))


def on_duty_shift(shifts: list[Shift], time_of_day_s: np.ndarray) -> np.ndarray:
    """For each time of day (seconds after midnight), the index of the shift on duty then (the one that
    started most recently when shifts overlap; the first listed on a tie), -1 when none is."""
    tod = np.asarray(time_of_day_s, dtype=np.int64)
    if not shifts:
        return np.full(tod.shape, -1, np.int64)
    starts = np.array([s.start_s for s in shifts], np.int64)
    lengths = np.array([(s.end_s - s.start_s) % DAY_S for s in shifts], np.int64)
    elapsed = (tod[:, None] - starts[None, :]) % DAY_S
    on = elapsed < lengths[None, :]
    best = np.argmin(np.where(on, elapsed, DAY_S + 1), axis=1)
    return np.where(on.any(axis=1), best, -1)


@dataclass(frozen=True)
class ShiftEnds:
    """Every distinct time of day a shift ends, sorted: the shift that ends then, how long after it a shift
    is on duty again and which shift that is."""

    ends_s: np.ndarray
    names: list[str]
    next_after_s: np.ndarray
    next_names: list[str]

    @classmethod
    def of(cls, shifts: list[Shift]) -> "ShiftEnds":
        calendar = DutyCalendar.from_shifts(shifts)
        ends: dict[int, str] = {}
        for shift in shifts:  # two shifts ending at once: the first listed names the end
            ends.setdefault(shift.end_s % DAY_S, shift.name)
        ends_s = np.array(sorted(ends), np.int64)
        # A day after the epoch, so that the next on-duty moment is never before it.
        at = DAY_US + ends_s * US_PER_S
        after = (calendar.next_on_duty(at) - at) // US_PER_S
        incoming = on_duty_shift(shifts, (ends_s + after) % DAY_S)
        return cls(ends_s, [ends[e] for e in ends_s.tolist()], after.astype(np.int64),
                   [shifts[i].name if i >= 0 else None for i in incoming.tolist()])


def empty_handovers() -> pl.DataFrame:
    return pl.DataFrame(schema=HANDOVER_SCHEMA)


def handovers_table(rounds: pl.DataFrame, ordered: pl.DataFrame, sessions: pl.DataFrame, shifts: list[Shift],
                    idle_seconds: int) -> pl.DataFrame:
    """One row per round still waiting for a reply at the first shift end after it started.

    `rounds` as `metrics.rounds.rounds_table` gives them; `ordered` the sessions' messages with
    `session_id`, `role`, `agent`, `sent_at` and `on_duty_us` (`ordered_messages`); `sessions` (session_id,
    primary_agent); `shifts` the shop's shifts and `idle_seconds` its session gap."""
    if not shifts or rounds.is_empty():
        return empty_handovers()
    calendar = DutyCalendar.from_shifts(shifts)
    ends = ShiftEnds.of(shifts)
    start_us = rounds.select(_epoch_us("started_at")).to_series().to_numpy()
    day, within = np.divmod(start_us, DAY_US)
    # The first shift end strictly after the first buyer message.
    k = np.searchsorted(ends.ends_s * US_PER_S, within, side="right")
    wrap = k == len(ends.ends_s)
    k = np.where(wrap, 0, k)
    end_us = np.where(wrap, day + 1, day) * DAY_US + ends.ends_s[k] * US_PER_S
    candidates = rounds.with_columns(
        _as_time(end_us).alias("shift_ended_at"),
        _as_time(end_us + ends.next_after_s[k] * US_PER_S).alias("next_shift_started_at"),
        pl.Series("_k", k, dtype=pl.Int64),
    ).filter(pl.col("replied_at").is_null() | (pl.col("replied_at") >= pl.col("shift_ended_at")))
    if candidates.is_empty():
        return empty_handovers()
    # Only the sessions of rounds open at a shift end matter from here on (a few of all).
    ordered = ordered.join(candidates.select("session_id").unique(), on="session_id", how="semi",
                           maintain_order="left")
    # An unanswered round waits while its session lasts: until idle on-duty seconds after its last message.
    last = ordered.group_by("session_id").agg(pl.col("on_duty_us").max().alias("_last_on_duty"))
    candidates = candidates.join(last, on="session_id", how="left")
    end_clock = calendar.on_duty_clock(candidates.select(_epoch_us("shift_ended_at")).to_series().to_numpy())
    candidates = candidates.with_columns(pl.Series("_end_on_duty", end_clock, dtype=pl.Int64)).filter(
        pl.col("replied_at").is_not_null()
        | (pl.col("_end_on_duty") - pl.col("_last_on_duty") < idle_seconds * US_PER_S)
    )
    if candidates.is_empty():
        return empty_handovers()
    left = _left_by(candidates, ordered, sessions)
    # On-duty seconds from the next shift's start to the reply: 0 for a reply before it (off duty).
    reply = left.select(pl.coalesce(_epoch_us("replied_at"), _epoch_us("next_shift_started_at"))).to_series()
    start = left.select(_epoch_us("next_shift_started_at")).to_series()
    waited = (calendar.on_duty_clock(reply.to_numpy()) - calendar.on_duty_clock(start.to_numpy())).clip(min=0)
    replied = pl.col("replied_at").is_not_null()
    return left.with_columns(
        pl.col("_k").replace_strict(dict(enumerate(ends.names)), return_dtype=pl.Utf8).alias("shift_name"),
        pl.col("_k").replace_strict(dict(enumerate(ends.next_names)), return_dtype=pl.Utf8).alias("next_shift"),
        pl.col("replied_at").alias("answered_at"),
        pl.when(replied).then(pl.col("agent")).alias("answered_by"),
        pl.when(replied).then(pl.Series(waited / US_PER_S, dtype=pl.Float64)).alias("wait_after_shift_start_s"),
        pl.when(replied).then(pl.lit("answered")).otherwise(pl.lit("unanswered")).alias("status"),
    ).select(list(HANDOVER_SCHEMA)).cast(HANDOVER_SCHEMA).sort("shop", "buyer", "started_at", "session_id", "round_no")


def _left_by(candidates: pl.DataFrame, ordered: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """`left_by`: the agent on the session's last buyer or human-agent message before the shift end that
    names one (the round's last addressed buyer message, else the agent who answered before it), else the
    session's primary agent (as an unanswered round is attributed)."""
    named = (
        ordered.filter(pl.col("role").is_in(["buyer", "agent"]) & pl.col("agent").is_not_null())
        .select("session_id", pl.col("sent_at").alias("_named_at"), pl.col("agent").alias("_named"))
        .sort("_named_at", maintain_order=True)
    )
    # Of several such messages in one second, the last in conversation order.
    named = named.group_by("session_id", "_named_at", maintain_order=True).agg(pl.col("_named").last())
    joined = candidates.sort("shift_ended_at").join_asof(
        named, left_on="shift_ended_at", right_on="_named_at", by="session_id", strategy="backward",
        allow_exact_matches=False, check_sortedness=False,
    )
    joined = joined.join(sessions.select("session_id", pl.col("primary_agent").alias("_primary")),
                         on="session_id", how="left")
    return joined.with_columns(pl.coalesce("_named", "_primary").alias("left_by"))


def round_shifts(rounds: pl.DataFrame, shifts: list[Shift]) -> pl.DataFrame:
    """`rounds` with `shift`: the shift on duty when the round's clock started (`clock_start`: a round
    started off duty belongs to the shift that comes on next), null with no shifts."""
    if rounds.is_empty() or not shifts:
        return rounds.with_columns(pl.lit(None, pl.Utf8).alias("shift"))
    tod = rounds.select(
        (_epoch_us("clock_start") // US_PER_S) % DAY_S).to_series().to_numpy()
    index = on_duty_shift(shifts, tod)
    names = [shifts[i].name if i >= 0 else None for i in index.tolist()]
    return rounds.with_columns(pl.Series("shift", names, dtype=pl.Utf8))


def shift_week_table(rounds: pl.DataFrame, handovers: pl.DataFrame, shifts: list[Shift],
                     wait_cap_seconds: int) -> pl.DataFrame:
    """One row per (week, shop, shift) with a round or a handover: agent_week's response figures over the
    rounds whose clock started in that shift, the handovers the shift left at its end, and those it
    received at its start (`handovers_received`), how many of them were answered and the median on-duty
    seconds from the shift's start to the answer. Empty with no shifts."""
    if not shifts:
        return pl.DataFrame(schema=SHIFT_WEEK_SCHEMA)
    placed = round_shifts(rounds, shifts).filter(pl.col("shift").is_not_null())
    response = agent_week_response(placed.with_columns(pl.col("shift").alias("agent")), wait_cap_seconds).rename(
        {"agent": "shift"})
    keys = ["week", "shop", "shift"]
    left = handovers.group_by("week", "shop", pl.col("shift_name").alias("shift")).agg(
        pl.len().cast(pl.Int64).alias("handovers_left"))
    answered = pl.col("status") == "answered"
    received = handovers.filter(pl.col("next_shift").is_not_null()).group_by(
        "week", "shop", pl.col("next_shift").alias("shift")
    ).agg(
        pl.len().cast(pl.Int64).alias("handovers_received"),
        answered.sum().cast(pl.Int64).alias("handovers_answered"),
        pl.col("wait_after_shift_start_s").filter(answered).quantile(0.5, "linear").alias("handover_answer_median_s"),
    )
    table = response.join(left, on=keys, how="full", coalesce=True).join(received, on=keys, how="full", coalesce=True)
    for column in SHIFT_WEEK_SCHEMA:
        if column not in table.columns:
            table = table.with_columns(pl.lit(None).alias(column))
    table = table.with_columns([pl.col(c).fill_null(0) for c in SHIFT_COUNTS])
    return table.select(list(SHIFT_WEEK_SCHEMA)).cast(SHIFT_WEEK_SCHEMA).sort(keys)


def agent_week_handovers(handovers: pl.DataFrame, keys: list[str] = KEYS) -> pl.DataFrame:
    """Per (period, shop, agent): `handovers_left` (rounds the agent left at a shift end),
    `handovers_answered` (handed-over rounds the agent answered: the incoming agent's figure) and
    `handover_answer_median_s` (the median on-duty seconds from the shift's start to those answers)."""
    agent = keys[2]
    left = handovers.filter(pl.col("left_by").is_not_null()).group_by(
        keys[0], keys[1], pl.col("left_by").alias(agent)).agg(pl.len().cast(pl.Int64).alias("handovers_left"))
    answered = handovers.filter((pl.col("status") == "answered") & pl.col("answered_by").is_not_null()).group_by(
        keys[0], keys[1], pl.col("answered_by").alias(agent)
    ).agg(
        pl.len().cast(pl.Int64).alias("handovers_answered"),
        pl.col("wait_after_shift_start_s").quantile(0.5, "linear").alias("handover_answer_median_s"),
    )
    return left.join(answered, on=keys, how="full", coalesce=True)
