"""The review loop's commands: `qc sample-review`, `qc import-review`, `qc rules precision`, `qc rules diff`.

Registered on the `qc` app by `qc_pipeline.cli`; every argument is checked before the warehouse is
opened, and a user mistake is one line and exit 2 (the `command` wrapper).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from qc_pipeline.cli import (CONFIG_OPTION, DB_OPTION, RULES_OPTION, SCORECARD_OPTION, _check_week, _week_range,
                             app, command, console, err_console, rules_app)
from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError


def _require_db(db: Path) -> None:
    if not db.exists():
        raise UserError(f"{db}: no warehouse here (run `qc run` first, or pass --db)")


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _categories(ruleset) -> list[str]:
    return sorted({r.category for r in ruleset.rules})


@command(app, "sample-review")
def sample_review_command(
    week: str = typer.Option(..., "--week", help="The ISO week to sample, e.g. 2026-W47."),
    per_agent: Optional[int] = typer.Option(
        None, "--per-agent", min=0, help="Flagged plus unflagged sessions per agent-week at most.", show_default="config review.per_agent"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed; the same seed draws the same sample.", show_default="config review.seed"),
    out: Optional[Path] = typer.Option(None, "--out", help="The review workbook to write (.xlsx); the HTML goes beside it.", show_default="review-<week>.xlsx"),
    db: Path = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    rules: Optional[List[Path]] = RULES_OPTION,
) -> None:
    """Draw the week's spot-check sample per agent (every auto-failed session, a share of the flagged and of
    the unflagged ones) and write it as a review workbook with drop-downs plus an HTML page, masked."""
    from qc_pipeline.pipeline import known_weeks, unknown_week_message
    from qc_pipeline.review.build import sample_review
    from qc_pipeline.review.sample import Plan
    from qc_pipeline.review.settings import ReviewSettings
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.store.warehouse import open_warehouse

    _check_week(week)
    target = out or Path(f"review-{week}.xlsx")
    if target.suffix.lower() != ".xlsx":
        raise UserError(f"--out {target}: the review workbook must be an .xlsx file")
    if target.is_dir():
        raise UserError(f"--out {target}: a folder; name the workbook file, e.g. {target / f'review-{week}.xlsx'}")
    cfg = load_config(config)
    settings = ReviewSettings.of(cfg, str(config or "default.toml"))
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    plan = Plan(settings.rates, settings.per_agent if per_agent is None else per_agent,
                settings.seed if seed is None else seed)
    _require_db(db)
    con = open_warehouse(db, read_only=True)
    try:
        held = known_weeks(con)
        if week not in held:
            raise UserError(unknown_week_message(week, held))
        result = sample_review(con, week, target, plan, _categories(ruleset))
    finally:
        con.close()
    counts = dict(result.sampled.group_by("stratum").len().iter_rows()) if result.sampled.height else {}
    console.print(
        f"sampled {result.sampled.height} sessions of {week} ({counts.get('auto_failed', 0)} auto-failed, "
        f"{counts.get('flagged', 0)} flagged, {counts.get('unflagged', 0)} unflagged) with {result.flags.height} flags, seed {plan.seed}")
    console.print(f"wrote {escape(str(result.workbook))} and {escape(str(result.page))}")


@command(app, "import-review")
def import_review_command(
    files: List[Path] = typer.Argument(..., help="Filled review workbooks (.xlsx) of `qc sample-review`."),
    db: Path = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    rules: Optional[List[Path]] = RULES_OPTION,
    scorecard: Optional[Path] = SCORECARD_OPTION,
) -> None:
    """Read reviewers' verdicts and decided appeals back into the warehouse (table `reviews`). Each file is
    checked whole: any bad row is reported with its sheet and row and the file is not imported."""
    import datetime as dt

    from qc_pipeline.review.adjust import refresh_adjusted
    from qc_pipeline.review.importer import import_file
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard
    from qc_pipeline.store.warehouse import open_warehouse

    for path in files:
        if path.suffix.lower() != ".xlsx":
            raise UserError(f"{path}: not an .xlsx workbook (write one with `qc sample-review`)")
        if not path.is_file():
            raise UserError(f"{path}: no such file")
    cfg = load_config(config)
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    card = load_scorecard(scorecard or cfg.scorecard_path)
    _require_db(db)
    categories = set(_categories(ruleset))
    at = None
    rejected = 0
    con = open_warehouse(db)
    try:
        for path in files:
            # Each file its own, strictly later time: "the latest review" of an item judged in two files of
            # one import is the one in the later file, not whichever file's hash sorts last.
            now = dt.datetime.now()
            at = now if at is None or now > at else at + dt.timedelta(microseconds=1)
            result = import_file(con, path, categories, lambda c: refresh_adjusted(c, ruleset, card), at)
            for error in result.errors:
                err_console.print(f"[red]error:[/] {escape(error)}", highlight=False)
            if result.errors:
                rejected += 1
                err_console.print(f"[red]error:[/] {escape(str(path))}: not imported ({len(result.errors)} problems above)",
                                  highlight=False)
            elif result.already:
                console.print(f"{escape(str(path))}: imported before, skipped")
            else:
                pending = f", {result.pending_appeals} appeals pending (no decision)" if result.pending_appeals else ""
                console.print(f"{escape(str(path))}: {result.reviews} verdicts and {result.appeals} appeal decisions "
                              f"imported{pending}")
    finally:
        con.close()
    if rejected:
        raise typer.Exit(2)


def _precision_scope(db: Path, weeks: Optional[int], week: Optional[str], config: Optional[Path], rules):
    from qc_pipeline.review.settings import ReviewSettings
    from qc_pipeline.rules import load_ruleset

    _check_week(week)
    cfg = load_config(config)
    settings = ReviewSettings.of(cfg, str(config or "default.toml"))
    ruleset = load_ruleset([*cfg.rule_files, *(rules or [])])
    _require_db(db)
    return settings, ruleset, weeks or settings.precision_weeks


@command(rules_app, "precision")
def rules_precision_command(
    weeks: Optional[int] = typer.Option(None, "--weeks", min=1, help="How many ISO weeks, ending at --week.", show_default="config review.precision_weeks"),
    week: Optional[str] = typer.Option(None, "--week", help="The last week.", show_default="the latest in the warehouse"),
    db: Path = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    rules: Optional[List[Path]] = RULES_OPTION,
) -> None:
    """Each rule's precision from the reviewers' verdicts (confirmed ÷ reviewed, 95 % Wilson interval), the
    estimated miss rate per category from the unflagged sessions sampled, and reviewers' agreement (κ)."""
    from qc_pipeline.review.precision import agreements, miss_rates, rule_precision, window
    from qc_pipeline.store.warehouse import open_warehouse

    settings, ruleset, span = _precision_scope(db, weeks, week, config, rules)
    con = open_warehouse(db)
    try:
        held = window(con, span, week)
        if week is not None and week not in held:
            from qc_pipeline.pipeline import known_weeks, unknown_week_message

            raise UserError(unknown_week_message(week, known_weeks(con)))
        table = rule_precision(con, held, settings.precision_threshold, settings.min_reviewed,
                               {r.id: r.category for r in ruleset.rules if r.enabled})
        misses = miss_rates(con, held, _categories(ruleset))
        kappas = agreements(con, held, _categories(ruleset))
    finally:
        con.close()
    console.print(f"weeks {held[0]}..{held[-1]}" if held else "the warehouse holds no weeks")
    out = Table(title=f"Rule precision (needs tuning below {settings.precision_threshold:.0%} "
                      f"with at least {settings.min_reviewed} reviewed)")
    for col in ("rule", "category", "flags", "reviewed", "confirmed", "precision", "95% interval", ""):
        out.add_column(col, justify="right" if col in ("flags", "reviewed", "confirmed", "precision") else "left",
                       no_wrap=col in ("rule", "category", "95% interval", ""))
    for r in table.iter_rows(named=True):
        interval = "-" if r["precision_lo"] is None else f"{r['precision_lo']:.0%}–{r['precision_hi']:.0%}"
        out.add_row(escape(r["rule_id"]), escape(r["category"] or "-"), str(r["flags"]), str(r["reviewed"]),
                    str(r["confirmed"]), _pct(r["precision"]), interval, "needs tuning" if r["needs_tuning"] else "")
    console.print(out)
    miss = Table(title="Estimated miss rate (violations in sampled unflagged sessions)")
    for col in ("category", "unflagged reviewed", "missed", "miss rate", "95% interval", "est. sessions missed"):
        miss.add_column(col)
    for r in misses.iter_rows(named=True):
        interval = "-" if r["miss_rate_lo"] is None else f"{r['miss_rate_lo']:.0%}–{r['miss_rate_hi']:.0%}"
        miss.add_row(escape(r["category"]), str(r["unflagged_reviewed"]), str(r["missed"]), _pct(r["miss_rate"]),
                     interval, "-" if r["estimated_missed"] is None else f"{r['estimated_missed']:.1f}")
    console.print(miss)
    if kappas:
        agree = Table(title="Reviewer agreement (Cohen's κ per category)")
        for col in ("category", "items", "reviewers", "judged together", "agreement", "κ"):
            agree.add_column(col)
        for k in kappas:
            agree.add_row(escape(k.category), k.item, escape(f"{k.reviewer_a} / {k.reviewer_b}"), str(k.items),
                          _pct(k.agreement), "-" if k.kappa is None else f"{k.kappa:.2f}")
        console.print(agree)
    else:
        console.print("reviewer agreement: no item was judged by two reviewers")


