"""The spot-check sample: per agent and ISO week, every auto-failed session, a share of the other flagged
ones and a random share of the unflagged ones (to find what the rules miss).

`draw` is a pure function of the week's sessions and the plan; the order within a stratum comes from a
hash of the seed and the session id, so the same seed draws the same sample whatever order the rows come
in, and a larger share of the same week only adds sessions.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import duckdb
import polars as pl

from qc_pipeline.review.ids import FLAG_ID_SQL
from qc_pipeline.review.settings import STRATA
from qc_pipeline.store.schema import FLAG_MESSAGE_JOIN

KEYS = ["shop", "week", "agent"]


@dataclass(frozen=True)
class Plan:
    rates: dict[str, float]
    per_agent: int
    seed: int


def _order_key(seed: int, session_id: str) -> str:
    return hashlib.sha256(f"{seed}:{session_id}".encode()).hexdigest()


def quotas(flagged: int, unflagged: int, plan: Plan) -> tuple[int, int]:
    """How many flagged and unflagged sessions of one agent-week to take: each stratum's share rounded
    up, both together capped at `per_agent`, split in proportion but keeping one unflagged session when
    there is any (the miss estimate needs them)."""
    f = min(flagged, math.ceil(plan.rates["flagged"] * flagged))
    u = min(unflagged, math.ceil(plan.rates["unflagged"] * unflagged))
    cap = plan.per_agent
    if f + u <= cap:
        return f, u
    keep_u = min(u, max(1 if u and cap > 1 else 0, round(cap * u / (f + u))))
    keep_f = min(f, cap - keep_u)
    return keep_f, min(u, cap - keep_f)


def strata(sessions: pl.DataFrame) -> pl.DataFrame:
    """`sessions` (session_id, shop, week, agent, auto_failed, flags) with its stratum."""
    return sessions.with_columns(
        pl.when(pl.col("auto_failed")).then(pl.lit("auto_failed"))
        .when(pl.col("flags") > 0).then(pl.lit("flagged")).otherwise(pl.lit("unflagged")).alias("stratum"))


def draw(sessions: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The sampled sessions with `stratum` and `stratum_sessions` (the stratum's size in its agent-week)."""
    rows = strata(sessions.filter(pl.col("agent").is_not_null()))
    rows = rows.with_columns(
        pl.col("session_id").map_elements(lambda s: _order_key(plan.seed, s), return_dtype=pl.Utf8).alias("_key"),
        pl.len().over([*KEYS, "stratum"]).cast(pl.Int64).alias("stratum_sessions"),
    )
    sizes = rows.group_by(KEYS).agg(
        *[(pl.col("stratum") == s).sum().alias(f"_n_{s}") for s in STRATA])
    wanted = []
    for r in sizes.iter_rows(named=True):
        f, u = quotas(r["_n_flagged"], r["_n_unflagged"], plan)
        a = min(r["_n_auto_failed"], math.ceil(plan.rates["auto_failed"] * r["_n_auto_failed"]))
        wanted += [(r["shop"], r["week"], r["agent"], s, n) for s, n in zip(STRATA, (a, f, u))]
    take = pl.DataFrame(wanted, schema={"shop": pl.Utf8, "week": pl.Utf8, "agent": pl.Utf8, "stratum": pl.Utf8,
                                        "_take": pl.Int64}, orient="row")
    ranked = rows.sort("_key").with_columns(pl.int_range(pl.len()).over([*KEYS, "stratum"]).alias("_rank"))
    picked = ranked.join(take, on=[*KEYS, "stratum"], how="inner").filter(pl.col("_rank") < pl.col("_take"))
    order = {s: i for i, s in enumerate(STRATA)}
    return picked.with_columns(pl.col("stratum").replace_strict(order, return_dtype=pl.Int32).alias("_s")).sort(
        "shop", "agent", "week", "_s", "_rank").drop("_key", "_rank", "_take", "_s")


def week_sessions(con: duckdb.DuckDBPyConnection, week: str) -> pl.DataFrame:
    """Every scored session of the week with its agent, score, auto-fail and number of flags."""
    return con.sql("""
        SELECT sc.session_id, sc.shop, sc.week, sc.agent, sc.score, sc.auto_failed, s.buyer, s.started_at,
               s.ended_at, coalesce(f.n, 0) AS flags
        FROM session_scores sc JOIN sessions s USING (session_id)
        LEFT JOIN (SELECT session_id, count(*) AS n FROM flags GROUP BY session_id) f USING (session_id)
        WHERE sc.week = $week ORDER BY sc.session_id""", params={"week": week}).pl()


def sampled_flags(con: duckdb.DuckDBPyConnection, sampled: pl.DataFrame) -> pl.DataFrame:
    """Every flag of the sampled sessions with its id and the points it took off."""
    _picked = sampled.select("session_id").to_arrow()  # noqa: F841 (read by name)
    return con.sql(f"""
        SELECT {FLAG_ID_SQL} AS flag_id, f.session_id, f.msg_id, f.week, f.agent, f.role, f.sent_at, f.rule_id,
               f.category, f.severity, f.start, f."end", f.matched, m.text, f.buyer,
               (SELECT max(d.points) FROM score_deductions d WHERE d.session_id = f.session_id
                  AND d.msg_id = f.msg_id AND d.category = 'compliance'
                  AND d.reason = f.rule_id || ' ' || f.category || '（' || f.severity || '）：「' || f.matched || '」'
               ) AS points
        FROM flags f SEMI JOIN _picked p ON f.session_id = p.session_id
        JOIN messages m ON {FLAG_MESSAGE_JOIN} AND m.shop = f.shop
        ORDER BY f.session_id, f.sent_at, f.start, f.rule_id""").pl()
