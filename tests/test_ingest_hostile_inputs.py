"""Inputs that used to abort the whole run or slip through: each fails or is quarantined alone, with its
line and reason, and the other files of the run are loaded."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.config import load_config
from qc_pipeline.ingest import dispatch, pieces, read_file, stream
from qc_pipeline.ingest.discover import OUTPUT_MARKER, discover
from qc_pipeline.pipeline import ingest_paths
from qc_pipeline.store.warehouse import load_parsed, open_warehouse

runner = CliRunner()
HEADER = "shop,buyer,agent,role,sent_at,text\n"
WINDOW_REASON = "time outside the accepted window 2000-01-01 to 2100-01-01"


def row(i: int, sent_at: str | None = None) -> str:
    role = "buyer" if i % 2 == 0 else "agent"
    return f"店A,b{i % 3},店A:小雅,{role},{sent_at or f'2026-11-09 09:00:{i:02d}'},你好{i}\n"


def chat_csv(folder: Path, name: str = "c.csv", times: dict[int, str] | None = None, n: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + "".join(row(i, (times or {}).get(i)) for i in range(n)), encoding="utf-8")
    return path


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_clean(result, exit_code: int) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, (SystemExit, type(None))), result.exception


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


# --- item 6: one input aborted the run -------------------------------------------------------------


def test_json_nested_100000_deep_fails_alone_and_the_other_file_loads(tmp_path):
    inputs = tmp_path / "in"
    chat_csv(inputs)
    (inputs / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    db = tmp_path / "qc.duckdb"
    result = qc("ingest", inputs, "--db", db)
    assert_clean(result, 1)  # a partly failed run exits 1
    [error] = error_lines(result)
    assert "deep.json: JSON nested deeper than 64 levels" in error and "json_max_depth" in error
    assert query(db, "SELECT count(*) FROM messages") == [(10,)]
    assert query(db, "SELECT source_path, source_line, reason LIKE '%nested deeper than 64 levels%' FROM quarantine") == [
        (str(inputs / "deep.json"), None, True)
    ]
    assert [Path(p).name for (p,) in query(db, "SELECT path FROM ingested_files")] == ["c.csv"]


def test_a_json_lines_line_nested_too_deep_is_quarantined_alone(tmp_path):
    record = {"shop": "店A", "buyer": "b1", "agent": "店A:小雅", "role": "buyer", "text": "你好"}
    lines = [json.dumps({**record, "sent_at": f"2026-11-09 09:00:0{i}"}, ensure_ascii=False) for i in range(3)]
    lines.insert(1, "[" * 5000 + "]" * 5000)
    lines.insert(3, json.dumps({**record, "sent_at": "2026-11-09 09:00:09", "text": "[" * 100}, ensure_ascii=False))
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = read_file(path, load_config())
    assert parsed.rows_read == 5 and len(parsed.messages) == 4  # brackets inside a string do not nest
    assert parsed.quarantine.select("source_line", "reason").rows() == [
        (2, "line nested deeper than 64 levels of arrays and objects")
    ]


def test_the_json_depth_limit_is_configurable_and_checked(tmp_path):
    doc = [{"shop": "店A", "buyer": "b1", "agent": "店A:小雅", "role": "buyer", "sent_at": "2026-11-09 09:00:00",
            "text": "你好", "extra": [[[1]]]}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert len(read_file(path, load_config()).messages) == 1  # five levels
    strict = tmp_path / "strict.toml"
    strict.write_text("[ingest]\njson_max_depth = 4\n", encoding="utf-8")
    result = qc("ingest", path, "--db", tmp_path / "qc.duckdb", "--config", strict)
    assert_clean(result, 1)
    assert "JSON nested deeper than 4 levels of arrays and objects (line 1;" in error_lines(result)[0]
    for bad in ("0", "100000", '"deep"'):
        strict.write_text(f"[ingest]\njson_max_depth = {bad}\n", encoding="utf-8")
        result = qc("ingest", path, "--db", tmp_path / "qc.duckdb", "--config", strict)
        assert_clean(result, 2)
        says = "must be a number" if bad.startswith('"') else "must be a whole number from 1 to 200"
        assert "ingest.json_max_depth" in error_lines(result)[0] and says in error_lines(result)[0]


def test_a_file_symlinked_to_itself_fails_alone(tmp_path):
    inputs = tmp_path / "in"
    chat_csv(inputs)
    os.symlink("loop.csv", inputs / "loop.csv")
    db = tmp_path / "qc.duckdb"
    for given in (inputs, inputs / "loop.csv"):
        result = qc("ingest", given, inputs / "c.csv", "--db", db)
        assert_clean(result, 1)
        [error] = error_lines(result)
        assert error.startswith(f"error: {inputs / 'loop.csv'}: cannot be read (") and "symbolic links" in error
    assert query(db, "SELECT count(*) FROM messages") == [(10,)]
    assert query(db, "SELECT count(*) FROM quarantine WHERE source_path LIKE '%loop.csv'") == [(1,)]


def test_times_in_year_9999_or_year_1_are_quarantined_and_the_reports_are_written(tmp_path):
    inputs = tmp_path / "in"
    chat_csv(inputs, times={3: "9999-12-31 23:59:59", 4: "0001-01-01 00:00:00", 5: "1999-12-31 23:59:59"})
    db = tmp_path / "qc.duckdb"
    result = qc("run", inputs, "--db", db, "--out", tmp_path / "out")
    assert_clean(result, 0)  # used to end in OverflowError while the reports were written
    assert query(db, "SELECT source_line, reason, raw LIKE '%你好' || (source_line - 2) FROM quarantine ORDER BY 1") == [
        (5, WINDOW_REASON, True), (6, WINDOW_REASON, True), (7, WINDOW_REASON, True)
    ]
    assert query(db, "SELECT count(*), min(sent_at) > '2000-01-01', max(sent_at) < '2100-01-01' FROM messages") == [
        (7, True, True)
    ]
    assert (tmp_path / "out" / "2026-W46" / "summary.html").is_file()


def test_a_big_file_read_in_pieces_applies_the_same_window(tmp_path, monkeypatch):
    times = {3: "9999-12-31 23:59:59", 4: "0001-01-01 00:00:00", 7: "2026-11-09 09:00:60"}
    path = chat_csv(tmp_path, times=times, n=60)
    whole = read_file(path, load_config())
    assert whole.stream is None
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 300)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 120)
    streamed = read_file(path, load_config())
    assert streamed.stream is not None
    con = open_warehouse(tmp_path / "qc.duckdb")
    counts = load_parsed(con, streamed)
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined) == (60, 57, 3)
    stored = con.execute("SELECT source_line, reason FROM quarantine ORDER BY 1").fetchall()
    assert stored == whole.quarantine.select("source_line", "reason").rows() == [
        (5, WINDOW_REASON), (6, WINDOW_REASON), (9, "unreadable time '2026-11-09 09:00:60'")
    ]


def test_the_window_is_configurable_and_checked(tmp_path):
    path = chat_csv(tmp_path / "in")
    config = tmp_path / "window.toml"
    config.write_text('[ingest]\ntime_window_start = "2026-11-09 09:00:05"\ntime_window_end = 2026-11-10\n',
                      encoding="utf-8")
    parsed = read_file(path, load_config(config))
    reason = "time outside the accepted window 2026-11-09 to 2026-11-10"
    assert parsed.quarantine.select("source_line", "reason").rows() == [(n, reason) for n in range(2, 7)]
    assert parsed.messages["sent_at"].min() == dt.datetime(2026, 11, 9, 9, 0, 5)
    for body, says in [
        ('time_window_start = "2100-01-01"', "ingest.time_window_start must be before ingest.time_window_end"),
        ('time_window_end = "yesterday"', 'ingest.time_window_end must be a date like "2000-01-01"'),
        ("time_window_end = 9999-12-31", "ingest.time_window_end must lie between the years 1900 and 9000"),
    ]:
        config.write_text(f"[ingest]\n{body}\n", encoding="utf-8")
        result = qc("ingest", path, "--db", tmp_path / "qc.duckdb", "--config", config)
        assert_clean(result, 2)
        [error] = error_lines(result)
        assert error.startswith(f"error: {config}: {says}"), error


def test_order_times_outside_the_window_are_quarantined(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,shop,buyer,created_at,paid_at,amount\n"
        "o1,店A,b1,2026-11-09 09:00:00,2026-11-09 09:05:00,10\n"
        "o2,店A,b1,9999-12-31 00:00:00,,10\n"
        "o3,店A,b1,2026-11-09 09:00:00,0001-01-01 00:00:00,10\n",
        encoding="utf-8",
    )
    parsed = read_file(path, load_config())
    assert parsed.orders["order_id"].to_list() == ["o1"]
    assert parsed.quarantine.select("source_line", "reason").rows() == [
        (3, f"created time: {WINDOW_REASON}"), (4, f"payment time: {WINDOW_REASON}")
    ]


def test_an_unexpected_error_in_one_reader_fails_that_file_alone(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    chat_csv(inputs)
    (inputs / "b.json").write_text('[{"shop": "店A"}]', encoding="utf-8")

    def broken(source, config):
        raise ValueError("reader bug\nsecond line of the message")

    monkeypatch.setattr(dispatch, "json_file", broken)
    db = tmp_path / "qc.duckdb"
    result = qc("ingest", inputs, "--db", db)
    assert_clean(result, 1)
    assert error_lines(result) == [f"error: {inputs / 'b.json'}: could not be read (ValueError: reader bug)"]
    assert "second line" not in result.output
    assert query(db, "SELECT count(*) FROM messages") == [(10,)]
    assert query(db, "SELECT reason FROM quarantine") == [(f"{inputs / 'b.json'}: could not be read (ValueError: reader bug)",)]


def test_an_error_while_a_big_file_streams_fails_that_file_alone(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    chat_csv(inputs, "a.csv", n=60)
    chat_csv(inputs, "b.csv", times={i: f"2026-11-10 10:00:{i:02d}" for i in range(10)})
    monkeypatch.setattr(stream, "PIECE_BYTES", 300)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 120)
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    real = stream.ChatStream.chunks

    def failing(self):
        for i, chunk in enumerate(real(self)):
            if i == 2 and self.source.name.endswith("a.csv"):
                raise OverflowError("value out of range")
            yield chunk

    monkeypatch.setattr(stream.ChatStream, "chunks", failing)
    con = open_warehouse(tmp_path / "qc.duckdb")
    report = ingest_paths(con, [inputs], load_config())
    assert [(Path(f.path).name, f.error) for f in report.failed] == [
        ("a.csv", f"{inputs / 'a.csv'}: could not be read (OverflowError: value out of range)")
    ]
    assert con.execute("SELECT DISTINCT source_path FROM messages").fetchall() == [(str(inputs / "b.csv"),)]
    assert con.execute("SELECT count(*) FROM messages").fetchall() == [(10,)]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, MemoryError])
def test_an_interrupt_or_exhausted_memory_still_stops_the_run(tmp_path, monkeypatch, stop):
    chat_csv(tmp_path / "in")

    def reader(path, config):
        raise stop()

    monkeypatch.setattr("qc_pipeline.pipeline.read_file", reader)
    with pytest.raises(stop):
        ingest_paths(open_warehouse(tmp_path / "qc.duckdb"), [tmp_path / "in"], load_config())


# --- item 12 -------------------------------------------------------------------------------------


def test_an_impossible_offset_or_second_60_is_quarantined(tmp_path):
    times = {3: "2026-11-09T09:00:00+99:99", 4: "2026-11-09 09:00:60", 5: "2026/11/9 9:00:60.5",
             6: "2026-11-09T09:00:00+08:60", 7: "2026-11-09T09:00:07+23:59"}
    parsed = read_file(chat_csv(tmp_path, times=times), load_config())
    assert parsed.quarantine.select("source_line", "reason").rows() == [
        (n + 2, f"unreadable time '{times[n]}'") for n in (3, 4, 5, 6)
    ]
    assert len(parsed.messages) == 6  # +23:59 is a well-formed offset


def test_a_json_lines_line_holding_a_bare_string_gets_a_fixed_reason(tmp_path):
    record = {"shop": "店A", "buyer": "b1", "agent": "店A:小雅", "role": "buyer", "text": "你好"}
    lines = [json.dumps({**record, "sent_at": f"2026-11-09 09:00:0{i}"}, ensure_ascii=False) for i in range(4)]
    lines.insert(2, json.dumps("just a string"))
    lines.insert(4, "42")
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parsed = read_file(path, load_config())
    assert len(parsed.messages) == 4
    assert parsed.quarantine.select("source_line", "reason", "raw").rows() == [
        (3, "not a JSON object", '"just a string"'), (5, "not a JSON object", "42")
    ]


def test_reports_written_inside_an_input_folder_are_not_read_back(tmp_path):
    inputs = tmp_path / "in"
    chat_csv(inputs)
    db = tmp_path / "qc.duckdb"
    out = inputs / "reports"
    assert_clean(qc("run", inputs, "--db", db, "--out", out), 0)
    week = out / "2026-W46"
    assert (week / OUTPUT_MARKER).is_file() and (week / "summary.html").is_file()
    assert any(p.suffix == ".csv" for p in week.rglob("*"))
    before = query(db, "SELECT count(*) FROM messages")
    result = qc("run", inputs, "--db", db, "--out", out)
    assert_clean(result, 0)
    assert f"skipped {week}: chat-qc's own output" in result.output.replace("\n", "")
    assert query(db, "SELECT count(*) FROM messages") == before == [(10,)]
    assert query(db, "SELECT count(*) FROM quarantine") == [(0,)]
    assert [Path(p).name for (p,) in query(db, "SELECT DISTINCT path FROM ingested_files")] == ["c.csv"]
    # Naming the output folder itself as the input finds nothing to read, and says why.
    result = qc("ingest", week, "--db", db)
    assert_clean(result, 2)
    assert error_lines(result) == [f"error: no input files found in {week} (skipped as chat-qc's own output: {week})"]


def test_discovery_skips_marked_folders_only(tmp_path):
    kept = chat_csv(tmp_path / "a")
    chat_csv(tmp_path / "a" / "reports" / "2026-W46")
    (tmp_path / "a" / "reports" / "2026-W46" / OUTPUT_MARKER).write_text("", encoding="utf-8")
    found = discover([tmp_path])
    assert list(found) == [kept] and found.skipped == [tmp_path / "a" / "reports" / "2026-W46"]


def test_the_spark_engine_fails_such_a_file_alone_too(monkeypatch):
    from qc_pipeline.spark import parse as spark_parse

    def broken(source, config):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(spark_parse, "read_source", broken)
    outcome = spark_parse.parse_bytes("in/b.json", b"[]", None, load_config())
    assert (outcome.status, outcome.error) == (
        spark_parse.UNREADABLE, "in/b.json: could not be read (RecursionError: maximum recursion depth exceeded)"
    )


def test_a_parquet_lake_inside_an_input_folder_is_skipped(tmp_path):
    from qc_pipeline.lake.files import Lake

    kept = chat_csv(tmp_path / "in")
    Lake.at(tmp_path / "in" / "lake").create()
    assert list((tmp_path / "in" / "lake").rglob("*.parquet"))
    found = discover([tmp_path / "in"])
    assert list(found) == [kept] and found.skipped == [tmp_path / "in" / "lake"]
