"""Spark engine against itself and the local engine: `qc run --engine spark` at local[1] and local[2].

    python benchmarks/bench_spark.py --messages 2000000 --shops 20 --weeks 2     # quiet 2-core machine
    python benchmarks/bench_spark.py --messages 200000 --shops 10                # a quick look

Writes a many-shop workload (`qc_pipeline.sample.bulk.write_workload`, as bench_pipeline.py) in a child
process and splits the chats into one export per shop. Then times, each as its own process from start to
exit, on the same inputs: the local engine `qc run`, and `qc run --engine spark --lake` with
`--spark-master local[1]` and `local[2]`. Each Spark run writes `--timings` (seconds per step, each
file's ingest task, each shop's grouped task) and a Spark event log (shuffle bytes, task run times).
Prints wall time, messages/s, the speed-up from the second core, Spark's overhead against the local
engine, peak RSS of the process tree (driver, JVM, Python workers), a cost-per-shop-partition table,
the per-file ingest tasks, and an extrapolation on paper to --target-messages over --executors.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import qc_command  # noqa: E402


@dataclass
class Run:
    label: str
    seconds: float
    returncode: int
    log: Path
    rss_mb: dict[str, float] = field(default_factory=dict)  # peak per part of the process tree
    timings: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    load: tuple = ()


def generate(folder: Path, n: int, seed: int, weeks: int, shops: int, agents: int) -> float:
    """The workload in a child process, chats split into one export per shop (as seller centres export)."""
    t = time.perf_counter()
    code = (
        "import json, sys; from pathlib import Path; import polars as pl\n"
        "from qc_pipeline.sample.bulk import write_workload\n"
        "a = json.loads(sys.argv[1]); folder = Path(a['folder'])\n"
        "p = write_workload(folder, a['n'], a['seed'], weeks=a['weeks'], shops=a['shops'], agents=a['agents'], tag='bench')\n"
        "chats = pl.read_csv(p['chats'], infer_schema=False); (folder / 'chats').mkdir()\n"
        "for i, (_, part) in enumerate(sorted(chats.partition_by('shop', as_dict=True).items())):\n"
        "    part.write_csv(folder / 'chats' / f'shop_{i:03d}.csv')\n"
        "p['chats'].unlink()\n"
    )
    spec = dict(folder=str(folder), n=n, seed=seed, weeks=weeks, shops=shops, agents=agents)
    subprocess.run([sys.executable, "-c", code, json.dumps(spec)], check=True)
    return time.perf_counter() - t


def _part(proc: psutil.Process, root: int) -> str:
    try:
        if proc.pid == root:
            return "driver"
        name = proc.name()
        return "jvm" if name.startswith("java") else "workers"
    except psutil.Error:
        return "workers"


def run_qc(label: str, args: list[str], log: Path, env: dict | None = None) -> Run:
    """`qc run ARGS` as its own process: wall time, and the peak RSS of its whole process tree, sampled."""
    peaks: dict[str, float] = {}
    done = threading.Event()

    def sample(pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not done.is_set():
            parts: dict[str, float] = {}
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        parts[_part(proc, pid)] = parts.get(_part(proc, pid), 0) + proc.memory_info().rss / 2**20
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            parts["tree"] = sum(parts.values())
            for k, v in parts.items():
                peaks[k] = max(peaks.get(k, 0), v)
            done.wait(0.1)

    load = os.getloadavg()
    with open(log, "w") as out:
        t = time.perf_counter()
        child = subprocess.Popen([*qc_command(), "run", *args], stdout=out, stderr=subprocess.STDOUT,
                                 env={**os.environ, "COLUMNS": "160", **(env or {})})
        watcher = threading.Thread(target=sample, args=(child.pid,), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t
    done.set()
    watcher.join()
    run = Run(label, seconds, os.waitstatus_to_exitcode(status), log, peaks, load=(load, os.getloadavg()))
    run.rss_mb["driver (wait4)"] = usage.ru_maxrss / 1024
    if run.returncode != 0:
        print(f"{label} exited {run.returncode}; last lines of {log}:")
        print("\n".join(log.read_text(errors="replace").splitlines()[-25:]))
        sys.exit(1)
    return run


def read_events(folder: Path) -> dict:
    """From the Spark event log: per job description, tasks, task run seconds, shuffle bytes written."""
    stage_job: dict[int, str] = {}
    out: dict[str, dict] = {}
    # Spark 4 writes a rolling log: a directory of event files (and an empty status file) per application.
    for path in sorted(p for p in folder.rglob("events_*") if p.is_file()):
        for line in path.open(errors="replace"):
            e = json.loads(line)
            kind = e.get("Event")
            if kind == "SparkListenerJobStart":
                desc = (e.get("Properties") or {}).get("spark.job.description") or "other"
                for sid in e.get("Stage IDs", []):
                    stage_job[sid] = desc
            elif kind == "SparkListenerTaskEnd":
                desc = stage_job.get(e.get("Stage ID"), "other")
                m = e.get("Task Metrics") or {}
                agg = out.setdefault(desc, {"tasks": 0, "run_s": 0.0, "shuffle_write": 0, "shuffle_read": 0})
                agg["tasks"] += 1
                agg["run_s"] += m.get("Executor Run Time", 0) / 1000
                agg["shuffle_write"] += (m.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
                r = m.get("Shuffle Read Metrics") or {}
                agg["shuffle_read"] += r.get("Remote Bytes Read", 0) + r.get("Local Bytes Read", 0)
    return out


def spark_run(label: str, master: str, inputs: list[str], tmp: Path) -> Run:
    events = tmp / f"events_{label}"
    events.mkdir()
    timings = tmp / f"timings_{label}.json"
    env = {"PYSPARK_SUBMIT_ARGS": f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file://{events} "
                                  "--conf spark.eventLog.compress=false pyspark-shell"}
    run = run_qc(label, [*inputs, "--engine", "spark", "--lake", str(tmp / f"lake_{label}"), "--spark-master", master,
                         "--out", str(tmp / f"reports_{label}"), "--timings", str(timings)], tmp / f"{label}.log", env)
    run.timings = json.loads(timings.read_text())
    run.events = read_events(events)
    return run


def partitions_per_shop(lake: Path) -> dict[str, int]:
    frame = pl.read_parquet(str(lake / "partitions" / "shop=*" / "**" / "*.parquet"), hive_partitioning=False)
    return dict(frame.group_by("shop").len().iter_rows())


def fmt_rss(run: Run) -> str:
    return ", ".join(f"{k} {v:,.0f}" for k, v in run.rss_mb.items()) + " MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=2, help="ISO weeks the messages are spread over")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-messages", type=float, default=1e9, help="extrapolation: messages")
    parser.add_argument("--executors", type=int, default=100, help="extrapolation: executors, one core each")
    parser.add_argument("--target-shops", type=int, default=500, help="extrapolation: shops")
    parser.add_argument("--target-weeks", type=int, default=52, help="extrapolation: weeks")
    parser.add_argument("--network-mb-s", type=float, default=100.0, help="extrapolation: shuffle MB/s per executor")
    parser.add_argument("--keep", type=Path, help="keep the workload, lakes, warehouse, logs here")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        bench(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="qc-bench-spark-") as tmp:
            bench(args, Path(tmp))
    return 0


def bench(args, tmp: Path) -> None:
    data = tmp / "data"
    gen_s = generate(data, args.messages, args.seed, args.weeks, args.shops, args.agents)
    files = sorted((data / "chats").iterdir())
    inputs = [str(data / "chats"), "--orders", str(data / "orders_bench.csv"), "--roster", str(data / "roster.csv")]
    n = args.messages
    print(f"workload: {n:,} messages over {args.weeks} week(s), {args.shops} shops, {args.agents} agents, "
          f"{len(files)} chat exports ({sum(p.stat().st_size for p in files) / 1e6:,.0f} MB) + orders + roster; "
          f"generated in {gen_s:.1f} s (not counted)")

    local = run_qc("local", [*inputs, "--db", str(tmp / "qc.duckdb"), "--out", str(tmp / "reports_local"),
                             "--timings", str(tmp / "timings_local.json")], tmp / "local.log")
    one = spark_run("local1", "local[1]", inputs, tmp)
    two = spark_run("local2", "local[2]", inputs, tmp)

    print("\nend to end, each its own process (load average 1 min before -> after):")
    for run in (local, one, two):
        print(f"  {run.label:<7} {run.seconds:7.2f} s  {n / run.seconds:>10,.0f} msg/s  load {run.load[0][0]:.2f} -> "
              f"{run.load[1][0]:.2f}  peak RSS {fmt_rss(run)}")
        if run.timings:
            print("          steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in run.timings["seconds"].items())
                  + f"; in process {run.timings['total']:.2f} s")
    print(f"  speed-up from the second core: {one.seconds / two.seconds:.2f}x end to end; "
          + ", ".join(f"{k} {one.timings['seconds'][k] / two.timings['seconds'][k]:.2f}x"
                      for k in ("ingest", "decide", "derive") if two.timings["seconds"].get(k)))
    print(f"  Spark's overhead against the local engine: local[2] {two.seconds / local.seconds:.1f}x "
          f"(+{two.seconds - local.seconds:.1f} s), local[1] {one.seconds / local.seconds:.1f}x; "
          f"session start {two.timings['seconds']['spark_start']:.1f} s of it")

    print("\nSpark jobs from the event log (local[1] | local[2]): tasks, task run seconds, shuffle written")
    for desc in sorted(set(one.events) | set(two.events)):
        a, b = one.events.get(desc, {}), two.events.get(desc, {})
        print(f"  {desc[:52]:<52} {a.get('tasks', 0):>4} {a.get('run_s', 0):7.2f} s {a.get('shuffle_write', 0) / 1e6:8.1f} MB"
              f" | {b.get('tasks', 0):>4} {b.get('run_s', 0):7.2f} s {b.get('shuffle_write', 0) / 1e6:8.1f} MB")
    shuffle = sum(e["shuffle_write"] for e in one.events.values())
    print(f"  shuffle written per message: {shuffle / n:,.1f} bytes")

    parts = partitions_per_shop(tmp / "lake_local1")
    shops1 = pl.DataFrame(one.timings["shop_tasks"])
    shops2 = pl.DataFrame(two.timings["shop_tasks"]).select("shop", pl.col("seconds").alias("seconds_2"))
    table = shops1.join(shops2, on="shop", how="left").with_columns(
        pl.col("shop").replace_strict(parts, default=0).alias("partitions")).sort("messages", descending=True)
    print("\ncost per shop task (one grouped applyInArrow call: all weeks of a shop), seconds inside the function:")
    print(f"  {'shop':<16} {'messages':>9} {'orders':>7} {'parts':>5} {'local[1] s':>10} {'µs/msg':>7} {'s/part':>7} {'local[2] s':>10}")
    for r in table.iter_rows(named=True):
        print(f"  {str(r['shop'])[:16]:<16} {r['messages']:>9,} {r['orders']:>7,} {r['partitions']:>5} {r['seconds']:>10.2f} "
              f"{r['seconds'] / max(r['messages'], 1) * 1e6:>7.1f} {r['seconds'] / max(r['partitions'], 1):>7.2f} "
              f"{r['seconds_2'] or 0:>10.2f}")
    derive_us = table["seconds"].sum() / n * 1e6
    derive_us_2 = table["seconds_2"].sum() / n * 1e6
    print(f"  sum {table['seconds'].sum():.2f} s = {derive_us:.1f} µs/message at local[1], {derive_us_2:.1f} at local[2] "
          f"(two tasks sharing the machine); {table['partitions'].sum()} shop-week partitions")

    ftasks = pl.DataFrame(one.timings["file_tasks"])
    chat_tasks = ftasks.filter(pl.col("kind") == "chat")
    print("\ningest tasks at local[1] (one per export): "
          + ", ".join(f"{k} {v}" for k, v in [("files", ftasks.height)]))
    for r in ftasks.sort("bytes", descending=True).head(8).iter_rows(named=True):
        print(f"  {Path(r['path']).name:<22} {r['kind'] or '-':<7} {r['bytes'] / 1e6:7.1f} MB {r['rows'] or 0:>9,} rows "
              f"{r['seconds']:6.2f} s {r['bytes'] / 1e6 / max(r['seconds'], 1e-9):6.1f} MB/s")
    ingest_us = chat_tasks["seconds"].sum() / max(chat_tasks["rows"].sum(), 1) * 1e6
    print(f"  chat exports: {chat_tasks['seconds'].sum():.2f} s for {chat_tasks['rows'].sum():,} rows = {ingest_us:.1f} µs/message")

    extrapolate(args, n, one, ingest_us, derive_us, shuffle / n, table)


def extrapolate(args, n: int, one: Run, ingest_us: float, derive_us: float, shuffle_per_msg: float,
                table: pl.DataFrame) -> None:
    m, e, s, w = args.target_messages, args.executors, args.target_shops, args.target_weeks
    per_shop = m / s
    steps = one.timings["seconds"]
    decide_us = steps["decide"] / n * 1e6  # a shuffle job over all messages, measured on one core
    ingest_s = ingest_us * 1e-6 * m / e
    decide_s = decide_us * 1e-6 * m / e
    waves = math.ceil(s / e)
    task_s = derive_us * 1e-6 * per_shop
    derive_s = waves * task_s
    shuffle_s = shuffle_per_msg * m / (e * args.network_mb_s * 1e6)
    worker_mb = one.rss_mb.get("workers", 0)
    biggest = table["messages"].max() or 1
    print(f"\nextrapolation on paper: {m:,.0f} messages, {s} shops x {w} weeks = {s * w:,} partitions "
          f"({m / (s * w):,.0f} messages each), {e} executors of one core")
    print("  assumptions: per-partition cost linear in messages (µs/message measured at local[1] above); a task is a "
          "shop (all its weeks), so derive runs in ceil(shops / executors) waves; exports are many and even, one task "
          f"each; shuffle bytes per message as measured, at {args.network_mb_s:.0f} MB/s per executor; no skew, no "
          "stragglers, no retries; driver steps (session start, swap, reports) not parallel")
    rows = [
        ("ingest", f"{ingest_us:.1f} µs/msg x {m:,.0f} / {e}", ingest_s),
        ("decide (dedup, versions)", f"{decide_us:.1f} µs/msg x {m:,.0f} / {e}", decide_s),
        ("derive", f"{waves} waves x {task_s:,.0f} s ({per_shop:,.0f} msg/shop x {derive_us:.1f} µs)", derive_s),
        ("shuffle transfer", f"{shuffle_per_msg:.0f} B/msg x {m:,.0f} = {shuffle_per_msg * m / 1e9:,.0f} GB", shuffle_s),
    ]
    for name, how, sec in rows:
        print(f"  {name:<26} {how:<60} {sec:>9,.0f} s")
    total = sum(r[2] for r in rows)
    print(f"  {'total on the cluster':<26} {'':<60} {total:>9,.0f} s = {total / 3600:.2f} h")
    print(f"  on the driver besides: swap of {s * w * 12:,} partition files (a rename here, a copy on object stores), "
          f"reports {steps.get('reports', 0) / n * 1e6:.1f} µs/msg measured here = "
          f"{steps.get('reports', 0) / n * m / 3600:.1f} h for all {w} weeks on one machine")
    print(f"  memory: Python workers peaked at {worker_mb:,.0f} MB with the biggest shop of {biggest:,} messages; "
          f"linear, a shop of {per_shop:,.0f} needs ~{worker_mb / biggest * per_shop / 1024:,.1f} GB of memoryOverhead")


if __name__ == "__main__":
    sys.exit(main())
