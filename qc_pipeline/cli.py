"""The `qc` command. Each command is a thin shell over functions in `qc_pipeline.pipeline`."""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qc_pipeline.cli_shell import QcGroup, debugging, os_error_line, unexpected
from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError

app = typer.Typer(
    cls=QcGroup,
    add_completion=False,
    no_args_is_help=True,
    help="chat-qc: quality inspection (质检) of e-commerce customer-service chat logs.",
)
# A log file or a pipe gets no colours and no wrapping at 80 columns (names were broken mid-word in cron logs).
# Emoji codes off: a file named x:thumbs_up:y is printed as it is named.
console = Console(emoji=False) if Console().is_terminal else Console(width=1000, no_color=True, highlight=False,
                                                                     emoji=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)

DB_OPTION = typer.Option(Path("qc.duckdb"), "--db", help="The DuckDB warehouse file.")
CONFIG_OPTION = typer.Option(None, "--config", help="A TOML file overriding any subset of the shipped config.")
ORDERS_OPTION = typer.Option(None, "--orders", help="Order exports (订单报表 CSV or canonical order table).")
ROSTER_OPTION = typer.Option(None, "--roster", help="Agent roster CSV: agent, name, team, role.")
RULES_OPTION = typer.Option(None, "--rules", help="Extra rule files: add, switch off or re-weight rules.")
SCORECARD_OPTION = typer.Option(None, "--scorecard", help="A scorecard TOML overriding the shipped one.")


def _check_lang(lang: str) -> str:
    """Checked while the arguments are parsed, before any work (cases and topics once failed after it)."""
    from qc_pipeline.reports.labels import LANGS

    if lang not in LANGS:
        raise typer.BadParameter(f"must be {' or '.join(LANGS)}, got {lang!r}")
    return lang


LANG_OPTION = typer.Option("zh", "--lang", help="Report labels: zh or en.", callback=_check_lang)
NO_MASK_OPTION = typer.Option(
    False, "--no-mask", help="Show buyers' phone numbers, addresses and nicks unmasked (internal audits only)."
)
LAKE_READ_OPTION = typer.Option(
    None, "--lake", help="Read a Parquet lake (folder or URI) written by `qc run --engine spark` instead of --db.")


