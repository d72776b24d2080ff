"""The `qc` command through the typer app, as a user would call it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.store.warehouse import open_warehouse, scalar

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    result = qc("run", REPO / "sample_logs", "--db", root / "qc.duckdb", "--out", root / "reports")
    return root, result


@pytest.mark.parametrize("command", [[], ["run"], ["ingest"], ["status"], ["report"], ["sample"], ["cases"],
                                     ["topics"], ["rules"], ["rules", "list"], ["rules", "check"], ["reminders"]])
def test_every_command_has_help(command):
    result = qc(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output.splitlines()) > 4


def test_run_on_the_sample_writes_reports_for_every_week_touched(ran):
    root, result = ran
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output
    for week in ("2026-W46", "2026-W47"):
        assert (root / "reports" / week / "summary.html").is_file()
        assert (root / "reports" / week / f"qc-{week}.xlsx").is_file()
        assert (root / "reports" / week / "agent_week.csv").is_file()


def test_status_reports_what_the_warehouse_holds(ran):
    root, _ = ran
    result = qc("status", "--db", root / "qc.duckdb")
    assert result.exit_code == 0, result.output
    con = open_warehouse(root / "qc.duckdb", read_only=True)
    messages = scalar(con, "SELECT count(*) FROM messages")
    con.close()
    assert f"messages {messages}" in result.output
    assert "2026-W46, 2026-W47" in result.output


@pytest.mark.parametrize("args, says", [
    (["run", "no/such/folder"], "no/such/folder"),
    (["status", "--db", "no/such.duckdb"], "no such.duckdb"),
    (["run", "sample_logs", "--week", "47"], "--week"),
    (["report", "--week", "2031-W01", "--db", "{db}"], "2031-W01"),
    (["run", "sample_logs", "--config", "{bad_config}", "--db", "{tmp}/x.duckdb"], "sessions.idle_minutez"),
])
def test_user_mistakes_print_one_line_and_exit_2(ran, tmp_path, args, says):
    root, _ = ran
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[sessions]\nidle_minutez = 5\n", encoding="utf-8")
    args = [a.format(db=root / "qc.duckdb", bad_config=bad_config, tmp=tmp_path) for a in args]
    args = [str(REPO / a) if a == "sample_logs" else a for a in args]
    result = qc(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert says.replace("no such.duckdb", "no/such.duckdb") in error_lines[0]


def test_an_unreadable_file_fails_alone(tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(REPO / "sample_logs", logs)
    (logs / "broken.csv").write_bytes(bytes(range(256)) * 40)
    result = qc("run", logs, "--db", tmp_path / "qc.duckdb", "--out", tmp_path / "reports")
    assert result.exit_code == 1
    assert "broken.csv" in result.output and "Traceback" not in result.output
    con = open_warehouse(tmp_path / "qc.duckdb", read_only=True)
    assert scalar(con, "SELECT count(*) FROM messages") > 5000
    assert scalar(con, "SELECT count(*) FROM quarantine WHERE source_path LIKE '%broken.csv'") == 1
    con.close()


def test_report_and_cases_and_topics_from_the_warehouse(ran, tmp_path):
    root, _ = ran
    db = tmp_path / "qc.duckdb"
    shutil.copy(root / "qc.duckdb", db)
    result = qc("report", "--week", "2026-W47", "--db", db, "--out", tmp_path / "out", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "2026-W47" / "summary.md").is_file()
    result = qc("cases", "--week", "2026-W47", "--db", db, "--out", tmp_path / "cases", "--top", "3")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cases" / "index.html").is_file()
    result = qc("topics", "--weeks", "2", "--db", db, "--out", tmp_path / "topics")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "topics" / "topics.md").is_file()


def test_rules_check_prints_the_hit_and_its_span():
    result = qc("rules", "check", "这款是我们店销量最好的")
    assert result.exit_code == 0, result.output
    assert "最好" in result.output and "extreme_word" in result.output
    assert "chars 8–10" in result.output  # 0-based start, exclusive end
    result = qc("rules", "check", "最近的快递点在哪里")
    assert result.exit_code == 0 and "0 hits" in result.output
