"""Time the order-remarks stage (standard/remarks.py `order_remarks_table`) on N synthetic orders.

    .venv/bin/python benchmarks/bench_remarks.py [--orders 200000] [--agents 200]

Each order has one remark line (内容—客服名—时间, an address in the content), 30 % a second one, and 10 %
an earlier export version; prints the rows, seconds, lines per second and peak RSS.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import time

import polars as pl

from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.standard.remarks import order_remarks_table, remark_format

SHOP = "星河服饰旗舰店"


def workload(n: int, agents: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = random.Random(seed)
    names = [f"客服{i}" for i in range(agents)]
    created = [dt.datetime(2026, 11, 9) + dt.timedelta(seconds=rng.randrange(7 * 86400)) for _ in range(n)]

    def line(at: dt.datetime) -> str:
        return (f"改地址 杭州市西湖区文三路{rng.randrange(500)}号—{rng.choice(names)}—"
                f"{at.month}.{at.day} {at.hour}:{at.minute:02d}")

    remark = [line(c) + (f"\n{line(c + dt.timedelta(hours=3))}" if rng.random() < 0.3 else "") for c in created]
    orders = pl.DataFrame({"order_id": [str(i) for i in range(n)], "shop": [SHOP] * n,
                           "buyer": [f"b{i}" for i in range(n)], "created_at": created, "paid_at": created,
                           "remark": remark})
    versions = orders.sample(n // 10, seed=seed).select(
        "order_id", pl.col("remark").str.replace(r"\n.*", "").alias("remark"))
    roster = pl.DataFrame({"agent": [f"{SHOP}:{x}" for x in names], "name": names, "role": ["presale"] * agents})
    return orders, versions, roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=200)
    args = parser.parse_args()
    orders, versions, roster = workload(args.orders, args.agents)
    started = time.perf_counter()
    rows = order_remarks_table(orders, versions, roster, remark_format(), iso_week("created_at"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.orders:,} orders, {rows.height:,} remark rows in {seconds:.2f} s "
          f"({rows.height / seconds:,.0f} lines/s), peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
