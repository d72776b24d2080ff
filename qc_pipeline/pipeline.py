"""The weekly batch job: ingest -> warehouse -> derived tables (the conductor) -> reports.

The CLI is a thin shell over these functions; tests call them directly too.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import polars as pl

# `rebuild(con, config, ruleset=None, scorecard=None, *, shops=None, weeks=None, force=False)`: recompute
# every stale (shop, week) partition, or with `force` every partition of the selection.
from qc_pipeline.conductor import RebuildReport, rebuild
from qc_pipeline.config import Config
from qc_pipeline.errors import UserError
from qc_pipeline.ingest import UnreadableFile, discover, read_file
from qc_pipeline.ingest.discover import Discovered
from qc_pipeline.ingest.errors import unexpected_failure
from qc_pipeline.ingest.source import file_sha256
from qc_pipeline.rules import RuleSet
from qc_pipeline.reports.weeks import unknown_week
from qc_pipeline.scoring.scorecard import Scorecard
from qc_pipeline.store.warehouse import LoadCounts, load_parsed, record_unreadable, scalar


@dataclass
class FileOutcome:
    path: str
    kind: str | None = None
    format: str | None = None
    encoding: str | None = None
    counts: LoadCounts | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    weeks_touched: set[str] = field(default_factory=set)
    # Folders under the inputs left out as chat-qc's own output (see ingest/discover.py).
    skipped: list[str] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(f.counts, attr) for f in self.files if f.counts is not None)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.error]


def _require(path: Path, expected_kind: str, parsed_kind: str) -> None:
    if parsed_kind != expected_kind:
        raise UserError(f"{path}: expected {expected_kind} export, but the content looks like {parsed_kind}")


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    inputs: Iterable[Path],
    config: Config,
    *,
    orders: Iterable[Path] = (),
    roster: Path | None = None,
    on_file: Callable[[Path], None] | None = None,
    files: list[tuple[Path, str | None]] | None = None,
) -> IngestReport:
    """Load every file, each in its own transaction. A file that cannot be read fails alone, whatever
    goes wrong while reading it: the failure is recorded (one line) and the next file is read."""
    if files is None:
        files = plan_files(inputs, orders=orders, roster=roster)
    report = IngestReport(skipped=[str(p) for p in getattr(files, "skipped", [])])
    for path, expected in files:
        if on_file:
            on_file(path)
        outcome = FileOutcome(str(path))
        report.files.append(outcome)
        try:
            parsed = read_file(path, config)
            if expected:
                _require(path, expected, parsed.kind)
        except UnreadableFile as exc:
            _failed(con, outcome, path, str(exc))
            continue
        except (UserError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - any reader bug or hostile input fails this file only
            _failed(con, outcome, path, unexpected_failure(path, exc))
            continue
        outcome.kind, outcome.format, outcome.encoding = parsed.kind, parsed.format, parsed.encoding
        outcome.warnings = list(parsed.warnings)
        if parsed.kind == "ignored":
            continue
        try:
            # A streamed file is read while it loads; its transaction is rolled back on any error.
            outcome.counts = load_parsed(con, parsed)
        except UnreadableFile as exc:
            _failed(con, outcome, path, str(exc))
            continue
        except (UserError, MemoryError, *WAREHOUSE_FAILURES):
            raise
        except Exception as exc:  # noqa: BLE001 - as above; the warehouse's own failures are raised
            _failed(con, outcome, path, unexpected_failure(path, exc))
            continue
        # The weeks a chat export covers are reported even when it adds nothing new.
        report.weeks_touched |= outcome.counts.weeks | {w for s, w in outcome.counts.touched if s != "*"}
    return report


def plan_files(
    inputs: Iterable[Path], *, orders: Iterable[Path] = (), roster: Path | None = None
) -> Discovered:
    """Every file to load with the kind it must have (None: whatever its content says); ``.skipped``
    holds the folders left out as chat-qc's own output."""
    planned: list[tuple[Path, str | None]] = []
    skipped: list[Path] = []
    found = [discover([Path(roster)])] if roster is not None else []
    found += [discover([Path(p) for p in orders]), discover([Path(p) for p in inputs])]
    if roster is not None:
        planned += [(p, "roster") for p in found[0]]
    planned += [(p, "orders") for p in found[-2]]
    forced = {p for p, _ in planned}
    planned += [(p, None) for p in found[-1] if p not in forced]
    for each in found:
        skipped += [p for p in each.skipped if p not in skipped]
    return Discovered(planned, skipped)


# Failures of the warehouse itself (its disk, its memory, DuckDB's internals), not of the file being
# loaded: the run stops with them rather than blame every remaining file.
WAREHOUSE_FAILURES = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.FatalException, duckdb.InternalException)


def _failed(con: duckdb.DuckDBPyConnection, outcome: FileOutcome, path: Path, message: str) -> None:
    outcome.error = message
    record_unreadable(con, str(path), _sha256_or_none(path), message)




def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)  # a block at a time: a refused file may be far bigger than memory
    except UnreadableFile:
        return None


@dataclass
class WeekRun:
    """What `run_week` did: files read, partitions recomputed, report files written, seconds per stage."""

    ingest: IngestReport
    rebuild: RebuildReport
    weeks: list[str]
    written: dict[str, list[Path]]
    seconds: dict[str, float]


# What `qc run` writes besides each week's reports; `--skip` names the ones to leave out.
PACK_PARTS = ("cases", "topics", "quarantine")


