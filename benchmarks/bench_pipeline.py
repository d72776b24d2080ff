"""Speed of the command the user runs: `qc run` from the CSV to the last report file.

    python benchmarks/bench_pipeline.py --messages 5000000 [--weeks 1] [--profile]
    python benchmarks/bench_pipeline.py --messages 300000 --incremental-weeks 12

Writes a realistic multi-shop workload (`qc_pipeline.sample.bulk`: a dozen shops, a 200-agent roster
with after-sale teams, auto-replies, transfers, the GBK order report, ~3 % flagged replies, mostly
distinct texts) in a child process, then times `qc run CHATS --orders --roster --db --out` as a separate
process. Prints messages/s, seconds per stage (from `qc run --timings`, when the command has it), the
child's peak RSS, the number of report files, and, measured in the same run on the same CSV, the ratio
to polars reading and time-parsing that CSV and to a naive pandas groupby-apply computation of the
rounds (checked equal to the `rounds` table `qc run` wrote). Then the targets, each pass or miss.

--incremental-weeks K builds a warehouse of K weeks with `qc run` week by week, then times `qc run` of
week K+1 into it and into an empty warehouse and prints the ratio. --profile runs `qc run` once more
under cProfile and prints the 25 entries with the most cumulative time.
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

TARGET_MESSAGES = 5_000_000
TARGET_SECONDS = 10.0
TARGET_POLARS_RATIO = 6.0
TARGET_DERIVED_RATE = 1_000_000
TARGET_RSS_MB = 2048
TARGET_INCREMENTAL_RATIO = 1.3


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    log: Path
    stages: dict[str, float] | None = None
    report_files: int = 0
    extra: dict = field(default_factory=dict)


# --- the child processes -------------------------------------------------------------------------

def generate(folder: Path, n: int, seed: int, weeks: int, shops: int, agents: int, tags: list[tuple[str, int]]) -> float:
    """Write the workload files in a child process (its memory is not the job's). Returns seconds."""
    t = time.perf_counter()
    code = (
        "import json, sys; from pathlib import Path; from qc_pipeline.sample.bulk import write_workload\n"
        "a = json.loads(sys.argv[1])\n"
        "for tag, first in a['tags']:\n"
        "    write_workload(Path(a['folder']), a['n'], a['seed'], weeks=a['weeks'], first_week=first,\n"
        "                   shops=a['shops'], agents=a['agents'], tag=tag)\n"
    )
    spec = dict(folder=str(folder), n=n, seed=seed, weeks=weeks, shops=shops, agents=agents, tags=tags)
    subprocess.run([sys.executable, "-c", code, json.dumps(spec)], check=True)
    return time.perf_counter() - t


def qc_command() -> list[str]:
    script = Path(sys.executable).with_name("qc")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from qc_pipeline.cli import main; main()"]


def has_timings_option() -> bool:
    out = subprocess.run([*qc_command(), "run", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"})
    return "--timings" in out.stdout


def run_qc(args: list[str], log: Path, timings: Path | None = None, profile: Path | None = None) -> Run:
    """`qc run ARGS` as its own process; wall time, and the peak RSS of exactly that process."""
    if timings is not None:
        args = [*args, "--timings", str(timings)]
    if profile is not None:
        code = ("import cProfile, sys; from qc_pipeline.cli import main; "
                "cProfile.run('main()', sys.argv.pop(1))")
        cmd = [sys.executable, "-c", code, str(profile), "run", *args]
    else:
        cmd = [*qc_command(), "run", *args]
    with open(log, "w") as out:
        t = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "160"})
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    run = Run(seconds, usage.ru_maxrss / 1024, child.returncode, log)
    if timings is not None and timings.exists():
        data = json.loads(timings.read_text())
        # {"messages": n, "stages": {stage: seconds}, "total": s}; early builds named the mapping "seconds".
        key = next((k for k in ("stages", "seconds") if isinstance(data.get(k), dict)), None)
        run.stages = {k: float(v) for k, v in data[key].items()} if key else None
        run.extra = {k: v for k, v in data.items() if k != key}
    return run


def count_files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


# --- the baselines -------------------------------------------------------------------------------

def polars_parse(csv: Path, repeat: int = 2) -> float:
    """Best of `repeat`: polars reads the CSV (all columns as text) and parses `sent_at`."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        frame = pl.read_csv(csv, infer_schema=False).with_columns(
            pl.col("sent_at").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))
        assert frame["sent_at"].null_count() == 0
        best = min(best, time.perf_counter() - t)
        del frame
    return best


def naive_rounds(messages: pd.DataFrame, calendar, idle_s: int) -> pd.DataFrame:
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


def naive_baseline(csv: Path, db: Path, target_rows: int, seed: int) -> dict:
    """Time the naive rounds on the conversations of a subset of buyers and compare them with the
    `rounds` table the timed `qc run` wrote for the same buyers."""
    import duckdb

    from qc_pipeline.config import load_config
    from qc_pipeline.sessions.onduty import DutyCalendar

    config = load_config()
    calendar = DutyCalendar.from_shifts(config.shifts)
    frame = pl.read_csv(csv, infer_schema=False, columns=["shop", "buyer", "role", "sent_at"]).with_row_index(
        "source_line", offset=2)  # header is line 1; the workload's texts hold no line breaks
    pairs = frame.group_by("shop", "buyer").len().sample(fraction=1.0, shuffle=True, seed=seed)
    pairs = pairs.filter(pl.col("len").cum_sum().shift(1, fill_value=0) < target_rows).select("shop", "buyer")
    sub = frame.join(pairs, on=["shop", "buyer"], how="semi").with_columns(
        pl.col("sent_at").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us"))
    t = time.perf_counter()
    slow = naive_rounds(sub.to_pandas(), calendar, config.idle_seconds)
    seconds = time.perf_counter() - t
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.register("subset_pairs", pairs.to_arrow())
        fast = con.sql("SELECT r.shop, r.buyer, r.started_at, r.wait_seconds FROM rounds r "
                       "JOIN subset_pairs p USING (shop, buyer)").pl()
    finally:
        con.close()

    def key(shop, buyer, started, wait) -> tuple:
        return (shop, buyer, pd.Timestamp(started).value, None if wait is None or wait != wait else round(wait, 6))

    naive_keys = sorted((key(*r) for r in slow[["shop", "buyer", "started_at", "wait_seconds"]].itertuples(index=False)),
                        key=repr)
    qc_keys = sorted((key(*r) for r in fast.iter_rows()), key=repr)
    return {"rows": sub.height, "seconds": seconds, "rounds": len(naive_keys), "same": naive_keys == qc_keys,
            "qc_rounds": len(qc_keys)}


# --- printing ------------------------------------------------------------------------------------

def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("pass" if ok else "MISS")


def print_run(label: str, run: Run, n: int) -> None:
    print(f"{label}: {run.seconds:.2f} s wall, {n / run.seconds:,.0f} messages/s, peak RSS {run.peak_rss_mb:,.0f} MB, "
          f"exit {run.returncode}, {run.report_files} report files")
    if run.stages is None:
        print("  per stage: unavailable (this `qc run` has no --timings)")
        return
    for stage in run.stages:  # in the order the command ran them
        sec = run.stages[stage]
        share = sec / run.seconds * 100 if run.seconds else 0
        print(f"  {stage:<16} {sec:8.2f} s  {share:5.1f} %  {n / sec if sec else float('inf'):>14,.0f} msg/s")
    inside = run.extra.get("total")
    if inside is not None:
        print(f"  {'(in process)':<16} {float(inside):8.2f} s; start-up, imports and exit {run.seconds - float(inside):.2f} s")


def derived_seconds(run: Run) -> float | None:
    if run.stages is None or "ingest" not in run.stages:
        return None
    # The stages before the reports: ingest and the derived tables, not the pack (reports, cases, topics).
    return sum(v for k, v in run.stages.items() if k not in ("reports", "cases", "topics"))


def print_profile(path: Path, top: int = 25) -> None:
    print(f"\ncProfile of qc run, top {top} by cumulative time:")
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(top)
    print("and the 15 with the most time of their own:")
    stats.sort_stats("tottime").print_stats(15)


def print_accounting(db: Path, inputs: list[Path]) -> bool:
    """From the outside: every data line of every input is a loaded, duplicate or quarantined row of
    ingested_files (a refused or half-read file is a failed run, whatever the exit code)."""
    import duckdb

    ok = True
    with duckdb.connect(str(db), read_only=True) as con:
        for path in inputs:
            lines = sum(1 for _ in open(path, "rb")) - 1
            row = con.execute(
                "SELECT sum(rows_loaded), sum(rows_duplicate), sum(rows_quarantined) FROM ingested_files "
                "WHERE path = ?", [str(path)]).fetchone()
            accounted = sum(v or 0 for v in row)
            ok &= accounted == lines
            print(f"  [{verdict(accounted == lines)}] {path.name}: {lines:,} data lines, {row[0] or 0:,} loaded, "
                  f"{row[1] or 0:,} duplicate, {row[2] or 0:,} quarantined")
    return ok


def fail_if_bad(run: Run, db: Path) -> None:
    """Exit 1 means some input file was unreadable and the run went on; anything else, or no warehouse, stops."""
    if run.returncode == 0:
        return
    print(f"qc run exited {run.returncode}; last lines of {run.log}:")
    print("\n".join(run.log.read_text(errors="replace").splitlines()[-25:]))
    if run.returncode != 1 or not db.exists() or "Traceback" in run.log.read_text(errors="replace"):
        sys.exit(run.returncode or 1)


# --- the two modes -------------------------------------------------------------------------------

def one_run(args, tmp: Path) -> None:
    data = tmp / "data"
    gen_s = generate(data, args.messages, args.seed, args.weeks, args.shops, args.agents, [("bench", 0)])
    chats, orders, roster = data / "chats_bench.csv", data / "orders_bench.csv", data / "roster.csv"
    print(f"workload: {args.messages:,} messages over {args.weeks} week(s), {args.shops} shops, {args.agents} agents; "
          f"chats {chats.stat().st_size / 1e6:,.0f} MB, orders {orders.stat().st_size / 1e6:,.1f} MB "
          f"({sum(1 for _ in open(orders, 'rb')) - 1:,} orders); generated in {gen_s:.1f} s (not counted)")
    timings = has_timings_option()
    db, out = tmp / "qc.duckdb", tmp / "reports"
    qc_args = [str(chats), "--orders", str(orders), "--roster", str(roster), "--db", str(db), "--out", str(out)]
    run = run_qc(qc_args, tmp / "qc_run.log", timings=tmp / "timings.json" if timings else None)
    run.report_files = count_files(out)
    fail_if_bad(run, db)
    print_run("qc run", run, args.messages)
    print("every input line accounted for in the warehouse:")
    accounted = print_accounting(db, [chats, orders, roster])

    parse_s = polars_parse(chats)
    print(f"polars read_csv + parse sent_at of the same CSV: {parse_s:.2f} s ({args.messages / parse_s:,.0f} msg/s); "
          f"qc run / polars = {run.seconds / parse_s:.1f}x")
    naive = None
    if args.naive_messages > 0:
        naive = naive_baseline(chats, db, args.naive_messages, args.seed)
        rate = naive["rows"] / naive["seconds"]
        line = (f"naive pandas groupby-apply rounds on {naive['rows']:,} messages: {naive['seconds']:.2f} s "
                f"({rate:,.0f} msg/s); whole qc run is {args.messages / run.seconds / rate:,.1f}x that rate")
        if run.stages and "sessions_rounds" in run.stages:
            line += f", its sessions+rounds stage {args.messages / run.stages['sessions_rounds'] / rate:,.0f}x"
        print(line)
        print(f"  naive rounds {naive['rounds']:,} vs qc rounds table {naive['qc_rounds']:,} for those buyers: "
              f"same rounds and waits: {naive['same']}")

    print(f"\ntargets ({TARGET_MESSAGES:,} messages in one week, {args.agents} agents; measured at {args.messages:,}):")
    if args.messages >= TARGET_MESSAGES:
        print(f"  [{verdict(run.seconds <= TARGET_SECONDS)}] CSV to every report <= {TARGET_SECONDS:.0f} s: {run.seconds:.2f} s")
    else:
        rate = TARGET_MESSAGES / TARGET_SECONDS
        print(f"  [{verdict(args.messages / run.seconds >= rate)}] CSV to every report <= {TARGET_SECONDS:.0f} s, as a rate "
              f">= {rate:,.0f} msg/s: {args.messages / run.seconds:,.0f} msg/s")
    print(f"  [{verdict(run.seconds / parse_s <= TARGET_POLARS_RATIO)}] <= {TARGET_POLARS_RATIO:.0f}x the polars parse: "
          f"{run.seconds / parse_s:.1f}x")
    derived = derived_seconds(run)
    print(f"  [{verdict(None if derived is None else args.messages / derived >= TARGET_DERIVED_RATE)}] ingest -> derived "
          f"tables >= {TARGET_DERIVED_RATE:,} msg/s: "
          + ("unavailable without --timings" if derived is None else f"{args.messages / derived:,.0f} msg/s ({derived:.2f} s)"))
    print(f"  [{verdict(run.peak_rss_mb <= TARGET_RSS_MB)}] peak RSS <= {TARGET_RSS_MB / 1024:.0f} GB: {run.peak_rss_mb:,.0f} MB"
          + ("" if args.messages >= TARGET_MESSAGES else f" (target is for {TARGET_MESSAGES:,} messages)"))
    if naive is not None:
        print(f"  [{verdict(naive['same'])}] naive rounds equal the rounds table")
    print(f"  [{verdict(run.returncode == 0 and accounted)}] exit 0 and every input line loaded, duplicate or quarantined")

    if args.profile:
        prof = tmp / "qc_run.prof"
        shutil.rmtree(out, ignore_errors=True)
        run_qc([str(chats), "--orders", str(orders), "--roster", str(roster), "--db", str(tmp / "profiled.duckdb"),
                "--out", str(out)], tmp / "qc_profile.log", profile=prof)
        print_profile(prof)


def incremental(args, tmp: Path) -> None:
    k = args.incremental_weeks
    data = tmp / "data"
    tags = [(f"w{i + 1:02d}", i) for i in range(k + 1)]
    gen_s = generate(data, args.messages, args.seed, 1, args.shops, args.agents, tags)
    print(f"workload: {k + 1} weeks of {args.messages:,} messages, {args.shops} shops, {args.agents} agents; "
          f"generated in {gen_s:.1f} s (not counted)")
    timings = has_timings_option()
    roster = data / "roster.csv"

    def week_args(tag: str, db: Path, out: Path) -> list[str]:
        return [str(data / f"chats_{tag}.csv"), "--orders", str(data / f"orders_{tag}.csv"), "--roster", str(roster),
                "--db", str(db), "--out", str(out)]

    full, out = tmp / "weeks.duckdb", tmp / "reports"
    for tag, _ in tags[:-1]:
        run = run_qc(week_args(tag, full, out), tmp / f"qc_{tag}.log")
        fail_if_bad(run, full)
        print(f"  built {tag}: {run.seconds:6.2f} s, peak RSS {run.peak_rss_mb:,.0f} MB, warehouse "
              f"{full.stat().st_size / 1e6:,.0f} MB")
    last = tags[-1][0]
    empty_run = run_qc(week_args(last, tmp / "empty.duckdb", tmp / "reports_empty"), tmp / "qc_empty.log",
                       timings=tmp / "t_empty.json" if timings else None)
    fail_if_bad(empty_run, tmp / "empty.duckdb")
    empty_run.report_files = count_files(tmp / "reports_empty")
    full_run = run_qc(week_args(last, full, tmp / "reports_full"), tmp / "qc_full.log",
                      timings=tmp / "t_full.json" if timings else None)
    fail_if_bad(full_run, full)
    full_run.report_files = count_files(tmp / "reports_full")
    print_run(f"week {k + 1} into an empty warehouse", empty_run, args.messages)
    print_run(f"week {k + 1} into the {k}-week warehouse", full_run, args.messages)
    ratio = full_run.seconds / empty_run.seconds
    print(f"\n  [{verdict(ratio <= TARGET_INCREMENTAL_RATIO)}] adding week {k + 1} to {k} weeks costs "
          f"<= {TARGET_INCREMENTAL_RATIO}x adding it to an empty warehouse: {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="chat messages (per week with --incremental-weeks)")
    parser.add_argument("--weeks", type=int, default=1, help="ISO weeks the messages are spread over")
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--naive-messages", type=int, default=50_000,
                        help="messages of the subset of buyers for the pandas baseline (0: skip it)")
    parser.add_argument("--profile", action="store_true", help="run qc run once more under cProfile, print the top 25")
    parser.add_argument("--incremental-weeks", type=int, default=0, metavar="K",
                        help="build K weeks, then time week K+1 into them vs into an empty warehouse")
    parser.add_argument("--keep", type=Path, help="write the workload, warehouse and reports here and keep them")
    args = parser.parse_args(argv)

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (incremental if args.incremental_weeks else one_run)(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmp:
            (incremental if args.incremental_weeks else one_run)(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