def command(group: typer.Typer | None = None, name: str | None = None):
    """Register a command whose user mistakes print one clear line and exit 2, never a traceback."""

    def register(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except UserError as exc:
                err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
                raise typer.Exit(2) from None
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except OSError as exc:  # a path the user named: unreadable, a folder, no space left
                if debugging():
                    raise
                err_console.print(f"[red]error:[/] {escape(os_error_line(exc))}", highlight=False)
                raise typer.Exit(2) from None
            except Exception as exc:  # a bug: one line, and how to get the traceback
                if debugging():
                    raise
                err_console.print(f"[red]error:[/] {escape(unexpected(exc))}", highlight=False)
                raise typer.Exit(1) from None

        return (group or app).command(name)(wrapper)

    return register


def _check_week(week: Optional[str], option: str = "--week") -> None:
    from qc_pipeline.reports.weeks import check_week

    if week is not None:
        check_week(week, option)


def _no_files(inputs, files) -> str:
    message = "no input files found in " + ", ".join(str(p) for p in inputs)
    if files.skipped:
        message += f" (skipped as chat-qc's own output: {', '.join(str(p) for p in files.skipped)})"
    return message


def _ingest_with_progress(con, inputs, config, orders, roster):
    from qc_pipeline.pipeline import ingest_paths, plan_files

    files = plan_files(inputs, orders=orders or [], roster=roster)
    if not files:
        raise UserError(_no_files(inputs, files))
    with Progress(
        TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, transient=True,
    ) as progress:
        task = progress.add_task("", total=len(files))
        finished_before = iter(range(len(files)))

        def on_file(path: Path) -> None:  # called as each file starts
            progress.update(task, completed=next(finished_before), description=escape(path.name))

        report = ingest_paths(con, inputs, config, files=files, on_file=on_file)
        progress.update(task, completed=len(files))
    _print_ingest(report)
    return report


@contextlib.contextmanager
def _ingest_progress(total: int):
    """Progress over the files, then over the stages after ingest; (on_file, on_stage) callbacks."""
    with Progress(
        TextColumn("[bold]{task.fields[stage]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=total, stage="ingest")
        finished_before = iter(range(total))

        def on_file(path: Path) -> None:
            progress.update(task, completed=next(finished_before, total), description=escape(path.name))

        def on_stage(stage: str) -> None:
            progress.update(task, completed=total, stage=stage, description="")

        yield on_file, on_stage


def _print_ingest(report) -> None:
    table = Table(title="Files", show_lines=False)
    for col in ("file", "format", "enc", "read", "loaded", "dup", "quar"):
        numeric = col in ("read", "loaded", "dup", "quar")
        table.add_column(
            col, justify="right" if numeric else "left", overflow="fold", no_wrap=numeric,
            min_width=18 if col == "file" else None,
        )
    for f in report.files:
        if f.error:
            table.add_row(escape(Path(f.path).name), "[red]unreadable[/]", "", "", "", "", "")
        elif f.counts is None:
            table.add_row(escape(Path(f.path).name), f"{f.format} ({f.kind})", f.encoding or "-", "", "", "", "")
        else:
            c = f.counts
            table.add_row(escape(Path(f.path).name), f.format, f.encoding or "-", str(c.rows_read), str(c.rows_loaded),
                          str(c.rows_duplicate), str(c.rows_quarantined))
    console.print(table)
    console.print(
        f"rows: {report.total('rows_read')} read, {report.total('rows_loaded')} loaded, "
        f"{report.total('rows_duplicate')} duplicate, {report.total('rows_quarantined')} quarantined"
        + (" (see the quarantine table)" if report.total("rows_quarantined") else "")
        + (f"; {report.total('id_clashes')} exporter id clashes (see the id_clashes table)"
           if report.total("id_clashes") else "")
    )
    from qc_pipeline.ingest.discover import OUTPUT_MARKER

    for folder in report.skipped:
        console.print(f"skipped {escape(folder)}: chat-qc's own output (it holds {OUTPUT_MARKER})", highlight=False)
    for f in report.files:
        if f.counts is not None and f.counts.id_clashes:
            err_console.print(
                f"[yellow]warning:[/] {escape(f.path)}: {f.counts.id_clashes} message(s) carry an exporter msg_id "
                "another message already holds; each is kept as its own message (see the id_clashes table)")
        for warning in f.warnings:
            err_console.print(f"[yellow]warning:[/] {escape(f.path)}: {escape(warning)}")
        if f.error:
            err_console.print(f"[red]error:[/] {escape(f.error)}")


def _print_rebuild(result) -> None:
    if not result.partitions:
        console.print("derived tables up to date: no (shop, week) partition changed")
        return
    console.print(
        f"recomputed {result.partitions} partitions: {result.sessions} sessions, {result.rounds} rounds, {result.flags} flags, "
        f"{result.inquiries} inquiries, {result.agent_weeks} agent-weeks; weeks: {', '.join(result.weeks) or '-'}"
    )
    if result.rule_partitions or result.score_partitions:
        console.print(
            f"  of those, {result.rule_partitions} with new flags and scores only (another rule set) and "
            f"{result.score_partitions} with new scores only (another scorecard): sessions, rounds and "
            "conversion kept as stored"
        )
    if result.orders_unmatched:
        err_console.print(
            f"[yellow]warning:[/] {result.orders_unmatched} orders name a buyer who never chatted with the shop "
            "(another shop or period, or masked nicks?) — see order_attribution.matched_buyer"
        )
    if result.agents_without_roster:
        names = ", ".join(result.agents_without_roster)
        err_console.print(f"[yellow]warning:[/] not in the roster, counted as presale: {escape(names)}")
    if result.unattributed_rounds:
        err_console.print(
            f"[yellow]warning:[/] {result.unattributed_rounds} rounds name no agent at all and are left out of agent_week"
        )


@command()
def run(
    inputs: List[Path] = typer.Argument(..., help="Chat/order export files or folders (searched recursively)."),
    orders: Optional[List[Path]] = ORDERS_OPTION,
    roster: Optional[Path] = ROSTER_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    db: Path = DB_OPTION,
    out: Path = typer.Option(Path("reports"), "--out", help="Folder for the weekly reports."),
    week: Optional[str] = typer.Option(None, "--week", help="Report only this ISO week, e.g. 2026-W47."),
    rules: Optional[List[Path]] = RULES_OPTION,
    scorecard: Optional[Path] = SCORECARD_OPTION,
    lang: str = LANG_OPTION,
    no_mask: bool = NO_MASK_OPTION,
    timings: Optional[Path] = typer.Option(
        None, "--timings", help="Write seconds per stage as JSON to this file (for benchmarks)."
    ),
    engine: str = typer.Option("local", "--engine", help="local (DuckDB warehouse, --db) or spark (Parquet lake, --lake)."),
    lake: Optional[str] = typer.Option(None, "--lake", help="With --engine spark: the lake folder or URI to write."),
    spark_master: str = typer.Option(
        "local[*]", "--spark-master", help="With --engine spark: local[N], yarn, k8s://…, spark://… (docs/spark.md)."),
    skip: Optional[List[str]] = typer.Option(
        None, "--skip", help="Leave out a part of the weekly pack: cases, topics or quarantine (repeat for several)."),
) -> None:
    """Ingest exports, recompute the partitions they changed, and write the weekly pack: reports, case
    library, topics and the quarantine page."""
    import json
    import time

    from qc_pipeline.pipeline import PACK_PARTS, plan_files, run_week
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard
    from qc_pipeline.store.warehouse import open_warehouse

    started = time.perf_counter()
    _check_week(week)
    for part in skip or []:
        if part not in PACK_PARTS:
            raise UserError(f"--skip {part!r}: expected one of {', '.join(PACK_PARTS)}")
    cfg = load_config(config)
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    card = load_scorecard(scorecard or cfg.scorecard_path)
    if engine not in ("local", "spark"):
        raise UserError(f"--engine {engine!r}: expected local or spark")
    if engine == "local" and lake is not None:
        raise UserError("--lake is written by the Spark engine: add --engine spark (the local engine uses --db)")
    if engine == "spark" and skip:
        raise UserError("--skip applies to the local engine's pack; with --engine spark, qc run writes the reports "
                        "only (docs/spark.md)")
    if engine == "spark" and lake is None:
        raise UserError("--engine spark needs --lake DIR (a folder or a URI such as s3a://bucket/qc)")
    files = plan_files(inputs, orders=orders or [], roster=roster)
    if not files:
        raise UserError(_no_files(inputs, files))
    if engine == "spark":
        figures = _run_spark(files, cfg, ruleset, card, lake, spark_master, out, week, lang, not no_mask)
        if timings is not None:
            figures["total"] = time.perf_counter() - started
            timings.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
        if figures["unreadable"]:
            raise typer.Exit(1)
        return
    con = open_warehouse(db)
    try:
        with _ingest_progress(len(files)) as (on_file, on_stage):
            result = run_week(
                con, inputs, cfg, out, orders=orders or [], roster=roster, ruleset=ruleset, scorecard=card,
                week=week, lang=lang, mask=not no_mask, files=files, on_file=on_file, on_stage=on_stage,
                parts=[p for p in PACK_PARTS if p not in (skip or [])],
            )
    finally:
        con.close()
    _print_ingest(result.ingest)
    _print_rebuild(result.rebuild)
    for w, paths in result.written.items():
        if w == "quarantine":
            console.print(f"wrote the quarantine page: {escape(str(paths[0]))}")
        else:
            console.print(f"wrote {len(paths)} report files to {escape(str(Path(out) / w))}")
    if timings is not None:
        figures = {"messages": result.ingest.total("rows_loaded"), "seconds": result.seconds,
                   "total": time.perf_counter() - started}
        timings.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if result.ingest.failed:
        raise typer.Exit(1)


@command()
def rebuild(
    config: Optional[Path] = CONFIG_OPTION,
    db: Path = DB_OPTION,
    shop: Optional[List[str]] = typer.Option(None, "--shop", help="Only this shop (repeat for several)."),
    weeks: Optional[str] = typer.Option(None, "--weeks", help="Only these ISO weeks: 2026-W40..2026-W47, or one week."),
    rules: Optional[List[Path]] = RULES_OPTION,
    scorecard: Optional[Path] = SCORECARD_OPTION,
) -> None:
    """Recompute the derived tables of the selected partitions (all of them by default) from the warehouse."""
    from qc_pipeline.pipeline import rebuild as rebuild_partitions
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard
    from qc_pipeline.store.warehouse import open_warehouse

    span = _week_range(weeks)
    cfg = load_config(config)
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    card = load_scorecard(scorecard or cfg.scorecard_path)
    if not db.exists():
        raise UserError(f"{db}: no warehouse here (run `qc run` or `qc ingest` first, or pass --db)")
    con = open_warehouse(db)
    try:
        with console.status("recomputing partitions"):
            result = rebuild_partitions(con, cfg, ruleset, card, shops=list(shop or []) or None, weeks=span, force=True)
    finally:
        con.close()
    _print_rebuild(result)


def _run_spark(files, cfg, ruleset, card, lake: str, master: str, out: Path, week, lang: str, mask: bool) -> dict:
    """`qc run --engine spark`: the Spark job into the lake, then the reports read from the lake. Returns
    the figures `--timings` writes: seconds per step, and each file's and each shop's task."""
    import time

    from qc_pipeline.pipeline import known_weeks, unknown_week_message
    from qc_pipeline.reports import write_reports
    from qc_pipeline.spark import session

    session.require()
    from qc_pipeline.spark.job import run_spark

    started = time.perf_counter()
    spark = session.spark_session(master)
    seconds = {"spark_start": time.perf_counter() - started}
    with console.status("ingest and derived tables on Spark"):
        result = run_spark(spark, [], lake, cfg, ruleset=ruleset, scorecard=card, files=files)
    seconds.update(result.seconds)
    started = time.perf_counter()
    for path, warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(path)}: {escape(warning)}")
    for error in result.unreadable:
        err_console.print(f"[red]error:[/] {escape(error)}")
    console.print(
        f"rows: {result.total('rows_read')} read, {result.total('rows_loaded')} loaded, "
        f"{result.total('rows_duplicate')} duplicate, {result.total('rows_quarantined')} quarantined"
        + (f"; {result.total('id_clashes')} exporter id clashes" if result.total("id_clashes") else ""))
    console.print(f"recomputed {len(result.shops)} shops ({result.partitions} partitions)" if result.shops
                  else "derived tables up to date: no shop changed")
    con = _open_lake(lake)
    try:
        held = known_weeks(con)
        if week is not None and week not in held:
            raise UserError(unknown_week_message(week, held))
        for w in [week] if week else [w for w in result.weeks if w in held]:
            paths = write_reports(con, w, out, lang=lang, mask=mask, config=cfg, agent_week=True)
            console.print(f"wrote {len(paths)} report files to {escape(str(Path(out) / w))}")
    finally:
        con.close()
    seconds["reports"] = time.perf_counter() - started
    tasks = {name: [] if frame is None else frame.to_dicts()
             for name, frame in (("file_tasks", result.file_tasks), ("shop_tasks", result.shop_tasks))}
    return {"messages": result.total("rows_loaded"), "seconds": seconds, **tasks,
            "unreadable": len(result.unreadable)}


def _week_range(text: Optional[str]) -> Optional[tuple[str, str]]:
    if text is None:
        return None
    first, _, last = text.partition("..")
    last = last or first
    from qc_pipeline.reports.weeks import parse_week

    for w in (first, last):
        if parse_week(w) is None:
            raise UserError(f"--weeks {text!r}: expected ISO weeks like 2026-W40..2026-W47")
    if first > last:
        raise UserError(f"--weeks {text!r}: the first week comes after the last")
    return first, last


@command()
def ingest(
    inputs: List[Path] = typer.Argument(..., help="Chat/order export files or folders (searched recursively)."),
    orders: Optional[List[Path]] = ORDERS_OPTION,
    roster: Optional[Path] = ROSTER_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    db: Path = DB_OPTION,
) -> None:
    """Load exports into the warehouse only (no derived tables, no reports)."""
    from qc_pipeline.store.warehouse import open_warehouse

    cfg = load_config(config)
    con = open_warehouse(db)
    try:
        report = _ingest_with_progress(con, inputs, cfg, orders, roster)
    finally:
        con.close()
    if report.failed:
        raise typer.Exit(1)


@command()
def status(db: Path = DB_OPTION) -> None:
    """Show what the warehouse holds: files, rows, weeks, shops, agents."""
    from qc_pipeline.pipeline import warehouse_status
    from qc_pipeline.store.warehouse import open_warehouse

    con = open_warehouse(db, read_only=True, older=True)
    try:
        info = warehouse_status(con)
    finally:
        con.close()
    table = Table(title=f"{db}")
    for col in ("file", "kind", "format", "encoding", "read", "loaded", "duplicate", "quarantined", "ingested at"):
        table.add_column(col)
    for row in info["files"]:
        table.add_row(*[escape("-" if v is None else str(v)) for v in row])
    console.print(table)
    console.print(
        f"messages {info['messages']}, quarantined {info['quarantined']}, orders {info['orders']}, "
        f"sessions {info['sessions']}, rounds {info['rounds']}, agents {info['agents']}"
    )
    console.print(f"shops: {escape(', '.join(info['shops'])) or '-'}")
    console.print(f"weeks: {', '.join(info['weeks']) or '-'}")


@command()
def report(
    week: Optional[str] = typer.Option(None, "--week", help="The ISO week to report, e.g. 2026-W47."),
    month: Optional[str] = typer.Option(None, "--month", help="Or a calendar month, e.g. 2026-11 (monthly KPIs)."),
    db: Path = DB_OPTION,
    out: Path = typer.Option(Path("reports"), "--out", help="Folder for the weekly reports."),
    lang: str = LANG_OPTION,
    no_mask: bool = NO_MASK_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    lake: Optional[str] = LAKE_READ_OPTION,
) -> None:
    """Write one week's (or one month's) reports from the warehouse (or a lake): agent pages, team summary,
    workbook, Markdown."""
    from qc_pipeline.reports import write_reports
    from qc_pipeline.reports.monthly import check_month, write_month_reports
    from qc_pipeline.store.warehouse import open_warehouse

    if week is not None and month is not None:
        raise UserError("--week and --month: give one of them (a week's reports or a month's)")
    if week is None and month is None:
        raise UserError("--week or --month is required: the ISO week (2026-W47) or the month (2026-11) to report")
    if month is not None:
        check_month(month)
    else:
        _check_week(week)
    cfg = load_config(config)
    con = _open_lake(lake) if lake is not None else open_warehouse(db, read_only=True)
    try:
        if month is not None:
            paths = write_month_reports(con, month, out, lang=lang, mask=not no_mask, config=cfg)
        else:
            paths = write_reports(con, week, out, lang=lang, mask=not no_mask, config=cfg, agent_week=True)
    finally:
        con.close()
    console.print(f"wrote {len(paths)} report files to {escape(str(Path(out) / (month or week)))}")
    for path in paths:
        console.print(f"  {escape(str(path))}")


@command()
def cases(
    week: str = typer.Option(..., "--week", help="The ISO week to pick cases from, e.g. 2026-W47."),
    top: int = typer.Option(20, "--top", min=1, help="How many good and how many bad cases at most."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the case pages.",
                                       show_default="reports/<week>/cases"),
    db: Path = DB_OPTION,
    criteria: Optional[Path] = typer.Option(None, "--criteria", help="A TOML overriding the shipped selection criteria."),
    allow_repeats: bool = typer.Option(False, "--allow-repeats", help="Allow sessions already picked in another week."),
    lang: str = LANG_OPTION,
    no_mask: bool = NO_MASK_OPTION,
) -> None:
    """Pick the week's best and worst conversations for training, as annotated transcripts (HTML, Markdown)."""
    from qc_pipeline.cases import build_cases, write_cases
    from qc_pipeline.store.warehouse import open_warehouse

    _check_week(week)
    if not db.exists():
        raise UserError(f"{db}: no warehouse here (run `qc run` first, or pass --db)")
    target = out or Path("reports") / week / "cases"
    con = open_warehouse(db)
    try:
        picked = build_cases(con, week, top=top, allow_repeats=allow_repeats, config=criteria)
        paths = write_cases(con, week, target, lang=lang, mask=not no_mask)
    finally:
        con.close()
    kinds = picked["kind"].value_counts().sort("kind").iter_rows() if len(picked) else []
    console.print("cases: " + (", ".join(f"{n} {k}" for k, n in kinds) or "none matched the criteria"))
    console.print(f"wrote {len(paths)} files to {escape(str(target))}")
    agents = target.parent / "agents"
    if agents.is_dir():
        # The agent pages beside it link to the cases that had pages when they were written.
        console.print(f"the agent pages in {escape(str(agents))} link to the cases written before: "
                      f"qc report --week {week} links this selection")


@command()
def topics(
    weeks: int = typer.Option(4, "--weeks", min=1, max=520, help="How many ISO weeks to mine, ending at --week."),
    week: Optional[str] = typer.Option(None, "--week", help="The last week.",
                                        show_default="the latest in the warehouse"),
    db: Path = DB_OPTION,
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for topics.md/html.",
                                       show_default="reports/<week>/topics"),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same topics."),
    k: Optional[int] = typer.Option(None, "--k", min=2, help="Number of topics.",
                                    show_default="chosen by the eigengap"),
    lang: str = LANG_OPTION,
) -> None:
    """Cluster buyers' opening questions into topics, with response, conversion, flags and quick phrases."""
    from qc_pipeline.store.warehouse import open_warehouse
    from qc_pipeline.topics import mine_topics, write_topics

    if week is not None:
        _check_week(week)
    con = open_warehouse(db, read_only=True)
    try:
        result = mine_topics(con, weeks=weeks, end_week=week, seed=seed, k=k)
    finally:
        con.close()
    target = out or Path("reports") / (result.end_week or result.weeks[-1]) / "topics"
    paths = write_topics(result, target, lang=lang)
    for topic in result.topics:
        console.print(f"  {topic.topic_id:>2}  {escape(topic.name):<24} {topic.sessions:>5} sessions  {topic.share:6.1%}")
    console.print(f"wrote {len(paths)} files to {escape(str(target))}")


@command()
def sample(
    out: Path = typer.Option(Path("sample_logs"), "--out", help="Folder to write the sample exports into."),
    seed: int = typer.Option(7, "--seed", help="Random seed; the same seed writes the same bytes."),
    weeks: int = typer.Option(2, "--weeks", min=1, max=8, help="How many ISO weeks, ending at --end-week."),
    end_week: str = typer.Option("2026-W47", "--end-week", help="The last ISO week of the sample."),
    clean: bool = typer.Option(False, "--clean", help="Plant no compliance violations in agents' replies."),
    force: bool = typer.Option(False, "--force", help="Write into --out even when it already holds files."),
) -> None:
    """Write the synthetic sample shop (exports plus truth.json with the planted ground truth)."""
    from qc_pipeline.sample import generate_sample

    _check_week(end_week, "--end-week")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(f"--out {out}: already holds files; pass --force to write the sample over them")
    truth = generate_sample(out, seed=seed, weeks=weeks, end_week=end_week, violations=not clean)
    files = sorted(p.name for p in Path(out).iterdir())
    console.print(f"wrote {len(files)} files to {out}: {', '.join(files)}")
    console.print(
        f"planted {len(truth['sessions'])} sessions, {len(truth['rounds'])} rounds, {len(truth['orders'])} orders "
        f"and {len(truth['violations'])} violations (see truth.json)"
    )


rules_app = typer.Typer(no_args_is_help=True, help="The compliance rule set: list it, or check a sentence.")
app.add_typer(rules_app, name="rules")


@command(rules_app, "list")
def list_rules(
    rules: Optional[List[Path]] = RULES_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """List every rule: id, category, severity, whether it is on, and why it exists."""
    from qc_pipeline.rules import format_rules, load_ruleset

    cfg = load_config(config)
    console.print(escape(format_rules(load_ruleset([*cfg.rule_files, *(rules or [])]))))


@command(rules_app, "check")
def check_rule_text(
    text: str = typer.Argument(..., help="The sentence to check, as an agent would send it."),
    role: str = typer.Option("agent", "--role", help="agent or auto (buyer messages are never flagged)."),
    context: Optional[str] = typer.Option(
        None, "--context", help="The buyer's last message before this reply (what it answers); omitted: unknown."),
    rules: Optional[List[Path]] = RULES_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
) -> None:
    """Print the hits for one sentence: rule, span, matched text and explanation, then every candidate
    considered and why it was kept or dropped (some classes read the buyer's message, see --context)."""
    from qc_pipeline.rules import check_text, format_hits, load_ruleset

    if role not in ("agent", "auto", "buyer", "system"):
        raise UserError(f"--role {role!r}: expected agent, auto, buyer or system (only agent and auto are flagged)")
    cfg = load_config(config)
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    if context is not None:
        console.print(escape(f"buyer's message: {context}"), highlight=False)
    console.print(escape(format_hits(text, check_text(text, ruleset, role=role, context=context))), highlight=False)


def _open_lake(where: str):
    """An in-memory DuckDB connection over the lake's tables."""
    from qc_pipeline.lake import Lake, connect

    return connect(Lake.at(where))


lake_app = typer.Typer(no_args_is_help=True, help="The Parquet lake of the Spark engine (docs/spark.md).")
app.add_typer(lake_app, name="lake")


@command(lake_app, "attach")
def lake_attach(
    lake: str = typer.Argument(..., help="The lake: a folder or a URI (s3://…, hdfs://…)."),
    db: Path = typer.Option(Path("qc.duckdb"), "--db", help="The DuckDB file to create the views in."),
) -> None:
    """Expose the lake as DuckDB views in --db, so SQL, notebooks, `qc cases` and `qc topics` read it."""
    import duckdb

    from qc_pipeline.lake import Lake, attach

    where = Lake.at(lake)
    if not where.is_lake():
        raise UserError(f"{lake}: not a chat-qc lake (run `qc run --engine spark --lake {lake}` first)")
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        raise UserError(f"{db}: cannot open it as a DuckDB file: {exc}") from None
    try:
        views = attach(where, con)
    finally:
        con.close()
    console.print(f"{escape(str(db))}: {len(views)} views over {escape(lake)} (new runs show up without attaching again)")


@command(lake_app, "export")
def lake_export(
    lake: str = typer.Argument(..., help="The lake to write: a folder or a URI."),
    db: Path = DB_OPTION,
) -> None:
    """Write a DuckDB warehouse out as a lake (every table, partitioned by shop and week)."""
    from qc_pipeline.lake import Lake, export_warehouse
    from qc_pipeline.store.warehouse import open_warehouse

    con = open_warehouse(db, read_only=True)
    try:
        written = export_warehouse(con, Lake.at(lake))
    finally:
        con.close()
    console.print(f"wrote {sum(w.rows for w in written)} rows in {len(written)} partitions to {escape(lake)}")


@command()
def reminders(
    date: str = typer.Option(..., "--date", help="The day to list, e.g. 2026-11-20."),
    db: Path = DB_OPTION,
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the list to FILE.csv or FILE.xlsx."),
    no_mask: bool = NO_MASK_OPTION,
) -> None:
    """List the day's unpaid orders still open (催付), oldest auto-close deadline first, with the agent who
    served the buyer and the reminders sent so far."""
    import datetime as dt

    from qc_pipeline.reports.reminders import open_orders, write_open_orders
    from qc_pipeline.store.warehouse import open_warehouse

    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise UserError(f"--date {date!r}: expected a day like 2026-11-20") from None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError(f"--out {out}: expected a .csv or .xlsx file name")
    con = open_warehouse(db, read_only=True)
    try:
        frame = open_orders(con, day, mask=not no_mask)
    finally:
        con.close()
    table = Table("deadline", "order", "buyer", "amount", "served by", "reminded", "by", "reminders")
    for row in frame.iter_rows(named=True):
        table.add_row(
            f"{row['close_deadline']:%Y-%m-%d %H:%M}", escape(row["order_id"]), escape(row["buyer"] or ""),
            f"{row['amount']}", escape(row["served_by"] or "-"),
            f"{row['reminded_at']:%m-%d %H:%M}" if row["reminded_at"] else "-", escape(row["reminded_by"] or "-"),
            str(row["reminders"]),
        )
    console.print(f"{len(frame)} unpaid orders open on {day}")
    if len(frame):
        console.print(table)
    if out is not None:
        console.print(f"wrote {escape(str(write_open_orders(frame, out)))}")


# The review loop's commands register themselves on `app` and `rules_app` (qc_pipeline/review/commands.py).
from qc_pipeline.review import commands as _review_commands  # noqa: E402,F401


def main() -> None:
    app()


if __name__ == "__main__":
    main()