def run_week(
    con: duckdb.DuckDBPyConnection,
    inputs: Iterable[Path],
    config: Config,
    out: Path,
    *,
    orders: Iterable[Path] = (),
    roster: Path | None = None,
    ruleset: RuleSet | None = None,
    scorecard: Scorecard | None = None,
    week: str | None = None,
    lang: str = "zh",
    mask: bool = True,
    files: list[tuple[Path, str | None]] | None = None,
    on_file: Callable[[Path], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    parts: Iterable[str] = PACK_PARTS,
) -> WeekRun:
    """The weekly job (`qc run`): ingest the exports, recompute what they changed, and write the weekly pack
    of every ISO week the input touched (or `week`): the reports, and of `parts` the case library
    (`<week>/cases/`), the topics (`<week>/topics/`) and the quarantine page (`<out>/quarantine/quarantine.html`).
    Arguments are validated by the caller before this runs."""
    from qc_pipeline.reports import write_reports

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    ingested = ingest_paths(con, inputs, config, orders=orders, roster=roster, files=files, on_file=on_file)
    seconds["ingest"] = time.perf_counter() - started
    if on_stage:
        on_stage("derive")
    rebuilt = rebuild(con, config, ruleset, scorecard)
    for stage, value in rebuilt.seconds.items():
        seconds[f"rebuild.{stage}"] = value
    held = known_weeks(con)
    if week is not None and week not in held:
        raise UserError(unknown_week_message(week, held))
    weeks = [week] if week else sorted(w for w in ingested.weeks_touched if w in held)
    parts = set(parts)
    written: dict[str, list[Path]] = {}

    def timed(stage: str, work):
        if on_stage:
            on_stage(stage)
        began = time.perf_counter()
        result = work()
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - began
        return result

    for w in weeks:
        # The topics page and the cases' topic tags cluster the same window the same way (four weeks up to
        # this one, seed 0): clustered once, when first needed, and used by both. The case library is
        # written first: its selection is the stage's largest memory, and it then finds none of the
        # topics' in use; and the agent pages link to the case pages it wrote.
        clustered: dict = {}

        def clustering(w=w, clustered=clustered):
            if "window" not in clustered:
                clustered["window"] = _cluster_week(con, w, config.topics_max_questions, "topics" in parts)
            return clustered["window"]

        cases = timed("cases", lambda: _write_week_cases(con, w, Path(out), lang, mask, clustering, config)) \
            if "cases" in parts else []
        written[w] = timed("reports", lambda: write_reports(con, w, out, lang=lang, mask=mask, config=config,
                                                            agent_week=True)) + cases
        if "topics" in parts:
            written[w] += timed("topics", lambda: _write_week_topics(con, clustering(), w, Path(out), lang))
    if "quarantine" in parts:
        from qc_pipeline.reports.quarantine import write_quarantine

        written["quarantine"] = write_quarantine(con, Path(out), lang=lang, mask=mask)
    return WeekRun(ingested, rebuilt, weeks, written, seconds)


def _cluster_week(con, week: str, max_questions: int, checked: bool):
    from qc_pipeline.cases.build import TOPIC_WEEKS
    from qc_pipeline.topics.mine import ClusteredWindow

    # mine_topics's default window is the cases' TOPIC_WEEKS (4) weeks ending with the week. Without the
    # topics page the week is not checked for sessions starting in it, as the case library never did.
    return ClusteredWindow(con, weeks=TOPIC_WEEKS, end_week=week, max_questions=max_questions, checked=checked)


def _write_week_cases(con, week: str, out: Path, lang: str, mask: bool, clustering, config: Config) -> list[Path]:
    from qc_pipeline.cases import build_cases, write_cases

    # The weekly job picks with the config's [cases] criteria and size, so a trainer's own criteria, set
    # there once, are what every run uses (a run replaces the week's selection).
    build_cases(con, week, top=config.cases_top, config=config.cases_criteria,
                topics=lambda sessions: clustering().topic_of(sessions))
    return write_cases(con, week, out / week / "cases", lang=lang, mask=mask)


def _write_week_topics(con, clustered, week: str, out: Path, lang: str) -> list[Path]:
    from qc_pipeline.topics import mine_topics, write_topics

    return write_topics(mine_topics(con, clustered=clustered), out / week / "topics", lang=lang)


def unknown_week_message(week: str, held: list[str]) -> str:
    """One wording for an unknown week, wherever it is asked for (reports.weeks.unknown_week)."""
    return str(unknown_week(week, held))


def warehouse_status(con: duckdb.DuckDBPyConnection) -> dict:
    """What the warehouse holds, for `qc status`."""
    one = lambda sql: scalar(con, sql)  # noqa: E731
    return {
        "files": con.sql(
            "SELECT path, kind, format, encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined, "
            "ingested_at FROM ingested_files ORDER BY ingested_at, path"
        ).fetchall(),
        "messages": one("SELECT count(*) FROM messages"),
        "quarantined": one("SELECT count(*) FROM quarantine"),
        "orders": one("SELECT count(*) FROM orders"),
        "sessions": one("SELECT count(*) FROM sessions"),
        "rounds": one("SELECT count(*) FROM rounds"),
        "weeks": [w for (w,) in con.execute("SELECT DISTINCT week FROM rounds ORDER BY week").fetchall()],
        "shops": [s for (s,) in con.execute("SELECT DISTINCT shop FROM messages ORDER BY shop").fetchall()],
        "agents": one("SELECT count(DISTINCT agent) FROM messages WHERE role = 'agent'"),
    }


def known_weeks(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [w for (w,) in con.execute("SELECT DISTINCT week FROM agent_week ORDER BY week").fetchall()]
