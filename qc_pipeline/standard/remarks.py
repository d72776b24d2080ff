"""Order remarks (备注格式：内容—客服名—时间；不允许修改他人备注): table `order_remarks`.

Every line of an order's 订单备注 is one remark. It is well formed when, read from its end, it holds a time
(remarks.toml [[time]]), before it the name of an agent of the order's shop in the roster (the roster's
name, the sub-account's part after the colon, or the whole sub-account), and before that some content,
the parts apart by separators ([[separator]]). Otherwise it is malformed, and `problem` says what is
missing: no time, an impossible date, no name, a name not in the roster, no content. A shop without any
roster entry cannot have its names checked: its remarks are judged on the rest, with `agent` unknown.

Every export of an order keeps its own 订单备注 (order_versions). A remark is *overwritten* when some
export of the order lacks it but holds a remark another agent wrote after it: that agent removed or
replaced it. This reads the set of versions, never the order the files were loaded in, so loading the
exports in any order gives the same rows. Each distinct (order, line) is one row; `still_on_order`
tells whether the order's current row (orders) still holds it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.lexicon import Entry, alternation, parse_lexicons

REMARK_SCHEMA = {
    "order_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "created_at": pl.Datetime("us"),
    "line": pl.Utf8, "content": pl.Utf8, "agent_name": pl.Utf8, "agent": pl.Utf8,
    "written_at": pl.Datetime("us"), "time_id": pl.Utf8, "status": pl.Utf8, "problem": pl.Utf8,
    "still_on_order": pl.Boolean, "overwritten_by": pl.Utf8, "overwritten_at": pl.Datetime("us"), "week": pl.Utf8,
}
# The columns a remark version needs: one row per order and distinct 订单备注 among its exports.
VERSION_SCHEMA = {"order_id": pl.Utf8, "remark": pl.Utf8}
# A name is a short run of anything but separators; a longer last segment is content, not a name.
NAME_MAX_CHARS = 16
# A date written without its year is read in the year nearest the order's creation.
_HALF_YEAR_DAYS = 183
_TIME_GROUPS = ("year", "month", "day", "hour", "minute")
# Stands for a run of separators while the name is looked for (a control character no remark holds).
_MARK = "\x1f"
# Line breaks of every platform: a remark typed on a phone or pasted from a document may carry any of them.
_LINE_BREAK = "\r\n?|[\u2028\u2029]"
# Read on a copy in which full-width digits and colons are ASCII (１４：３０ is 14:30); each is one
# character, so a position in the copy is the same position in the line, which is kept verbatim.
_FULL_WIDTH = [chr(0xFF10 + d) for d in range(10)] + ["："]
_HALF_WIDTH = [str(d) for d in range(10)] + [":"]
# Closing punctuation after the time (…—小雅—11.15。) is not part of it.
_CLOSING = "。．.！!"


@dataclass(frozen=True)
class RemarkFormat:
    separator: tuple[Entry, ...]
    time: tuple[Entry, ...]

    @property
    def separator_pattern(self) -> str:
        return alternation(self.separator)


def parse_remark_format(text: str, where: str) -> RemarkFormat:
    found = parse_lexicons(text, where, ("separator", "time"))
    for i, entry in enumerate(found["time"]):
        groups = set(re.compile(entry.pattern).groupindex)
        if not {"month", "day"} <= groups:
            raise UserError(f"{where}: time[{i}]: the pattern needs the named groups month and day")
        unknown = sorted(groups - set(_TIME_GROUPS))
        if unknown:
            raise UserError(f"{where}: time[{i}]: unknown named group '{unknown[0]}' "
                            f"(expected {', '.join(_TIME_GROUPS)})")
    return RemarkFormat(separator=found["separator"], time=found["time"])


@lru_cache(maxsize=1)
def remark_format() -> RemarkFormat:
    text = resources.files("qc_pipeline.standard").joinpath("remarks.toml").read_text(encoding="utf-8")
    return parse_remark_format(text, "remarks.toml")


def _lines(versions: pl.DataFrame) -> pl.DataFrame:
    """(order_id, remark, line): the non-empty lines of each version, stripped of surrounding spaces."""
    return (
        versions.filter(pl.col("remark").is_not_null())
        .with_columns(pl.col("remark").str.replace_all(_LINE_BREAK, "\n").str.split("\n").alias("line"))
        .explode("line")
        .with_columns(pl.col("line").str.strip_chars())
        .filter(pl.col("line").is_not_null() & (pl.col("line") != ""))
        .select("order_id", "remark", "line")
    )


def _read_time(lines: pl.DataFrame, fmt: RemarkFormat) -> pl.DataFrame:
    """`_rest` (`_text` before its time and the separators in front of it), the time's parts and the id
    of the [[time]] entry that read them; a line with no time keeps `_rest` = the whole of `_text`."""
    sep = f"(?:{fmt.separator_pattern})"
    found = []
    for entry in fmt.time:
        # The leftmost match, so the time read is the longest the pattern allows at the end of the line
        # (no lazy prefix: the regex engine finds the match fast and captures only within it).
        pattern = rf"(?P<_match>(?:{sep}+|^)(?P<_time>{entry.pattern})\s*$)"
        groups = re.compile(pattern).groupindex
        parts = pl.col("_text").str.extract_groups(pattern)
        found.append((entry.id, parts, groups))
    # The match runs to the end of the line, so what precedes it is the line without that suffix.
    rest = pl.coalesce([pl.when(p.struct.field("_match").is_not_null())
                        .then(pl.col("_text").str.strip_suffix(p.struct.field("_match")))
                        for _, p, _ in found] + [pl.col("_text")])
    matched = pl.coalesce([pl.when(p.struct.field("_time").is_not_null()).then(pl.lit(i))
                           for i, p, _ in found])
    columns = [rest.alias("_rest"), matched.alias("time_id")]
    for name in _TIME_GROUPS:
        options = [p.struct.field(name).cast(pl.Int32, strict=False) if name in g else pl.lit(None, pl.Int32)
                   for _, p, g in found]
        # The group of the entry that matched: the first entry with a time wins, like `matched`.
        value = pl.coalesce([pl.when(p.struct.field("_time").is_not_null()).then(o)
                             for (_, p, _), o in zip(found, options)])
        columns.append(value.alias(f"_{name}"))
    return lines.with_columns(columns)


def _written_at(created: pl.Expr) -> pl.Expr:
    """The remark's time from its parts; a year-less date is put in the year nearest `created`; an
    impossible date (13月, 2月30日, 25点) is null."""
    def text(year: pl.Expr) -> pl.Expr:
        return pl.format("{}-{}-{} {}:{}", year, pl.col("_month"), pl.col("_day"),
                         pl.col("_hour").fill_null(0), pl.col("_minute").fill_null(0))

    def parse(year: pl.Expr) -> pl.Expr:
        return text(year).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False)

    year = created.dt.year()
    same = parse(year)
    half = pl.duration(days=_HALF_YEAR_DAYS)
    guessed = (
        pl.when(same < created - half).then(parse(year + 1))
        .when(same > created + half).then(parse(year - 1))
        .otherwise(same)
    )
    return pl.when(pl.col("_year").is_not_null()).then(parse(pl.col("_year"))).otherwise(guessed)


def _split_name(fmt: RemarkFormat) -> tuple[pl.Expr, pl.Expr]:
    """(content, last segment) of `_rest`: the segment after its last separator (null when there is none
    or it is too long to be a name) and what comes before it."""
    runs = f"(?:{fmt.separator_pattern})+"
    # Each run of separators becomes one marker, so the last segment is what follows the last marker.
    marked = pl.col("_rest").str.replace_all(_MARK, "", literal=True).str.replace_all(runs, _MARK)
    name = marked.str.extract(f"{_MARK}([^{_MARK}]{{1,{NAME_MAX_CHARS}}})$", 1)
    content = pl.col("_rest").str.strip_suffix(name).str.replace(f"{runs}$", "")
    return pl.when(name.is_not_null()).then(content), name


def roster_names(roster: pl.DataFrame) -> pl.DataFrame:
    """(shop, alias, agent): each way a remark may name an agent of a shop: the roster's name, the
    sub-account's part after the colon, the whole sub-account. An alias two agents share names the first."""
    agents = roster.filter(pl.col("agent").str.contains(":")).select(
        pl.col("agent").str.split_exact(":", 1).struct.field("field_0").alias("shop"),
        "agent",
        pl.col("agent").str.split_exact(":", 1).struct.field("field_1").alias("_short"),
        pl.col("name") if "name" in roster.columns else pl.lit(None, pl.Utf8).alias("name"),
    )
    aliases = pl.concat([
        agents.select("shop", pl.col("name").alias("alias"), "agent"),
        agents.select("shop", pl.col("_short").alias("alias"), "agent"),
        agents.select("shop", pl.col("agent").alias("alias"), "agent"),
    ]).filter(pl.col("alias").is_not_null() & (pl.col("alias").str.strip_chars() != ""))
    return aliases.sort("shop", "alias", "agent").unique(["shop", "alias"], keep="first", maintain_order=True)


