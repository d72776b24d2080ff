"""A big order report is read piece by piece (ingest/stream.py DelimitedPieces) into the same orders,
quarantined rows, digest and counts as a whole-file read, and is never refused for its size.

The streamed path is forced on small files by lowering its threshold, with pieces of a few KiB so that
every file crosses many piece boundaries. The whole-file read (checked against the report's definitions
by test_ingest_orders.py) is the reference.
"""
import hashlib
from pathlib import Path

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.ingest import pieces, read_file, stream
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import write

SAMPLE_ORDERS = Path(__file__).parent.parent / "sample_logs" / "orders_report.csv"
ORDERS = "SELECT * EXCLUDE (source_path) FROM orders ORDER BY order_id"
VERSIONS = "SELECT * EXCLUDE (source_path, ingested_at) FROM order_versions ORDER BY order_id, state_rank"
QUARANTINE = "SELECT source_line, reason, raw FROM quarantine ORDER BY source_line"
FILES = "SELECT format, encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined, sha256 FROM ingested_files"


def _sample_records() -> list[str]:
    """The sample report's records as written: a quoted field may hold line breaks (a remark of several
    lines), so physical lines are joined while a record's quotes are unbalanced (the sample is well formed)."""
    records, pending = [], ""
    for physical in SAMPLE_ORDERS.read_bytes().decode("gbk").split("\r\n")[:-1]:
        pending = f"{pending}\r\n{physical}" if pending else physical
        if pending.count('"') % 2 == 0:
            records.append(pending)
            pending = ""
    assert not pending
    return records


def _report(extra_lines: int = 0) -> bytes:
    """The sample's GBK order report, with hostile rows added: a bad time, a missing id, an unclosed quote,
    an unreadable amount, and a quoted line break in a buyer's note."""
    header, *rows = _sample_records()
    names = next(iter([header.split(",")]))
    width = len(names)

    def line(**cells: str) -> str:
        by_name = {n.strip('"').strip(): i for i, n in enumerate(names)}
        out = [""] * width
        for key, value in cells.items():
            out[by_name[key]] = value
        return ",".join(out)

    hostile = [
        line(订单编号='="1000000000000001"', 买家会员名="坏时间", 订单创建时间="昨天下午3点", 买家实际支付金额="10"),
        line(订单编号="", 买家会员名="没有单号", 订单创建时间="2026-11-17 10:00:00", 买家实际支付金额="10"),
        line(订单编号='="1000000000000002"', 买家会员名="坏金额", 订单创建时间="2026-11-17 10:00:00", 买家实际支付金额="十块"),
        line(订单编号='="1000000000000003"', 买家会员名="留言换行", 买家留言='"第一行\n第二行"',
             订单创建时间="2026-11-17 11:00:00", 买家实际支付金额="12.5"),
        line(订单编号='="1000000000000004"', 买家会员名='"没关的引号', 订单创建时间="2026-11-17 12:00:00",
             买家实际支付金额="1"),
    ]
    body = rows[: len(rows) // 2] + hostile + rows[len(rows) // 2 :] + rows[:extra_lines]
    return ("\r\n".join([header, *body]) + "\r\n").encode("gbk")


def _load(tmp_path: Path, content: bytes, db: str, config=None):
    con = open_warehouse(tmp_path / db)
    parsed = read_file(write(tmp_path, "orders.csv", content), config or load_config())
    load_parsed(con, parsed)
    return con, parsed


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture
def streamed_pieces(monkeypatch):
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 1024)


def test_a_streamed_order_report_equals_the_whole_file_read(tmp_path, monkeypatch):
    content = _report()
    whole, whole_parsed = _load(tmp_path, content, "whole.duckdb")
    decoded = []
    original = stream._decoding

    def spy(read, encoding):
        decoded.append(encoding)
        return original(read, encoding)

    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 1024)
    monkeypatch.setattr(stream, "_decoding", spy)
    streamed, streamed_parsed = _load(tmp_path, content, "streamed.duckdb")
    assert decoded == ["gbk"]  # read block by block, not decoded whole first
    assert streamed_parsed.format == whole_parsed.format == "taobao-order-report"
    for sql in (ORDERS, VERSIONS, QUARANTINE, FILES):
        assert _rows(streamed, sql) == _rows(whole, sql), sql
    # From the outside: every record of the file is an order or a quarantined row, and the digest is the file's.
    # header, final newline, the note's quoted break and the sample's multi-line remarks
    remark_breaks = sum(r.count("\n") for r in _sample_records())
    assert remark_breaks > 0
    records = len(content.decode("gbk").replace("\r\n", "\n").split("\n")) - 2 - 1 - remark_breaks
    files = _rows(streamed, FILES)[0]
    assert files[2] == records
    assert files[3] + files[5] == records
    assert files[6] == hashlib.sha256(content).hexdigest()
    assert files[5] >= 3


def test_an_order_report_over_the_whole_file_limit_is_read_not_refused(tmp_path, monkeypatch):
    from qc_pipeline.ingest import source

    monkeypatch.setattr(source, "PREFIX_BYTES", 16384)  # a file bigger than its recognised start
    content = _report(extra_lines=0)
    config = load_config()
    config.raw["ingest"]["whole_file_max_mb"] = len(content) / 2 / (1 << 20)  # the file is twice the limit
    con, parsed = _load(tmp_path, content, "qc.duckdb", config)
    whole, _ = _load(tmp_path, content, "whole.duckdb")
    assert parsed.rows_read > 0
    assert _rows(con, ORDERS) == _rows(whole, ORDERS)


def test_loading_a_streamed_order_report_again_adds_nothing(tmp_path, streamed_pieces):
    content = _report()
    con, _ = _load(tmp_path, content, "qc.duckdb")
    before = _rows(con, ORDERS)
    counts = load_parsed(con, read_file(write(tmp_path, "again.csv", content), load_config()))
    assert counts.rows_loaded == 0 and _rows(con, ORDERS) == before
