"""Auto-reply hygiene (自动回复限时活动结束后要第一时间更换掉): table `stale_auto_replies`.

One row per auto-reply message that still announces a sales event or a closing date that had passed when
it was sent. The wording is data (`auto_reply_dates.toml`): named events with their last day, and
patterns that read an explicit date (截止11月20日, 11月20日前). Shops run the same few canned texts
thousands of times, so each distinct text is read once and the verdicts joined back to the messages.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.lexicon import Entry, parse_lexicons
from qc_pipeline.metrics.rounds import iso_week

STALE_SCHEMA = {
    "msg_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "agent": pl.Utf8, "sent_at": pl.Datetime("us"),
    "text": pl.Utf8, "lexicon_id": pl.Utf8, "announced_end": pl.Date, "week": pl.Utf8,
}
# A closing date more than this many days from the reply is read in the neighbouring year: after it (截止12月31日
# sent on 3 January), last year's; before it (截止1月3日 sent on 20 December), next year's.
_OTHER_YEAR_DAYS = 183


@dataclass(frozen=True)
class AutoReplyDates:
    events: tuple[Entry, ...]
    until: tuple[Entry, ...]


def _month_day(text: str, at: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", text)
    try:
        if not m:
            raise ValueError(text)
        dt.date(2024, int(m[1]), int(m[2]))  # a leap year, so that 02-29 is a day
    except ValueError:
        raise UserError(f"{at}: 'ends' must be a day like \"11-11\" (MM-DD), got {text!r}") from None
    return int(m[1]), int(m[2])


def parse_auto_reply_dates(text: str, where: str) -> AutoReplyDates:
    found = parse_lexicons(text, where, ("event", "until"), extra_keys={"event": ("ends",)})
    for i, entry in enumerate(found["event"]):
        _month_day(entry.get("ends"), f"{where}: event[{i}]")
    for i, entry in enumerate(found["until"]):
        if not {"month", "day"} <= set(re.compile(entry.pattern).groupindex):
            raise UserError(f"{where}: until[{i}]: the pattern needs the named groups month and day")
    return AutoReplyDates(events=found["event"], until=found["until"])


@lru_cache(maxsize=1)
def auto_reply_dates() -> AutoReplyDates:
    text = resources.files("qc_pipeline.standard").joinpath("auto_reply_dates.toml").read_text(encoding="utf-8")
    return parse_auto_reply_dates(text, "auto_reply_dates.toml")


def _event_end(entry: Entry, sent: dt.date) -> dt.date | None:
    month, day = _month_day(entry.get("ends"), entry.id)
    try:
        return dt.date(sent.year, month, day)
    except ValueError:  # 02-29 outside a leap year
        return dt.date(sent.year, month, 28)


def _until_end(match: re.Match, sent: dt.date) -> dt.date | None:
    try:
        end = dt.date(sent.year, int(match["month"]), int(match["day"]))
    except ValueError:  # 13月 or 2月30日: not a date
        return None
    shift = -1 if (end - sent).days > _OTHER_YEAR_DAYS else 1 if (sent - end).days > _OTHER_YEAR_DAYS else 0
    if shift:
        try:
            end = end.replace(year=end.year + shift)
        except ValueError:  # 2月29日 read in a year without one
            end = dt.date(end.year + shift, 2, 28)
    return end


def stale_verdict(text: str, sent: dt.date, dates: AutoReplyDates) -> tuple[str, dt.date] | None:
    """(lexicon id, the announced last day) when `text`, sent on `sent`, announces a day that had passed."""
    for entry in dates.events:
        if re.search(entry.pattern, text):
            end = _event_end(entry, sent)
            if end is not None and sent > end:
                return entry.id, end
    for entry in dates.until:
        for match in re.finditer(entry.pattern, text):
            end = _until_end(match, sent)
            if end is not None and sent > end:
                return entry.id, end
    return None


def stale_auto_replies_table(messages: pl.DataFrame, texts: pl.DataFrame, dates: AutoReplyDates) -> pl.DataFrame:
    """`messages` (msg_id, shop, buyer, agent, role, sent_at) and their `texts` (msg_id, text): the stale
    auto-replies among them. The day compared is the shop-local day the reply was sent."""
    auto = (
        messages.filter(pl.col("role") == "auto")
        .select("msg_id", "shop", "buyer", "agent", "sent_at")
        .join(texts.select("msg_id", "text"), on="msg_id", how="inner")
        .with_columns(pl.col("sent_at").dt.date().alias("_day"))
    )
    if auto.is_empty():
        return pl.DataFrame(schema=STALE_SCHEMA)
    verdicts = []
    for text, day in auto.select("text", "_day").unique().iter_rows():
        found = stale_verdict(text or "", day, dates)
        if found is not None:
            verdicts.append((text, day, found[0], found[1]))
    if not verdicts:
        return pl.DataFrame(schema=STALE_SCHEMA)
    judged = pl.DataFrame(verdicts, schema={"text": pl.Utf8, "_day": pl.Date, "lexicon_id": pl.Utf8,
                                            "announced_end": pl.Date}, orient="row")
    return (
        auto.join(judged, on=["text", "_day"], how="inner")
        .with_columns(iso_week("sent_at").alias("week"))
        .select(list(STALE_SCHEMA))
        .cast(STALE_SCHEMA)
    )
