"""The seller-tool KPIs of agent_week (and agent_month): the figures supervisors compare with the
客服绩效 pages of their seller tools, under the same names. Pure functions of frames; each returns one
row per (period, shop, agent) keyed by `keys` (["week", "shop", "agent"] or ["month", "shop", "agent"]).

Definitions (docs/metrics.md, "Seller-tool KPIs"): 咨询人数 counts the buyers with a round attributed to the
agent, 接待人数 those the agent answered; 答问比 divides the agent's human messages of those rounds by the
buyers' messages; 平均响应时长 is the mean of answered rounds' waits, each capped at the wait cap.
"""
from __future__ import annotations

import polars as pl

KEYS = ["week", "shop", "agent"]


def _pct(hit: pl.Expr, total: pl.Expr) -> pl.Expr:
    return pl.when(total > 0).then(100.0 * hit / total).otherwise(None)


def _ratio(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole).otherwise(None)


def reception_kpis(rounds: pl.DataFrame, wait_cap_seconds: int, keys: list[str] = KEYS) -> pl.DataFrame:
    """咨询人数, 接待人数, 回复率, 答问比 and 平均响应时长 from the agent's attributed rounds."""
    answered = ~pl.col("unanswered")
    return (
        rounds.filter(pl.col("agent").is_not_null())
        .group_by(keys)
        .agg(
            pl.col("buyer").n_unique().cast(pl.Int64).alias("consulted_buyers"),
            pl.col("buyer").filter(answered).n_unique().cast(pl.Int64).alias("received_buyers"),
            pl.col("buyer_msgs").sum().cast(pl.Int64).alias("buyer_msgs"),
            pl.col("agent_msgs").sum().cast(pl.Int64).alias("agent_msgs"),
            pl.col("wait_seconds").filter(answered).clip(upper_bound=float(wait_cap_seconds)).mean()
            .alias("avg_response_s"),
        )
        .with_columns(
            _pct(pl.col("received_buyers"), pl.col("consulted_buyers")).alias("reply_rate_pct"),
            _ratio(pl.col("agent_msgs").cast(pl.Float64), pl.col("buyer_msgs")).alias("answer_ratio"),
        )
    )


def order_kpis(inquiries: pl.DataFrame, keys: list[str] = KEYS) -> pl.DataFrame:
    """退款率, 客件数, 询单→最终付款成功率 and 询单→次日付款成功率 from the agent's inquiries."""
    converted = pl.col("converted")
    items_known = pl.col("items").filter(converted).is_not_null().any()
    return (
        inquiries.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("_inquiries"),
            converted.sum().cast(pl.Int64).alias("_paying"),
            pl.col("paid_orders").filter(converted).sum().cast(pl.Int64).alias("paid_orders"),
            pl.col("refund_orders").filter(converted).sum().cast(pl.Int64).alias("_refund_orders"),
            pl.when(items_known).then(pl.col("items").filter(converted).sum()).cast(pl.Int64).alias("items_sold"),
            pl.col("final_paid").sum().cast(pl.Int64).alias("final_paid_buyers"),
            pl.col("next_day_paid").sum().cast(pl.Int64).alias("next_day_paid_buyers"),
        )
        .with_columns(
            _pct(pl.col("_refund_orders"), pl.col("paid_orders")).alias("refund_rate_pct"),
            _ratio(pl.col("items_sold").cast(pl.Float64), pl.col("_paying")).alias("items_per_buyer"),
            _pct(pl.col("final_paid_buyers"), pl.col("_inquiries")).alias("final_paid_pct"),
            _pct(pl.col("next_day_paid_buyers"), pl.col("_inquiries")).alias("next_day_paid_pct"),
        )
        .drop("_inquiries", "_paying", "_refund_orders")
    )


def _with_role(frame: pl.DataFrame, roster: pl.DataFrame, default_role: str) -> pl.DataFrame:
    return frame.join(roster.select("agent", pl.col("role").alias("_role")), on="agent", how="left").with_columns(
        pl.col("_role").fill_null(default_role))


def aftersale_kpis(sessions: pl.DataFrame, rounds: pl.DataFrame, roster: pl.DataFrame, default_role: str,
                   first_reply_seconds: int, keys: list[str] = KEYS) -> pl.DataFrame:
    """After-sale agents' figures. A session counts for every after-sale agent who replied in it (the
    agent the buyer last wrote to, when nobody replied), in the period it started; the first-reply rate is
    over the after-sale agents' first rounds, unanswered ones counting as not within."""
    period = keys[0]
    handlers = sessions.with_columns(
        pl.when(pl.col("agents").list.len() > 0).then(pl.col("agents"))
        .otherwise(pl.concat_list(pl.col("primary_agent"))).alias("agent")
    ).select(period, "shop", "session_id", "agent", "refund_topic", "reopened_at").explode("agent")
    handled = (
        _with_role(handlers.filter(pl.col("agent").is_not_null()), roster, default_role)
        .filter(pl.col("_role") == "aftersale")
        .group_by(keys)
        .agg(
            pl.col("session_id").n_unique().cast(pl.Int64).alias("aftersale_sessions"),
            pl.col("session_id").filter(pl.col("refund_topic").fill_null(False)).n_unique().cast(pl.Int64)
            .alias("refund_topic_sessions"),
            pl.col("session_id").filter(pl.col("reopened_at").is_not_null()).n_unique().cast(pl.Int64)
            .alias("reopened_cases"),
        )
    )
    within = (~pl.col("unanswered") & (pl.col("wait_seconds") <= first_reply_seconds)).fill_null(False)
    first = (
        rounds.filter(pl.col("is_first") & (pl.col("agent_role") == "aftersale") & pl.col("agent").is_not_null())
        .group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("aftersale_first_rounds"), within.sum().alias("_within"))
        .with_columns(_pct(pl.col("_within"), pl.col("aftersale_first_rounds")).alias("aftersale_first_5min_pct"))
        .drop("_within")
    )
    return handled.join(first, on=keys, how="full", coalesce=True)
