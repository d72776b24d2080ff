"""Peak RSS, CPU and wall seconds of each stage of `qc run`, in one process (Linux only).

    python benchmarks/stage_memory.py CHATS --orders ORDERS --roster ROSTER --db DB --out OUT [qc run options]

Runs `qc run` in this process with its stages wrapped: at each stage's end the process's peak RSS since
the previous mark is read (VmHWM of /proc/self/status, reset by writing 5 to /proc/self/clear_refs), with
the user + system CPU seconds and wall seconds it took. The rebuild's own laps (plan, read, derive, write,
weekly, monthly) are marks too, and so are the steps of the case library and the reports that hold the
most memory (the session facts, the topic window, the list rows, the list pages rendered, the workbook).
Prints one line per stage (summed over repeats, peak the largest) and the whole run's. The workload:
`bench_pipeline.py --keep DIR` writes and keeps one.
"""
from __future__ import annotations

import functools
import importlib
import os
import re
import sys
import time

_STATUS = re.compile(r"VmHWM:\s+(\d+) kB")
_rows: dict[str, list[float]] = {}
_last = {"wall": time.perf_counter(), "cpu": sum(os.times()[:2])}


def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        return int(_STATUS.search(f.read()).group(1)) / 1024


def mark(stage: str) -> None:
    """Charge what happened since the previous mark to `stage`, then start counting again."""
    wall, cpu = time.perf_counter(), sum(os.times()[:2])
    row = _rows.setdefault(stage, [0.0, 0.0, 0.0])
    row[0] += wall - _last["wall"]
    row[1] += cpu - _last["cpu"]
    row[2] = max(row[2], _peak_mb())
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    _last.update(wall=wall, cpu=cpu)


def _wrap(module, name: str, stage: str) -> None:
    inner = getattr(module, name)

    @functools.wraps(inner)
    def wrapped(*args, **kwargs):
        mark("(between stages)")
        try:
            return inner(*args, **kwargs)
        finally:
            mark(stage)

    setattr(module, name, wrapped)


# (module, function, the line it is charged to): the stages of `qc run`, then the steps inside the case
# library and the reports that hold the most memory.
_MARKED = (
    ("qc_pipeline.pipeline", "ingest_paths", "ingest"),
    ("qc_pipeline.pipeline", "rebuild", "rebuild.(rest)"),
    ("qc_pipeline.reports", "write_reports", "reports"),
    ("qc_pipeline.pipeline", "_write_week_cases", "cases"),
    ("qc_pipeline.pipeline", "_write_week_topics", "topics"),
    ("qc_pipeline.reports.quarantine", "write_quarantine", "quarantine"),
    ("qc_pipeline.cases.build", "session_facts", "cases.session_facts"),
    ("qc_pipeline.pipeline", "_cluster_week", "cases.topic window"),
    ("qc_pipeline.reports.sessions", "facts", "reports.session facts"),
    ("qc_pipeline.reports.detail", "_list_rows", "reports.list rows"),
    ("qc_pipeline.reports", "render_list", "reports.list pages"),
    ("qc_pipeline.reports", "write_workbook", "reports.workbook"),
)


def install() -> None:
    conductor = importlib.import_module("qc_pipeline.conductor.rebuild")

    lap = conductor._Clock.lap

    def marked_lap(self, stage: str) -> None:
        lap(self, stage)
        mark(f"rebuild.{stage}")

    conductor._Clock.lap = marked_lap
    for module, name, stage in _MARKED:
        _wrap(importlib.import_module(module), name, stage)


def main() -> int:
    start_wall, start_cpu = time.perf_counter(), sum(os.times()[:2])
    from qc_pipeline.cli import main as qc_main

    mark("(imports)")
    install()
    sys.argv = ["qc", "run", *sys.argv[1:]]
    code = 0
    try:
        qc_main()
    except SystemExit as exc:
        code = exc.code or 0
    mark("(exit)")
    print(f"\n{'stage':<20} {'wall s':>8} {'CPU s':>8} {'peak MB':>9}", file=sys.stderr)
    for stage, (wall, cpu, peak) in _rows.items():
        print(f"{stage:<20} {wall:8.2f} {cpu:8.2f} {peak:9,.0f}", file=sys.stderr)
    print(f"{'(whole run)':<20} {time.perf_counter() - start_wall:8.2f} {sum(os.times()[:2]) - start_cpu:8.2f} "
          f"{max(r[2] for r in _rows.values()):9,.0f}", file=sys.stderr)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
