"""Speed of the whole job from CSV: ingest -> sessions -> rounds -> agent_week.

    python benchmarks/bench_pipeline.py --messages 1000000

Prints messages/s, seconds per stage and peak RSS, then times a straightforward pandas
groupby-apply version of the same round definition on a subset and prints the speed ratio
(after checking that both give the same waits).
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from qc_pipeline.config import ROLES, load_config
from qc_pipeline.ingest import read_file
from qc_pipeline.metrics.agent_week import agent_week_response
from qc_pipeline.metrics.rounds import role_targets, rounds_table
from qc_pipeline.pipeline import roster
from qc_pipeline.sessions.onduty import DutyCalendar
from qc_pipeline.sessions.sessionize import ordered_messages, sessions_table
from qc_pipeline.store.warehouse import load_parsed, open_warehouse, replace_table


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_rounds(messages: pd.DataFrame, calendar: DutyCalendar, idle_s: int) -> pd.DataFrame:
    """The round definition the obvious way: sort, group by (shop, buyer), walk each group in Python."""
    rank = {"buyer": 0, "auto": 1, "system": 1, "agent": 2}
    frame = messages.assign(_rank=messages["role"].map(rank)).sort_values(
        ["shop", "buyer", "sent_at", "_rank", "source_line"], kind="stable"
    )

    def per_buyer(group: pd.DataFrame) -> pd.DataFrame:
        out = []
        last_duty = None
        open_start = None
        for row in group.itertuples():
            t = int(row.sent_at.value // 1000)
            duty = int(calendar.on_duty_clock(np.array([t]))[0])
            if last_duty is not None and duty - last_duty >= idle_s * 1_000_000:
                if open_start is not None:
                    out.append((open_start[0], None))
                open_start = None
            last_duty = duty
            if row.role == "buyer" and open_start is None:
                open_start = (row.sent_at, duty)
            elif row.role == "agent" and open_start is not None:
                out.append((open_start[0], (duty - open_start[1]) / 1e6))
                open_start = None
        if open_start is not None:
            out.append((open_start[0], None))
        return pd.DataFrame(out, columns=["started_at", "wait_seconds"])

    return frame.groupby(["shop", "buyer"], sort=True).apply(per_buyer, include_groups=False).reset_index(
        level=[0, 1]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--naive-messages", type=int, default=50_000, help="subset size for the pandas baseline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    config = load_config()
    calendar = DutyCalendar.from_shifts(config.shifts)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bench.csv"
        t0 = time.perf_counter()
        # In a child process, so that the peak memory printed below is the job's alone.
        subprocess.run(
            [sys.executable, "-c",
             "import sys; from qc_pipeline.sample.bulk import bulk_messages; "
             "bulk_messages(int(sys.argv[1]), seed=int(sys.argv[2])).write_csv(sys.argv[3])",
             str(args.messages), str(args.seed), str(csv_path)],
            check=True,
        )
        print(f"generated {args.messages:,} messages ({csv_path.stat().st_size / 1e6:.0f} MB CSV) "
              f"in {time.perf_counter() - t0:.1f} s (not counted)")
        rss_before = peak_rss_mb()

        timings: dict[str, float] = {}
        peaks: dict[str, float] = {}
        start = time.perf_counter()
        t = time.perf_counter()
        parsed = read_file(csv_path, config)
        timings["read + validate + hash"] = time.perf_counter() - t
        peaks["read + validate + hash"] = peak_rss_mb()
        con = open_warehouse(Path(tmp) / "bench.duckdb")
        t = time.perf_counter()
        counts = load_parsed(con, parsed)
        del parsed  # as in the real job, a file's frames are dropped once it is loaded
        timings["load into warehouse"] = time.perf_counter() - t
        peaks["load into warehouse"] = peak_rss_mb()
        t = time.perf_counter()
        messages = con.sql("SELECT msg_id, shop, buyer, agent, role, sent_at, source_line FROM messages").pl()
        timings["read back messages"] = time.perf_counter() - t
        peaks["read back messages"] = peak_rss_mb()
        t = time.perf_counter()
        ordered = ordered_messages(messages, calendar, config.idle_seconds)
        sessions = sessions_table(ordered)
        timings["sessions"] = time.perf_counter() - t
        peaks["sessions"] = peak_rss_mb()
        t = time.perf_counter()
        rounds = rounds_table(ordered, sessions, calendar, roster(con),
                              role_targets(config, list(ROLES)), config.default_role)
        timings["rounds"] = time.perf_counter() - t
        peaks["rounds"] = peak_rss_mb()
        t = time.perf_counter()
        replace_table(con, "sessions", sessions)
        replace_table(con, "rounds", rounds)
        replace_table(con, "agent_week", agent_week_response(con, config.wait_cap_seconds))
        timings["write derived + agent_week"] = time.perf_counter() - t
        peaks["write derived + agent_week"] = peak_rss_mb()
        total = time.perf_counter() - start
        peak = peak_rss_mb()

        print(f"loaded {counts.rows_loaded:,} messages, {len(sessions):,} sessions, {len(rounds):,} rounds")
        for stage, seconds in timings.items():
            print(f"  {stage:<28} {seconds:7.2f} s   peak RSS so far {peaks[stage]:,.0f} MB")
        print(f"total {total:.2f} s -> {args.messages / total:,.0f} messages/s")
        print(f"peak RSS {peak:,.0f} MB (before the run {rss_before:,.0f} MB) -> "
              f"{peak / 1024 / (args.messages / 1e6):.2f} GB per million messages")

        subset_buyers = messages.select("shop", "buyer").unique(maintain_order=True).head(
            max(1, int(len(messages.select("shop", "buyer").unique()) * args.naive_messages / max(len(messages), 1)))
        )
        sub = messages.join(subset_buyers, on=["shop", "buyer"])
        t = time.perf_counter()
        sub_ordered = ordered_messages(sub, calendar, config.idle_seconds)
        sub_rounds = rounds_table(sub_ordered, sessions_table(sub_ordered), calendar, roster(con),
                                  role_targets(config, list(ROLES)), config.default_role)
        fast = time.perf_counter() - t
        t = time.perf_counter()
        slow_rounds = naive_rounds(sub.to_pandas(), calendar, config.idle_seconds)
        slow = time.perf_counter() - t
        same = (len(slow_rounds) == len(sub_rounds)
                and np.allclose(np.sort(slow_rounds["wait_seconds"].dropna().to_numpy()),
                                np.sort(sub_rounds["wait_seconds"].drop_nulls().to_numpy())))
        print(f"pandas groupby-apply on {len(sub):,} messages: {slow:.2f} s ({len(sub) / slow:,.0f} msg/s); "
              f"vectorised {fast:.3f} s ({len(sub) / fast:,.0f} msg/s); ratio {slow / fast:,.0f}x; "
              f"same rounds and waits: {same}")
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