@command(rules_app, "diff")
def rules_diff_command(
    rules: List[Path] = typer.Option(..., "--rules", help="The rule file(s) to try, applied after the config's as in `qc rebuild --rules`."),
    weeks: Optional[str] = typer.Option(None, "--weeks", help="ISO weeks: 2026-W40..2026-W47, or one week.", show_default="every week held"),
    examples: int = typer.Option(3, "--examples", min=0, help="Example messages per rule and direction."),
    db: Path = DB_OPTION,
    config: Optional[Path] = CONFIG_OPTION,
    scorecard: Optional[Path] = SCORECARD_OPTION,
) -> None:
    """What a new rule set would change, worked out on a scratch copy (the warehouse is left untouched):
    flags added and removed per rule and category, with masked examples, and every agent's average QC
    score and rank before and after. `qc rebuild --rules FILE` then applies it."""
    from qc_pipeline.pipeline import known_weeks
    from qc_pipeline.review.diff import rule_diff
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard
    from qc_pipeline.store.warehouse import open_warehouse

    span = _week_range(weeks)
    cfg = load_config(config)
    ruleset = load_ruleset([*cfg.rule_files, *rules])
    card = load_scorecard(scorecard or cfg.scorecard_path)
    _require_db(db)
    con = open_warehouse(db, read_only=True)
    try:
        held = known_weeks(con)
    finally:
        con.close()
    chosen = [w for w in held if span is None or span[0] <= w <= span[1]]
    if not chosen:
        raise UserError(f"--weeks {weeks}: the warehouse holds none of them (it holds {', '.join(held) or 'no weeks'})")
    with console.status("re-flagging a scratch copy"):
        diff = rule_diff(db, cfg, ruleset, card, chosen)
    console.print(f"weeks {chosen[0]}..{chosen[-1]}: {diff.flags_before.height} flags now, "
                  f"{diff.flags_after.height} with the new rules ({diff.added.height} added, {diff.removed.height} removed)")
    for title, frame, keys in (("Flags per rule", diff.by_rule, ("rule_id", "category")),
                               ("Flags per category", diff.by_category, ("category",))):
        changed = frame.filter((pl.col("added") > 0) | (pl.col("removed") > 0))
        table = Table(title=title)
        for col in (*keys, "before", "after", "added", "removed"):
            table.add_column(col, no_wrap=col in keys)
        for r in changed.iter_rows(named=True):
            table.add_row(*[escape(str(r[k])) for k in keys], str(r["before"]), str(r["after"]),
                          f"+{r['added']}", f"-{r['removed']}")
        console.print(table if changed.height else f"{title}: no change")
    for label, frame in (("added", diff.added), ("removed", diff.removed)):
        for (rule_id,), part in frame.group_by(["rule_id"], maintain_order=True):
            for r in part.head(examples).iter_rows(named=True):
                console.print(f"  {label} {escape(rule_id)} {escape(r['week'])} {escape(r['agent'] or '-')}: "
                              f"{escape(r['example'])}", highlight=False)
    agents = Table(title="Agents: average QC score and rank over the weeks")
    for col in ("agent", "sessions", "score before", "score after", "change", "rank before", "rank after"):
        agents.add_column(col, no_wrap=col == "agent")
    for r in diff.agents.iter_rows(named=True):
        change = (r["score_after"] or 0) - (r["score_before"] or 0)
        agents.add_row(escape(r["agent"]), str(r["sessions"]), f"{r['score_before']:.2f}", f"{r['score_after']:.2f}",
                       f"{change:+.2f}", str(r["rank_before"]), str(r["rank_after"]))
    console.print(agents)
    console.print("the warehouse was not changed; `qc rebuild --rules " + " --rules ".join(escape(str(p)) for p in rules)
                  + "` applies these rules")
