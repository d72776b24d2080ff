"""--db naming a file that is not chat-qc's warehouse: refused with one line and exit 2, the file untouched."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.store.schema import SCHEMA_VERSION
from qc_pipeline.store.warehouse import open_warehouse, scalar

runner = CliRunner()
CHAT = (
    "shop,buyer,agent,role,sent_at,text\n"
    "店A,b1,店A:小雅,buyer,2026-11-16 09:00:00,在吗\n"
    "店A,b1,店A:小雅,agent,2026-11-16 09:00:30,在的亲\n"
)


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def chat(tmp_path):
    path = tmp_path / "in" / "chat.csv"
    path.parent.mkdir()
    path.write_text(CHAT, encoding="utf-8")
    return path


def assert_refused(result, *says):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for word in says:
        assert word in errors[0], result.output


def test_another_programs_duckdb_is_refused_and_left_untouched(tmp_path, chat):
    foreign = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE sessions (id INTEGER, who VARCHAR)")
    con.execute("INSERT INTO sessions VALUES (1, 'alice'), (2, 'bob')")
    con.execute("CREATE TABLE messages (id INTEGER, body VARCHAR)")
    con.execute("INSERT INTO messages VALUES (7, 'hello')")
    con.close()
    before = digest(foreign)
    for args in (["ingest", chat], ["run", chat, "--out", tmp_path / "out"], ["status"], ["rebuild"]):
        assert_refused(qc(*args, "--db", foreign), "another program", "untouched")
    assert digest(foreign) == before
    con = duckdb.connect(str(foreign), read_only=True)
    assert con.execute("SELECT * FROM sessions ORDER BY id").fetchall() == [(1, "alice"), (2, "bob")]
    assert [c[0] for c in con.execute("DESCRIBE messages").fetchall()] == ["id", "body"]
    con.close()
    assert not (tmp_path / "out").exists()


def test_a_duckdb_with_a_meta_table_of_its_own_is_not_taken_for_a_warehouse(tmp_path, chat):
    foreign = tmp_path / "other.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('owner', 'someone else')")
    con.close()
    before = digest(foreign)
    assert_refused(qc("ingest", chat, "--db", foreign), "another program")
    assert digest(foreign) == before


@pytest.mark.parametrize("name, content", [
    ("orders.csv", "order_id,amount\n1,2\n"),
    ("empty.duckdb", ""),
    ("notes.duckdb", "just some text that is long enough\n"),
])
def test_a_file_that_is_not_a_duckdb_database_is_refused(tmp_path, chat, name, content):
    target = tmp_path / name
    target.write_text(content, encoding="utf-8")
    before = target.read_bytes()
    for args in (["ingest", chat], ["status"], ["report", "--week", "2026-W47"]):
        assert_refused(qc(*args, "--db", target), "not a DuckDB warehouse file")
    assert target.read_bytes() == before


def test_a_folder_is_refused(tmp_path, chat):
    assert_refused(qc("ingest", chat, "--db", tmp_path), "folder")


def test_a_newer_schema_version_is_refused_not_downgraded(tmp_path, chat):
    db = tmp_path / "qc.duckdb"
    assert qc("ingest", chat, "--db", db).exit_code == 0
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    before = digest(db)
    assert_refused(qc("ingest", chat, "--db", db), "newer chat-qc", f"schema version {SCHEMA_VERSION + 1}")
    assert_refused(qc("status", "--db", db), "newer chat-qc")
    assert digest(db) == before


def test_our_own_warehouse_opens_again_and_an_older_one_without_the_marker_too(tmp_path, chat):
    db = tmp_path / "qc.duckdb"
    assert qc("ingest", chat, "--db", db).exit_code == 0
    con = duckdb.connect(str(db))
    assert scalar(con, "SELECT value FROM meta WHERE key = 'application'") == "chat-qc"
    # A warehouse written before the marker existed: known by schema_version and ingested_files.
    con.execute("DELETE FROM meta WHERE key = 'application'")
    con.close()
    result = qc("ingest", chat, "--db", db)
    assert result.exit_code == 0, result.output
    con = open_warehouse(db, read_only=True)
    assert scalar(con, "SELECT count(*) FROM messages") == 2
    con.close()


def test_an_older_warehouse_read_only_says_how_to_upgrade_and_rebuild_does_it(tmp_path, chat):
    """Read-only commands cannot migrate: `qc report` on a warehouse an older chat-qc wrote once crashed on a
    table it lacked. It is one line saying what to run; `qc status` still shows what it holds."""
    db = tmp_path / "qc.duckdb"
    assert qc("run", chat, "--db", db, "--out", tmp_path / "r", "--skip", "cases", "--skip", "topics").exit_code == 0
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION - 1)])
    con.execute("DROP TABLE stale_auto_replies")  # a table the older version did not have
    con.close()
    before = digest(db)
    assert_refused(qc("report", "--week", "2026-W47", "--db", db, "--out", tmp_path / "r2"),
                   "older chat-qc", f"qc rebuild --db {db}")
    assert_refused(qc("topics", "--db", db), "older chat-qc")
    assert digest(db) == before
    status = qc("status", "--db", db)
    assert status.exit_code == 0 and "2026-W47" in status.output
    assert qc("rebuild", "--db", db).exit_code == 0
    result = qc("report", "--week", "2026-W47", "--db", db, "--out", tmp_path / "r2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r2" / "2026-W47" / "stale_auto_replies.csv").is_file()
