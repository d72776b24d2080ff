"""Every command, given every kind of bad value, answers as the README promises: exit 2, one line on stderr
naming the option or config key, no traceback, and the warehouse exactly as it was."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

# name: (the config file, what its one line must name)
BAD_CONFIGS = {
    "text_for_number": ('[targets]\nfirst_response_seconds = "20s"\n', "first_response_seconds"),
    "negative": ("[targets]\nfirst_response_seconds = -5\n", "first_response_seconds"),
    "share_above_one": ("[review]\nflagged_rate = 1.5\n", "flagged_rate"),
    "role_text": ('[targets.roles.aftersale]\nfirst_response_seconds = "5m"\n', "first_response_seconds"),
    "unknown_key": ("[targets]\nfirst_reply = 30\n", "first_reply"),
    "not_toml": ("[targets\nfirst_response_seconds = 30\n", "not valid TOML"),
    "shop_zero": ('[shops."店A".targets]\nfollow_up_seconds = 0\n', "follow_up_seconds"),
    "not_a_number": ("[targets]\nfirst_response_seconds = nan\n", "finite"),
    "infinite": ("[sessions]\nidle_minutes = inf\n", "finite"),
    "huge": ("[targets]\nwait_cap_seconds = 1e30\n", "at most"),
    "fraction_of_a_second": ("[targets]\nfirst_response_seconds = 20.7\n", "whole number"),
    "date_for_a_file": ("[rules]\nfiles = [2026-01-01]\n", "rules.files[0]"),
    "number_for_a_pattern": ("[ingest]\nauto_reply_patterns = [1]\n", "auto_reply_patterns[0]"),
    "whole_review_count": ("[review]\nper_agent = 2.5\n", "per_agent"),
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("mistakes")
    db = root / "qc.duckdb"
    result = runner.invoke(app, ["run", str(REPO / "sample_logs"), "--db", str(db), "--out", str(root / "reports")])
    assert result.exit_code == 0, result.output
    for name, (text, _) in BAD_CONFIGS.items():
        (root / f"{name}.toml").write_text(text, encoding="utf-8")
    (root / "full").mkdir()
    (root / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    (root / "chat.csv").write_text("shop,buyer\nA,b\n", encoding="utf-8")
    return root, db


def cases():
    """(command line with {db} {root} placeholders, what the one line must name)."""
    sample = str(REPO / "sample_logs")
    yield from (
        (["run", sample, "--db", "{db}", "--lang", "fr"], "--lang"),
        (["run", sample, "--db", "{db}", "--week", "2026-W99"], "--week"),
        (["run", sample, "--db", "{db}", "--week", "W47"], "--week"),
        (["run", sample, "--db", "{db}", "--engine", "flink"], "--engine"),
        (["run", "{root}/nowhere", "--db", "{db}"], "nowhere"),
        (["run", sample, "--db", "{db}", "--rules", "{root}/missing.toml"], "missing.toml"),
        (["run", sample, "--db", "{db}", "--config", "{root}/missing.toml"], "missing.toml"),
        (["ingest", sample, "--db", "{db}", "--orders"], "--orders"),
        (["rebuild", "--db", "{db}", "--weeks", "2026-W47..2026-W40"], "--weeks"),
        (["rebuild", "--db", "{db}", "--weeks", "last"], "--weeks"),
        (["report", "--db", "{db}", "--week", "2026-W30"], "2026-W30"),
        (["report", "--db", "{db}", "--week", "2026-W47", "--lang", "fr"], "--lang"),
        (["report", "--db", "{db}"], "--week"),
        (["cases", "--db", "{db}", "--week", "2026-W47", "--lang", "fr"], "--lang"),
        (["cases", "--db", "{db}", "--week", "2026-W47", "--top", "0"], "--top"),
        (["cases", "--db", "{db}", "--week", "2026-W30"], "2026-W30"),
        (["cases", "--db", "{db}", "--week", "2026-W47", "--criteria", "{root}/missing.toml"], "missing.toml"),
        (["topics", "--db", "{db}", "--lang", "fr"], "--lang"),
        (["topics", "--db", "{db}", "--k", "1"], "--k"),
        (["topics", "--db", "{db}", "--k", "many"], "--k"),
        (["topics", "--db", "{db}", "--weeks", "0"], "--weeks"),
        (["topics", "--db", "{db}", "--weeks", "99999999999999"], "--weeks"),
        (["run", sample, "--engine", "spark", "--lake", "{root}/lake", "--skip", "cases"], "--skip"),
        (["topics", "--db", "{db}", "--week", "2026-W30"], "2026-W30"),
        (["sample", "--out", "{root}/new_sample", "--end-week", "2026-W99"], "--end-week"),
        (["sample", "--out", "{root}/new_sample", "--weeks", "9"], "--weeks"),
        (["sample", "--out", "{root}/full"], "--force"),
        (["sample-review", "--db", "{db}", "--week", "2026-W30"], "2026-W30"),
        (["rules", "list", "--rules", "{root}/missing.toml"], "missing.toml"),
        (["rules", "check", "可以的", "--role", "robot"], "--role"),
        (["status", "--db", "{root}/chat.csv"], "chat.csv"),
        (["nonsense"], "nonsense"),
    )
    for name, (_, key) in BAD_CONFIGS.items():
        for command in (["run", sample, "--db", "{db}"], ["ingest", sample, "--db", "{db}"],
                        ["rebuild", "--db", "{db}"], ["report", "--db", "{db}", "--week", "2026-W47"]):
            yield [*command, "--config", f"{{root}}/{name}.toml"], key


@pytest.mark.parametrize("args, names", list(cases()), ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_mistake_is_one_line_exit_2_and_changes_nothing(world, args, names):
    root, db = world
    before = digest(db)
    argv = [a.replace("{db}", str(db)).replace("{root}", str(root)) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and names in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert digest(db) == before, "the warehouse changed"
    assert not (root / "new_sample").exists(), "a refused sample left a folder behind"
    assert (root / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_an_unexpected_error_is_one_line_naming_the_way_to_the_details(world, monkeypatch):
    root, db = world
    import qc_pipeline.pipeline as pipeline

    def broken(*_, **__):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "warehouse_status", broken)
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: unexpected KeyError: 'boom' (a bug: run again with QC_DEBUG=1 for the details and report it)"]
    monkeypatch.setenv("QC_DEBUG", "1")
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert isinstance(result.exception, KeyError)


def every_command():
    """Every command line the app offers, groups included, found from the app itself."""
    import typer.main

    def walk(command, path):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


def test_help_shows_words_not_python_types():
    commands = every_command()
    assert ["reminders"] in commands and ["rules", "precision"] in commands and ["lake", "attach"] in commands
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        for leak in ("<bool>", "<list[", " .", "[default: ]"):
            assert leak not in result.output, (command, leak)
    topics = runner.invoke(app, ["topics", "--help"], env={"COLUMNS": "200"}).output
    assert "reports/<week>/topics" in topics and "chosen by the eigengap" in topics


def test_output_to_a_log_file_keeps_names_whole(tmp_path):
    """Not a terminal (cron): no wrapping at 80 columns, so a long file name stays on one line."""
    long_name = "星河服饰旗舰店_2026年11月第3周_售前客服聊天记录导出_千牛工作台_全部客服.csv"
    folder = tmp_path / "in"
    folder.mkdir()
    source = (REPO / "sample_logs" / "chats_presale.csv").read_bytes()
    (folder / long_name).write_bytes(source)
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "qc.duckdb")],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert any(long_name in line for line in result.stdout.splitlines()), result.stdout
