"""Which partitions a run recomputes, and how far around them it must read.

A partition is (shop, ISO week). Every per-buyer row (sessions, rounds, flags, inquiries, order
attribution, scores) belongs to one: the week of the message, session start, window start or order
creation that places it. A partition is *stale* when new input touched it, or when the settings, the rule
set or the scorecard it was built with differ from the current ones; a run recomputes exactly the stale
ones (`full` targets) plus, in the neighbouring weeks, the buyers whose rows can depend on them
(`partial` targets): a session crossing Sunday midnight, an inquiry window reaching into the next week,
an order created in the next week that a window of this one holds.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from qc_pipeline.config import Config
from qc_pipeline.sessions.onduty import DutyCalendar

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)


def week_start(week: str) -> dt.datetime:
    """Monday 00:00 of an ISO week like 2026-W47 (shop-local, naive)."""
    year, number = week.split("-W")
    return dt.datetime.combine(dt.date.fromisocalendar(int(year), int(number), 1), dt.time())


def iso_week_of(moment: dt.datetime) -> str:
    year, number, _ = moment.isocalendar()
    return f"{year}-W{number:02d}"


def shift_week(week: str, weeks: int) -> str:
    return iso_week_of(week_start(week) + weeks * WEEK)


@dataclass(frozen=True)
class Reach:
    """How far the rows of a week can depend on input outside it, from the settings of one shop.

    `session_span`: wall-clock time that may hold less than the idle gap of on-duty time (off-duty hours
    do not count), so two messages further apart are surely in different sessions. `window`: how long an
    inquiry's window lasts. `margin`: how far outside its target weeks a buyer's messages are read;
    `reach`: how close to a week's edge a buyer's input must be to affect the neighbouring week.
    """

    session_span: dt.timedelta
    window: dt.timedelta
    # How long after a session a later one can still make it a reopened case (sessions.reopened_at).
    reopen: dt.timedelta = dt.timedelta(0)
    # How far after a promise its answer is looked for, and after an order's creation its reminders
    # (promises, payment_reminders): the service-standard clauses' look-ahead.
    standard: dt.timedelta = dt.timedelta(0)
    # How far after a round's first message its handover row looks (handovers): to the round's reply, or
    # to its session's end, which is never further than `session_span` past the session's last message.
    handover: dt.timedelta = dt.timedelta(0)

    @classmethod
    def of(cls, config: Config) -> "Reach":
        calendar = DutyCalendar.from_shifts(config.shifts)
        idle = config.idle_seconds
        on_duty_per_day = calendar.on_duty_per_day_us / 1_000_000
        # idle on-duty seconds can stretch over at most idle // on_duty_per_day + 1 off-duty nights.
        span = dt.timedelta(seconds=idle) + DAY * (int(idle // on_duty_per_day) + (0 if calendar.always_on else 1))
        return cls(session_span=span, window=DAY * int(config.conversion["window_days"]),
                   reopen=dt.timedelta(hours=config.reopen_hours),
                   standard=dt.timedelta(hours=max(config.promise_follow_hours, config.payment_close_hours)),
                   handover=span)

    @property
    def reach(self) -> dt.timedelta:
        # An inquiry's day starts up to a day before its first reply; its window then runs `window`.
        # A promise or an unpaid order depends on the buyer's messages up to `standard` after it (and
        # nothing before it), so input within `standard` of a week's start can change the previous week.
        # A handover row depends on its round's own session only: the reply, or the session's end.
        return max(self.session_span, self.window + DAY, self.reopen + self.session_span, self.standard,
                   self.handover)

    @property
    def margin(self) -> dt.timedelta:
        return self.reach + self.session_span


def neighbour_weeks(week: str, config: Config) -> list[str]:
    """The weeks whose rows can change when `week` changes, nearest first."""
    reach = Reach.of(config).reach
    n = max(1, -(-reach // WEEK))
    return [shift_week(week, d) for k in range(1, n + 1) for d in (-k, k)]


def uncertain_buyers(sessions: pl.DataFrame, requests: pl.DataFrame, reach: Reach) -> pl.DataFrame:
    """Buyers whose loaded messages may not hold every session their target rows depend on.

    Consecutive sessions of a buyer are separated by at least the idle gap, so each session start after
    the first is a sure boundary, and so is the first one when it lies a whole `session_span` after the
    start of what was read (nothing unread can belong to it). A buyer is certain at the low end when a sure
    boundary comes at or before `target_lo - reach`, or when nothing was read before that; likewise at the
    high end. `requests` has (shop, buyer, lo, hi, target_lo, target_hi); returns the uncertain ones with
    `need_lo` / `need_hi` flags.
    """
    if sessions.is_empty():
        return requests.head(0).with_columns(pl.lit(False).alias("need_lo"), pl.lit(False).alias("need_hi"))
    s = sessions.select("shop", "buyer", "started_at", "ended_at").sort("shop", "buyer", "started_at")
    per_buyer = s.group_by("shop", "buyer").agg(
        pl.col("started_at").first().alias("first_at"),
        pl.col("started_at").slice(1, 1).first().alias("second_start"),
        pl.col("ended_at").last().alias("last_at"),
        pl.col("ended_at").slice(-2, 1).first().alias("penultimate_end"),
    )
    joined = requests.join(per_buyer, on=["shop", "buyer"], how="inner")
    span = reach.session_span
    low = pl.col("target_lo") - reach.reach     # rows from here on must come out exact
    high = pl.col("target_hi") + reach.reach
    low_boundary = pl.when(pl.col("first_at") - pl.col("lo") >= span).then(pl.col("first_at")).otherwise(
        pl.col("second_start"))
    need_lo = (pl.col("first_at") < low) & (low_boundary.is_null() | (low_boundary > low))
    high_boundary = pl.when(pl.col("hi") - pl.col("last_at") >= span).then(pl.col("last_at")).otherwise(
        pl.col("penultimate_end"))
    need_hi = (pl.col("last_at") > high) & (high_boundary.is_null() | (high_boundary < high))
    return (
        joined.with_columns(need_lo.fill_null(True).alias("need_lo"), need_hi.fill_null(True).alias("need_hi"))
        .filter(pl.col("need_lo") | pl.col("need_hi"))
        .select(*requests.columns, "need_lo", "need_hi")
    )


# Calendar months (agent_month). A month's rows are the per-buyer rows whose time falls in it, and every
# such row lies in one of the ISO weeks the month overlaps (a row's week is that of the same time). So a
# month is recomputed whenever any week it overlaps is rebuilt, from all the rows of those weeks: this is
# the one place that rule is stated (`months_of_weeks`, used by the conductor after every rebuild).

def month_of(moment: dt.datetime | dt.date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def week_months(week: str) -> list[str]:
    """The calendar months the seven days of an ISO week fall in (two for a week that straddles)."""
    start = week_start(week)
    return sorted({month_of(start), month_of(start + 6 * DAY)})


def month_weeks(month: str) -> list[str]:
    """Every ISO week holding a day of `month` ('YYYY-MM'), in order: 4 to 6 of them."""
    year, number = (int(x) for x in month.split("-"))
    day = dt.date(year, number, 1)
    weeks = []
    while day.month == number:
        week = iso_week_of(dt.datetime.combine(day, dt.time()))
        if week not in weeks:
            weeks.append(week)
        day += DAY
    return weeks


def months_of_weeks(weeks: pl.DataFrame) -> pl.DataFrame:
    """(shop, month, week): for every month a rebuilt (shop, week) overlaps, each of that month's weeks,
    i.e. the partitions its agent_month rows are computed from."""
    months = {(shop, m) for shop, week in weeks.select("shop", "week").unique().iter_rows() for m in week_months(week)}
    rows = [(shop, m, w) for shop, m in sorted(months) for w in month_weeks(m)]
    return pl.DataFrame(rows, schema={"shop": pl.Utf8, "month": pl.Utf8, "week": pl.Utf8}, orient="row")
