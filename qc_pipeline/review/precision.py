"""How often each rule is right, what the rules miss, and whether reviewers agree.

- precision of a rule: confirmed ÷ reviewed over its flags that a QC specialist judged (each flag counted
  once, by its latest review), with a 95 % Wilson score interval;
- miss rate of a category: the share of sampled *unflagged* sessions in which a reviewer found a
  violation of it (each session by its latest review), with its interval, and the number of unflagged
  sessions it stands for (each agent-week's rate times the size of its unflagged stratum);
- Cohen's kappa per category for every pair of reviewers who judged the same items.
Appeals are left out of all three: an agent appeals the flags they dispute, which is no random sample.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import duckdb
import polars as pl

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion (None, None when nothing was observed)."""
    if n <= 0:
        return None, None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels of the same items (None when chance agreement is certain)."""
    if not a or len(a) != len(b):
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    labels = set(a) | set(b)
    expected = sum((a.count(k) / n) * (b.count(k) / n) for k in labels)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def window(con: duckdb.DuckDBPyConnection, weeks: int, end_week: str | None = None) -> list[str]:
    """The last `weeks` ISO weeks the warehouse holds, ending at `end_week` (the latest by default)."""
    held = [r[0] for r in con.execute("SELECT DISTINCT week FROM agent_week ORDER BY week").fetchall()]
    if end_week is not None:
        held = [w for w in held if w <= end_week]
    return held[-weeks:]


def _latest(con: duckdb.DuckDBPyConnection, item: str, weeks: list[str]) -> pl.DataFrame:
    """Each item's latest review (kind review) in the weeks."""
    _weeks = pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow()  # noqa: F841 (read by name)
    key = "flag_id" if item == "flag" else "session_id"
    return con.sql(f"""
        SELECT * EXCLUDE (n) FROM (
            SELECT r.*, row_number() OVER (PARTITION BY r.{key} ORDER BY r."at" DESC, r.review_id DESC) AS n
            FROM reviews r SEMI JOIN _weeks w ON r.week = w.week
            WHERE r.kind = 'review' AND r.item = '{item}') WHERE n = 1""").pl()


def rule_precision(con: duckdb.DuckDBPyConnection, weeks: list[str], threshold: float, min_reviewed: int,
                   rules: dict[str, str] | None = None) -> pl.DataFrame:
    """One row per rule with flags or reviews in the weeks: flags, reviewed, confirmed, precision, its
    interval (precision_lo, precision_hi) and needs_tuning. `rules` (id -> category) adds rules never
    reviewed."""
    _weeks = pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow()  # noqa: F841 (read by name)
    flagged = con.sql("""SELECT rule_id, any_value(category) AS category, count(*) AS flags FROM flags
                         SEMI JOIN _weeks USING (week) GROUP BY rule_id""").pl()
    judged = _latest(con, "flag", weeks).group_by("rule_id").agg(
        pl.col("category").first().alias("_category"),
        pl.len().cast(pl.Int64).alias("reviewed"),
        (pl.col("verdict") == "confirmed").sum().cast(pl.Int64).alias("confirmed"))
    known = pl.DataFrame({"rule_id": list((rules or {}).keys()), "_rule_category": list((rules or {}).values())},
                         schema={"rule_id": pl.Utf8, "_rule_category": pl.Utf8})
    table = flagged.join(judged, on="rule_id", how="full", coalesce=True).join(known, on="rule_id", how="full",
                                                                              coalesce=True)
    table = table.with_columns(
        pl.coalesce("category", "_category", "_rule_category").alias("category"),
        pl.col("flags").fill_null(0).cast(pl.Int64), pl.col("reviewed").fill_null(0), pl.col("confirmed").fill_null(0),
    ).drop("_category", "_rule_category")
    intervals = [wilson(c, n) for c, n in zip(table["confirmed"].to_list(), table["reviewed"].to_list())]
    table = table.with_columns(
        pl.when(pl.col("reviewed") > 0).then(pl.col("confirmed") / pl.col("reviewed")).otherwise(None)
        .alias("precision"),
        pl.Series("precision_lo", [lo for lo, _ in intervals], dtype=pl.Float64),
        pl.Series("precision_hi", [hi for _, hi in intervals], dtype=pl.Float64),
    )
    return table.with_columns(
        ((pl.col("reviewed") >= max(min_reviewed, 1)) & (pl.col("precision") < threshold)).fill_null(False)
        .alias("needs_tuning"),
    ).sort("needs_tuning", "precision", "rule_id", descending=[True, False, False], nulls_last=True).select(
        "rule_id", "category", "flags", "reviewed", "confirmed", "precision", "precision_lo", "precision_hi",
        "needs_tuning")