def _problem(has_roster: pl.Expr) -> pl.Expr:
    no_name = pl.col("agent_name").is_null()
    return pl.concat_str([
        pl.when(pl.col("time_id").is_null()).then(pl.lit("no time")),
        pl.when(pl.col("time_id").is_not_null() & pl.col("written_at").is_null()).then(pl.lit("impossible date")),
        pl.when(no_name).then(pl.lit("no agent name")),
        pl.when(~no_name & has_roster & pl.col("agent").is_null()).then(pl.lit("agent not in roster")),
        pl.when(pl.col("content").is_null() | (pl.col("content").str.strip_chars() == "")).then(pl.lit("no content")),
    ], separator="; ", ignore_nulls=True)


def _as_written(prefix: str) -> pl.Expr:
    """``prefix`` (a prefix of the parse copy `_text`) as the line writes it: the copy changes characters
    one for one, so the prefix of the line of the same length."""
    return pl.col("line").str.slice(0, pl.col(prefix).str.len_chars())


def _parsed(lines: pl.DataFrame, orders: pl.DataFrame, roster: pl.DataFrame, fmt: RemarkFormat) -> pl.DataFrame:
    """Each distinct (order, line) read into its parts, the name matched to the roster."""
    distinct = lines.select("order_id", "line").unique().join(
        orders.select("order_id", "shop", "buyer", "created_at"), on="order_id", how="inner")
    text = pl.col("line").str.replace_many(_FULL_WIDTH, _HALF_WIDTH).str.strip_chars_end(_CLOSING).str.strip_chars()
    timed = _read_time(distinct.with_columns(text.alias("_text")), fmt)
    content, name = _split_name(fmt)
    names = roster_names(roster)
    timed = timed.with_columns(content.alias("_content"), name.alias("_name"), _written_at(pl.col("created_at"))
                               .alias("written_at"))
    timed = timed.with_columns(_as_written("_rest").alias("_rest_verbatim"), _as_written("_content").alias("_content"))
    # A rest without separators is the name alone when it is an agent's (小雅—11.15), else the content.
    rest_alias = timed.select("shop", pl.col("_rest").alias("alias")).join(names, on=["shop", "alias"], how="semi")
    timed = timed.join(rest_alias.unique().with_columns(pl.lit(True).alias("_rest_is_name")),
                       left_on=["shop", "_rest"], right_on=["shop", "alias"], how="left")
    rest_is_name = pl.col("_name").is_null() & pl.col("_rest_is_name").fill_null(False)
    timed = timed.with_columns(
        pl.when(rest_is_name).then(pl.lit("")).when(pl.col("_name").is_null()).then(pl.col("_rest_verbatim"))
        .otherwise(pl.col("_content")).alias("content"),
        pl.when(rest_is_name).then(pl.col("_rest")).otherwise(pl.col("_name")).alias("agent_name"),
    )
    timed = timed.join(names, left_on=["shop", "agent_name"], right_on=["shop", "alias"], how="left")
    has_roster = pl.col("shop").is_in(names["shop"].unique().implode())
    problem = _problem(has_roster)
    return timed.with_columns(
        pl.when(problem == "").then(None).otherwise(problem).alias("problem"),
    ).with_columns(
        pl.when(pl.col("problem").is_null()).then(pl.lit("ok")).otherwise(pl.lit("malformed")).alias("status"),
    )


