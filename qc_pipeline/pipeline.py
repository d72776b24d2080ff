"""The weekly batch job, stage by stage: ingest -> warehouse -> derived tables.

The CLI is a thin shell over these functions; tests call them directly too.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import polars as pl

from qc_pipeline.config import ROLES, Config
from qc_pipeline.errors import UserError
from qc_pipeline.conversion.inquiries import agent_week_conversion, conversion_frames, session_outcomes
from qc_pipeline.conversion.shop import mark_matched_buyers, shop_week_table
from qc_pipeline.ingest import UnreadableFile, discover, read_file
from qc_pipeline.metrics.agent_week import agent_week_response
from qc_pipeline.metrics.rounds import iso_week, role_targets, rounds_table
from qc_pipeline.rules import RuleSet, flag_messages, load_ruleset
from qc_pipeline.scoring.scorecard import Scorecard, load_scorecard
from qc_pipeline.scoring.sessions import score_sessions
from qc_pipeline.scoring.weekly import agent_week_table, weekly_flag_counts, weekly_scores, with_bands
from qc_pipeline.sessions.onduty import DutyCalendar
from qc_pipeline.sessions.sessionize import ordered_messages, sessions_table
from qc_pipeline.store.warehouse import LoadCounts, load_parsed, record_unreadable, replace_table, scalar


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

    def total(self, attr: str) -> int:
        return sum(getattr(f.counts, attr) for f in self.files if f.counts is not None)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.error]


@dataclass
class RebuildReport:
    messages: int
    sessions: int
    rounds: int
    agent_weeks: int
    weeks: list[str]
    agents_without_roster: list[str]
    unattributed_rounds: int
    flags: int = 0
    inquiries: int = 0
    orders_unmatched: int = 0


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
    """Load every file, each in its own transaction. A file that cannot be read fails alone."""
    if files is None:
        files = plan_files(inputs, orders=orders, roster=roster)
    report = IngestReport()
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
            outcome.error = str(exc)
            record_unreadable(con, str(path), _sha256_or_none(path), str(exc))
            continue
        outcome.kind, outcome.format, outcome.encoding = parsed.kind, parsed.format, parsed.encoding
        outcome.warnings = list(parsed.warnings)
        if parsed.kind == "ignored":
            continue
        outcome.counts = load_parsed(con, parsed)
        if parsed.messages is not None and not parsed.messages.is_empty():
            report.weeks_touched |= set(
                parsed.messages.select(pl.col("sent_at").dt.strftime("%G-W%V").unique()).to_series().to_list()
            )
    return report


def plan_files(
    inputs: Iterable[Path], *, orders: Iterable[Path] = (), roster: Path | None = None
) -> list[tuple[Path, str | None]]:
    """Every file to load with the kind it must have (None: whatever its content says)."""
    planned: list[tuple[Path, str | None]] = []
    if roster is not None:
        planned += [(p, "roster") for p in discover([Path(roster)])]
    planned += [(p, "orders") for p in discover([Path(p) for p in orders])]
    forced = {p for p, _ in planned}
    planned += [(p, None) for p in discover([Path(p) for p in inputs]) if p not in forced]
    return planned


def _sha256_or_none(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def roster(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The agents table: agent, name, role (agents missing from it take the config's default role)."""
    return con.sql("SELECT agent, name, role FROM agents").pl()


def rebuild(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    ruleset: RuleSet | None = None,
    scorecard: Scorecard | None = None,
) -> RebuildReport:
    """Recompute every derived table from `messages` and `orders`, so results never depend on the
    order in which files were ingested, and a new config, rule set or scorecard re-computes history."""
    ruleset = ruleset or load_ruleset(config.rule_files)
    scorecard = scorecard or load_scorecard(config.scorecard_path)
    # Sessions and rounds need no text; only the agent and auto-reply texts are read, for the rules.
    messages = con.sql("SELECT msg_id, shop, buyer, agent, role, sent_at, source_line FROM messages").pl()
    orders = con.sql("SELECT * EXCLUDE (source_path) FROM orders").pl()
    agents = roster(con)

    calendar = DutyCalendar.from_shifts(config.shifts)
    ordered = ordered_messages(messages, calendar, config.idle_seconds)
    sessions = sessions_table(ordered)
    rounds = rounds_table(
        ordered, sessions, calendar, agents, role_targets(config, list(ROLES)),
        config.default_role,
    )
    flags = flags_table(con, ordered, ruleset)

    conv = config.conversion
    frames = conversion_frames(rounds, orders, conv["window_days"], conv["attribution"])
    attribution = mark_matched_buyers(frames["order_attribution"], messages)
    outcomes = session_outcomes(rounds, frames["inquiries"])
    scores, deductions = score_sessions(sessions, rounds, flags, outcomes, scorecard)
    scores = scores.join(sessions.select("session_id", "shop"), on="session_id", how="left")

    con.execute("BEGIN TRANSACTION")
    try:
        replace_table(con, "sessions", sessions)
        replace_table(con, "rounds", rounds)
        replace_table(con, "flags", flags)
        replace_table(con, "inquiries", frames["inquiries"].drop("orders"))
        replace_table(con, "order_attribution", attribution)
        replace_table(con, "shop_week", shop_week_table(frames["inquiries"], attribution))
        replace_table(con, "session_scores", scores)
        replace_table(con, "score_deductions", deductions)
        weekly = agent_week_table(
            agent_week_response(con, config.wait_cap_seconds),
            weekly_flag_counts(flags),
            with_bands(agent_week_conversion(frames["inquiries"]), conv["bands"], conv["min_inquiries"]),
            weekly_scores(scores),
            agents,
            config.default_role,
        )
        replace_table(con, "agent_week", weekly)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('rule_version', ?), ('scorecard_version', ?)",
                    [ruleset.version, scorecard.version])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    known = set(agents["agent"].to_list())
    seen = messages.filter(pl.col("role") == "agent")["agent"].drop_nulls().unique().sort().to_list()
    return RebuildReport(
        messages=len(messages),
        sessions=len(sessions),
        rounds=len(rounds),
        agent_weeks=len(weekly),
        weeks=sorted(rounds["week"].unique().to_list()),
        agents_without_roster=[a for a in seen if a not in known],
        unattributed_rounds=rounds.filter(pl.col("agent").is_null()).height,
        flags=len(flags),
        inquiries=len(frames["inquiries"]),
        orders_unmatched=attribution.filter(~pl.col("matched_buyer")).height,
    )


def flags_table(con: duckdb.DuckDBPyConnection, ordered: pl.DataFrame, ruleset: RuleSet) -> pl.DataFrame:
    """Every rule hit on agent and auto-reply messages, with the session and week it belongs to.
    Buyer messages are never checked."""
    texts = con.sql("SELECT msg_id, role, text FROM messages WHERE role IN ('agent', 'auto')").pl()
    hits = flag_messages(texts, ruleset)
    context = ordered.filter(pl.col("msg_id").is_in(hits["msg_id"].unique().implode())).select(
        "msg_id", "session_id", "shop", "agent", "role", "sent_at", iso_week("sent_at").alias("week")
    )
    return hits.join(context, on="msg_id", how="left")


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
