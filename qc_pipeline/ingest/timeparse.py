"""Reading message and order times, vectorised.

Accepted: ``YYYY-MM-DD HH:MM:SS`` with ``-``, ``/`` or ``年月日`` between the date parts, one-digit
parts, ``T`` or spaces between date and time, ``H:MM`` (seconds 0), fractional seconds, an ISO offset
(``Z``, ``+08:00``, ``+0800``, ``+08``), and native datetimes. A time without an offset is shop-local; one
with an offset is converted to shop-local. The result is a naive shop-local ``Datetime("us")``, null
where the text is not a date and a time: such rows are quarantined by the caller, never guessed.
A second 60 (leap seconds never appear in chat exports) and an offset with more than 23 hours or 59
minutes (``+99:99``) are not a time either.

A readable time outside the accepted window (``TimeWindow``, ``[ingest] time_window_start`` and
``time_window_end``) is quarantined too: year 1 or 9999 is an exporter's placeholder, never a message,
and dates that far out overflow the week arithmetic of the reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

# Most exports use this exact form; it is tried over the whole column first and the general
# pattern only runs on what it could not read.
_FAST = "%Y-%m-%d %H:%M:%S"
_GENERAL = (
    r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})(?:日\s*|\s*T\s*|\s+)"
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
UNIT = "us"
# An ISO 8601 offset has hours 00-23 and minutes 00-59 (real zones span -12:00 to +14:00, but any
# well-formed offset is read as written).
_MAX_OFFSET_HOURS = 23
# The general form, for telling whether a line of a damaged table holds a time (see pieces.py).
GENERAL_PATTERN = _GENERAL


def parse_times(values: pl.Series, timezone: str) -> pl.Series:
    """Shop-local naive datetimes for ``values`` (strings or datetimes); null where unreadable."""
    if values.dtype != pl.Utf8:
        return native(values, timezone)
    return complete(values.to_frame().select(fast(values.name)).to_series(), values, timezone)


def native(values: pl.Series, timezone: str) -> pl.Series:
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            values = values.dt.convert_time_zone(timezone).dt.replace_time_zone(None)
        return values.cast(pl.Datetime(UNIT))
    # A bare date (or a number) is not a date and a time.
    return pl.Series(values.name, [None] * len(values), dtype=pl.Datetime(UNIT))


def fast(column: str) -> pl.Expr:
    """The common exact form, as an expression that can run beside others; see ``complete``."""
    return pl.col(column).str.to_datetime(_FAST, strict=False, exact=True, time_unit=UNIT)


def complete(parsed: pl.Series, values: pl.Series, timezone: str) -> pl.Series:
    """``parsed`` (from ``fast``) with the values the exact form could not read tried in every other form."""
    parsed = _without_second_60(parsed, values)
    missing = parsed.is_null() & values.is_not_null()
    if missing.any():
        where = missing.arg_true()
        parsed = parsed.scatter(where, _general(values.gather(where).str.strip_chars(), timezone))
    return parsed


def _without_second_60(parsed: pl.Series, values: pl.Series) -> pl.Series:
    """The exact form reads second 60 as the next minute; such values are left for ``_general``, which
    refuses them. Only times read as second 0 can be one, so the text of just those is looked at."""
    candidates = (parsed.dt.second() == 0).fill_null(False)
    if not candidates.any():
        return parsed
    where = candidates.arg_true()
    leap = values.gather(where).str.contains(r":60\s*$").fill_null(False)
    if not leap.any():
        return parsed
    return parsed.scatter(where.filter(leap), None)


def _general(text: pl.Series, timezone: str) -> pl.Series:
    parts = text.str.extract_groups(_GENERAL).struct.rename_fields(
        ["y", "mo", "d", "h", "mi", "s", "frac", "offset"]
    )
    frame = pl.DataFrame({"p": parts}).unnest("p")
    local = pl.concat_str(
        [
            pl.col("y"), pl.lit("-"), pl.col("mo"), pl.lit("-"), pl.col("d"), pl.lit(" "),
            pl.col("h"), pl.lit(":"), pl.col("mi"), pl.lit(":"), pl.col("s").fill_null("00"),
            pl.when(pl.col("frac").is_not_null()).then(pl.lit(".") + pl.col("frac")).otherwise(pl.lit("")),
        ]
    ).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit=UNIT)
    offset = pl.col("offset").str.replace_all(":", "")
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    minutes = sign * (
        offset.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
        + offset.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    )
    minutes = pl.when(offset.str.to_uppercase() == "Z").then(0).otherwise(minutes)
    possible = (
        (pl.col("s").cast(pl.Int64, strict=False).fill_null(0) <= 59)
        & (
            pl.col("offset").is_null()
            | (offset.str.to_uppercase() == "Z")
            | (
                (offset.str.slice(1, 2).cast(pl.Int64, strict=False) <= _MAX_OFFSET_HOURS)
                & (offset.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0) <= 59)
            )
        )
    )
    shifted = (
        (local - pl.duration(minutes=minutes))
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone)
        .dt.replace_time_zone(None)
    )
    return frame.select(
        pl.when(~possible).then(None)
        .when(pl.col("offset").is_null()).then(local)
        .otherwise(shifted)
        .cast(pl.Datetime(UNIT))
    ).to_series()


@dataclass(frozen=True)
class TimeWindow:
    """The accepted range of message and order times, half-open [start, end), shop-local."""

    start: dt.datetime
    end: dt.datetime

    @property
    def reason(self) -> str:
        return f"time outside the accepted window {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def outside(self, column: str) -> pl.Expr:
        """True where the (parsed, shop-local) time in ``column`` is outside; null where it is null."""
        value = pl.col(column)
        return (value < pl.lit(self.start, pl.Datetime(UNIT))) | (value >= pl.lit(self.end, pl.Datetime(UNIT)))