def _later(at: str, by_at: str, day_only: str, by_day_only: str, still: str, by_still: str) -> pl.Expr:
    """Whether the remark at `by_at` was written after the one at `at`. A time written without its hour
    says only the day, so two remarks are compared at the coarser of their precisions; on the same day
    the later is the one the order still holds while the other is gone."""
    coarse = pl.col(day_only) | pl.col(by_day_only)
    day, by_day = pl.col(at).dt.date(), pl.col(by_at).dt.date()
    return (pl.when(coarse)
            .then((by_day > day) | ((by_day == day) & pl.col(by_still) & ~pl.col(still)))
            .otherwise(pl.col(by_at) > pl.col(at)))


def _overwrites(lines: pl.DataFrame, parsed: pl.DataFrame) -> pl.DataFrame:
    """(order_id, line, overwritten_by, overwritten_at): for a remark some version lacks while holding a
    later remark by another author, the first such remark of the earliest such version. A remark that
    shares a version with it was added beside it, not in its place, so it never counts."""
    # Only an order with several versions can lack in one what another holds.
    several = lines.select("order_id", "remark").unique().group_by("order_id").len().filter(pl.col("len") > 1)
    lines = lines.join(several, on="order_id", how="semi")
    parsed = parsed.join(several, on="order_id", how="semi")
    author = pl.coalesce("agent", "agent_name")
    rows = parsed.select("order_id", "line", author.alias("_author"), "written_at",
                         pl.col("_hour").is_null().alias("_day_only"), "still_on_order")
    dated = rows.filter(pl.col("_author").is_not_null() & pl.col("written_at").is_not_null())
    versions = lines.select("order_id", "remark").unique()
    missing = dated.join(versions, on="order_id").join(
        lines.select("order_id", "remark", "line"), on=["order_id", "remark", "line"], how="anti")
    by = dated.select("order_id", pl.col("line").alias("_by_line"), pl.col("_author").alias("_by"),
                      pl.col("written_at").alias("_by_at"), pl.col("_day_only").alias("_by_day_only"),
                      pl.col("still_on_order").alias("_by_still"))
    later = missing.join(
        lines.select("order_id", "remark", pl.col("line").alias("_by_line")).join(by, on=["order_id", "_by_line"]),
        on=["order_id", "remark"],
    ).filter(_later("written_at", "_by_at", "_day_only", "_by_day_only", "still_on_order", "_by_still")
             & (pl.col("_by") != pl.col("_author")))
    together = lines.join(lines.select("order_id", "remark", pl.col("line").alias("_by_line")),
                          on=["order_id", "remark"]).select("order_id", "line", "_by_line").unique()
    later = later.join(together, on=["order_id", "line", "_by_line"], how="anti")
    return (
        later.sort("order_id", "line", "_by_at", "_by")
        .group_by("order_id", "line", maintain_order=True)
        .agg(pl.col("_by").first().alias("overwritten_by"), pl.col("_by_at").first().alias("overwritten_at"))
    )


