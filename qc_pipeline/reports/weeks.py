"""ISO week labels like 2026-W47 (Monday start, shop-local), as the warehouse writes them."""
from __future__ import annotations

import datetime as dt
import re

from qc_pipeline.errors import UserError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int] | None:
    m = _WEEK.match(week or "")
    if not m:
        return None
    year, num = int(m[1]), int(m[2])
    try:
        dt.date.fromisocalendar(year, num, 1)
    except ValueError:
        return None
    return year, num


def check_week(week: str, option: str = "--week") -> str:
    """`week` when it is a real ISO week (2026-W99 and 2025-W53 are not), else the one-line error."""
    if parse_week(week) is None:
        raise UserError(f"{option} {week!r}: expected an ISO week like 2026-W47")
    return week


def unknown_week(week: str, held: list[str], option: str = "--week") -> UserError:
    """One wording for a week the warehouse does not hold, wherever it is asked for."""
    return UserError(f"{option} {week}: not in the warehouse (it holds {', '.join(held) or 'no weeks'})")


def week_label(day: dt.date) -> str:
    year, num, _ = day.isocalendar()
    return f"{year}-W{num:02d}"


def week_days(week: str) -> list[dt.date]:
    year, num = parse_week(week)
    monday = dt.date.fromisocalendar(year, num, 1)
    return [monday + dt.timedelta(days=i) for i in range(7)]


def previous_week(week: str) -> str:
    """The ISO week before, across year ends and 53-week years (2021-W01 -> 2020-W53)."""
    return week_label(week_days(week)[0] - dt.timedelta(days=7))