def miss_rates(con: duckdb.DuckDBPyConnection, weeks: list[str], categories: list[str]) -> pl.DataFrame:
    """Per category: unflagged sessions reviewed, those with a missed violation of it, the rate and its
    interval, and the unflagged sessions of the weeks that rate stands for (estimated_missed)."""
    sessions = _latest(con, "session", weeks).filter(pl.col("stratum") == "unflagged")
    n = sessions.height
    per_aw = sessions.group_by("shop", "week", "agent").agg(
        pl.len().alias("_n"), pl.col("stratum_sessions").max().alias("_size"),
        *[((pl.col("verdict") == "missed_violation") & (pl.col("category") == c)).sum().alias(c) for c in categories])
    rows = []
    for c in categories:
        missed = int(sessions.filter((pl.col("verdict") == "missed_violation") & (pl.col("category") == c)).height)
        lo, hi = wilson(missed, n)
        estimate = sum(r[c] / r["_n"] * (r["_size"] or r["_n"]) for r in per_aw.iter_rows(named=True)) if n else None
        rows.append((c, n, missed, missed / n if n else None, lo, hi, estimate))
    return pl.DataFrame(rows, schema={"category": pl.Utf8, "unflagged_reviewed": pl.Int64, "missed": pl.Int64,
                                      "miss_rate": pl.Float64, "miss_rate_lo": pl.Float64, "miss_rate_hi": pl.Float64,
                                      "estimated_missed": pl.Float64}, orient="row")


@dataclass(frozen=True)
class Agreement:
    category: str
    item: str                      # flag | session
    reviewer_a: str
    reviewer_b: str
    items: int
    agreement: float
    kappa: float | None


def agreements(con: duckdb.DuckDBPyConnection, weeks: list[str], categories: list[str]) -> list[Agreement]:
    """Cohen's kappa per category for each pair of reviewers with items in common. Flags of a category:
    confirmed or not; sessions: whether a violation of the category was missed, or not."""
    _weeks = pl.DataFrame({"week": weeks}, schema={"week": pl.Utf8}).to_arrow()  # noqa: F841 (read by name)
    rows = con.sql("""
        SELECT * EXCLUDE (n) FROM (
            SELECT r.item, coalesce(r.flag_id, r.session_id) AS item_id, r.reviewer, r.verdict, r.category,
                   row_number() OVER (PARTITION BY r.item, coalesce(r.flag_id, r.session_id), r.reviewer
                                      ORDER BY r."at" DESC, r.review_id DESC) AS n
            FROM reviews r SEMI JOIN _weeks w ON r.week = w.week WHERE r.kind = 'review') WHERE n = 1""").pl()
    out: list[Agreement] = []
    for item in ("flag", "session"):
        mine = rows.filter(pl.col("item") == item)
        reviewers = sorted(mine["reviewer"].unique().to_list())
        for a, b in combinations(reviewers, 2):
            both = mine.filter(pl.col("reviewer") == a).join(mine.filter(pl.col("reviewer") == b), on="item_id",
                                                             suffix="_b")
            if both.is_empty():
                continue
            for c in categories:
                if item == "flag":
                    pairs = both.filter(pl.col("category") == c)
                    la, lb = pairs["verdict"].to_list(), pairs["verdict_b"].to_list()
                else:
                    pairs = both
                    la = [v == "missed_violation" and k == c for v, k in zip(pairs["verdict"], pairs["category"])]
                    lb = [v == "missed_violation" and k == c for v, k in zip(pairs["verdict_b"], pairs["category_b"])]
                if not la:
                    continue
                agree = sum(x == y for x, y in zip(la, lb)) / len(la)
                out.append(Agreement(c, item, a, b, len(la), agree, cohen_kappa([str(x) for x in la],
                                                                               [str(x) for x in lb])))
    return out


def needs_tuning(con: duckdb.DuckDBPyConnection, week: str, settings) -> pl.DataFrame:
    """The rules under the precision threshold over the `precision_weeks` weeks ending at `week` (empty
    when the warehouse holds no reviews)."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "reviews" not in tables or not con.execute("SELECT count(*) FROM reviews").fetchall()[0][0]:
        return pl.DataFrame(schema={"rule_id": pl.Utf8, "category": pl.Utf8, "reviewed": pl.Int64,
                                    "confirmed": pl.Int64, "precision": pl.Float64})
    table = rule_precision(con, window(con, settings.precision_weeks, week), settings.precision_threshold,
                           settings.min_reviewed)
    return table.filter(pl.col("needs_tuning"))