def order_remarks_table(orders: pl.DataFrame, versions: pl.DataFrame | None, roster: pl.DataFrame,
                        fmt: RemarkFormat, week: pl.Expr) -> pl.DataFrame:
    """One row per distinct remark line of `orders` (order_id, shop, buyer, created_at, paid_at, remark:
    the current row) over all `versions` (order_id, remark: every export's 订单备注; None: only the
    current one); `roster` (agent, name); `week` places the row in its order's partition."""
    if "remark" not in orders.columns:
        orders = orders.with_columns(pl.lit(None, pl.Utf8).alias("remark"))
    current = orders.select("order_id", "remark")
    versions = current if versions is None else pl.concat([versions.select(list(VERSION_SCHEMA)).cast(VERSION_SCHEMA),
                                                           current.cast(VERSION_SCHEMA)])
    versions = versions.join(orders.select("order_id"), on="order_id", how="semi").unique()
    lines = _lines(versions)
    if lines.is_empty():
        return pl.DataFrame(schema=REMARK_SCHEMA)
    parsed = _parsed(lines, orders, roster, fmt)
    now = _lines(current).select("order_id", "line").unique().with_columns(pl.lit(True).alias("still_on_order"))
    placed = orders.select("order_id", week.alias("week"))
    parsed = parsed.join(now, on=["order_id", "line"], how="left").with_columns(
        pl.col("still_on_order").fill_null(False))
    return (
        parsed.join(_overwrites(lines, parsed), on=["order_id", "line"], how="left")
        .join(placed, on="order_id", how="left")
        .select(list(REMARK_SCHEMA)).cast(REMARK_SCHEMA)
        .sort("shop", "order_id", "written_at", "line", nulls_last=True)
    )
