"""The service-standard figures of agent_week, from the promises and payment_reminders rows.

Promises count in the week of the promising message, for the agent who promised: `promises_kept_pct` is
kept ÷ all promises (open and broken ones count as not kept, like unanswered rounds), and
`promise_keep_median_s` the median wall-clock seconds to the first substantive reply over promises that
got one (kept or late). Reminders count in the week the order was created, for the agent who sent the
first reminder: `reminders_sent` orders reminded, `reminded_paid` of those paid afterwards (催付成功),
`reminder_recovered_amount` their paid amounts. Order remarks count in the week the order was created
too, for the agent the remark names: `remarks_written` its remark lines, `remarks_malformed` those not
written 内容—客服名—时间, `remarks_overwritten` other agents' remarks its later remark replaced.
"""
from __future__ import annotations

import polars as pl

KEYS = ["week", "shop", "agent"]
COUNT_COLUMNS = ("promises", "promises_kept", "reminders_sent", "reminded_paid", "remarks_written",
                 "remarks_malformed", "remarks_overwritten")


def _pct(hit: pl.Expr, total: pl.Expr) -> pl.Expr:
    return pl.when(total > 0).then(100.0 * hit / total).otherwise(None)


def agent_week_standard(promises: pl.DataFrame, reminders: pl.DataFrame, remarks: pl.DataFrame | None = None,
                        keys: list[str] = KEYS) -> pl.DataFrame:
    """One row per (period, shop, agent) with a promise, a first reminder or a remark (rows of
    order_remarks)."""
    answered = pl.col("status").is_in(["kept", "late"])
    kept = promises.filter(pl.col("agent").is_not_null()).group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("promises"),
        (pl.col("status") == "kept").sum().cast(pl.Int64).alias("promises_kept"),
        pl.col("keep_seconds").filter(answered).quantile(0.5, "linear").alias("promise_keep_median_s"),
    ).with_columns(_pct(pl.col("promises_kept"), pl.col("promises")).alias("promises_kept_pct"))
    paid = pl.col("paid_after_reminder")
    chased = reminders.filter(pl.col("reminded_by").is_not_null()).with_columns(
        pl.col("reminded_by").alias(keys[2])
    ).group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("reminders_sent"),
        paid.sum().cast(pl.Int64).alias("reminded_paid"),
        pl.col("amount").filter(paid).sum().alias("reminder_recovered_amount"),
    ).with_columns(_pct(pl.col("reminded_paid"), pl.col("reminders_sent")).alias("reminder_success_pct"))
    table = kept.join(chased, on=keys, how="full", coalesce=True)
    if remarks is None:
        return table.with_columns(pl.lit(None, pl.Int64).alias(c) for c in COUNT_COLUMNS[4:])
    written = remarks.filter(pl.col("agent").is_not_null()).group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("remarks_written"),
        (pl.col("status") == "malformed").sum().cast(pl.Int64).alias("remarks_malformed"),
    )
    # overwritten_by is a sub-account when the roster knows the name, else the name as written: only the
    # former is an agent's row.
    replaced = remarks.filter(pl.col("overwritten_by").is_in(remarks["agent"].drop_nulls().unique().implode())).with_columns(
        pl.col("overwritten_by").alias(keys[2])
    ).group_by(keys).agg(pl.len().cast(pl.Int64).alias("remarks_overwritten"))
    return table.join(written, on=keys, how="full", coalesce=True).join(replaced, on=keys, how="full", coalesce=True)
