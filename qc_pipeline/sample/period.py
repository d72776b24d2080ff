"""The sample's calendar: which days it covers and how times are written."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# The shipped shifts keep the shop on duty from 08:30 to 00:30 the next day without a break. Two times
# of the same duty day are therefore on duty for every second between them, and their wall-clock
# difference is their on-duty difference: ordinary conversations are planned inside one duty day.
DUTY_DAY_START = dt.time(8, 30)
DUTY_DAY_END = dt.time(0, 30)


def fmt(t: dt.datetime | None) -> str | None:
    return None if t is None else t.strftime(TIME_FORMAT)


def iso_week(t: dt.datetime) -> str:
    year, week, _ = t.isocalendar()
    return f"{year}-W{week:02d}"


def duty_day(t: dt.datetime) -> dt.date | None:
    """The date whose 08:30 opened the duty period holding `t`, or None when `t` is off duty."""
    if t.time() >= DUTY_DAY_START:
        return t.date()
    if t.time() < DUTY_DAY_END:
        return t.date() - dt.timedelta(days=1)
    return None


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    n_days: int

    @classmethod
    def ending(cls, end_week: str, weeks: int) -> "Period":
        m = re.fullmatch(r"(\d{4})-W(\d{2})", end_week)
        if not m:
            raise ValueError(f"end_week must look like 2026-W47, got {end_week!r}")
        if weeks < 1:
            raise ValueError("weeks must be at least 1")
        last_monday = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return cls(last_monday - dt.timedelta(days=7 * (weeks - 1)), 7 * weeks)

    @property
    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(self.n_days)]

    @property
    def end(self) -> dt.datetime:
        """The last second of the period (Sunday 23:59:59)."""
        return dt.datetime.combine(self.days[-1], dt.time(23, 59, 59))

    @property
    def weeks(self) -> list[str]:
        return sorted({iso_week(dt.datetime.combine(d, dt.time())) for d in self.days})

    def at(self, day_index: int, clock: str) -> dt.datetime:
        """`clock` ("HH:MM:SS") on day `day_index`, counted from the first Monday and wrapped into the
        period, so that a planted case still lands inside a one-week sample."""
        day = self.first_day + dt.timedelta(days=day_index % self.n_days)
        return dt.datetime.combine(day, dt.time.fromisoformat(clock))
