"""Exporter message ids are an attribute, never the identity (docs/formats.md, "Message identity").

A different message with an id another file already used is stored, a repeated id with another text in
one file gives two messages (and each gets its own flags), the clash is counted and kept in
`id_clashes`; the same message really repeated (re-ingest, an overlapping export) still adds nothing.
"""
from __future__ import annotations

import hashlib

from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.ingest import pieces, read_file, stream
from qc_pipeline.pipeline import ingest_paths
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from qc_pipeline.store.schema import SCHEMA_VERSION
from tests.conftest_ingest import CONFIG, write

HEADER = "msg_id,shop,buyer,agent,role,sent_at,text"
SHOP = "店A"
AGENT = "店A:小雅"
A_CSV = "\n".join([
    HEADER,
    f"m1,{SHOP},b1,{AGENT},buyer,2026-11-09 09:00:00,在吗",
    f"m2,{SHOP},b1,{AGENT},agent,2026-11-09 09:00:10,在的",
    f"m2,{SHOP},b1,{AGENT},agent,2026-11-09 09:00:20,亲这是全网第一好的",
]) + "\n"
B_CSV = HEADER + f"\nm1,{SHOP},b2,{AGENT},buyer,2026-11-10 10:00:00,发货了吗\n"


def md5(*fields: str) -> str:
    return hashlib.md5(chr(31).join(fields).encode("utf-8")).hexdigest()


def content_id(buyer: str, role: str, sent_at: str, text: str, occ: int = 0) -> str:
    agent = "" if role == "buyer" else AGENT
    return md5(SHOP, buyer, agent, role, sent_at + ".000000", text, str(occ))


def ingest(con, tmp_path, *files: tuple[str, str]):
    paths = [write(tmp_path, name, text) for name, text in files]
    return ingest_paths(con, paths, CONFIG)


def test_four_distinct_messages_and_two_clashes(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    report = ingest(con, tmp_path, ("a.csv", A_CSV), ("b.csv", B_CSV))
    counts = {f.path.rsplit("/", 1)[-1]: f.counts for f in report.files}
    assert (counts["a.csv"].rows_loaded, counts["a.csv"].rows_duplicate, counts["a.csv"].id_clashes) == (3, 0, 1)
    assert (counts["b.csv"].rows_loaded, counts["b.csv"].rows_duplicate, counts["b.csv"].id_clashes) == (1, 0, 1)
    stored = con.execute("SELECT msg_id, source_msg_id, buyer, text FROM messages ORDER BY sent_at").fetchall()
    assert stored == [
        (content_id("b1", "buyer", "2026-11-09 09:00:00", "在吗"), "m1", "b1", "在吗"),
        (content_id("b1", "agent", "2026-11-09 09:00:10", "在的"), "m2", "b1", "在的"),
        (content_id("b1", "agent", "2026-11-09 09:00:20", "亲这是全网第一好的"), "m2", "b1", "亲这是全网第一好的"),
        (content_id("b2", "buyer", "2026-11-10 10:00:00", "发货了吗"), "m1", "b2", "发货了吗"),
    ]
    clashes = con.execute(
        """SELECT source_msg_id, msg_id, first_msg_id, source_line, first_source_line,
                  split_part(source_path, '/', -1), split_part(first_source_path, '/', -1)
           FROM id_clashes ORDER BY source_msg_id""").fetchall()
    assert clashes == [
        ("m1", stored[3][0], stored[0][0], 2, 2, "b.csv", "a.csv"),
        ("m2", stored[2][0], stored[1][0], 4, 3, "a.csv", "a.csv"),
    ]
    assert con.execute("SELECT sum(id_clashes) FROM ingested_files").fetchone()[0] == 2


def test_loading_again_adds_nothing_and_no_clash(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest(con, tmp_path, ("a.csv", A_CSV), ("b.csv", B_CSV))
    before = con.execute("SELECT * FROM messages ORDER BY msg_id").fetchall()
    # The same files again, and a copy of a.csv under another name.
    report = ingest(con, tmp_path, ("a.csv", A_CSV), ("b.csv", B_CSV), ("a_copy.csv", A_CSV))
    got = {f.path.rsplit("/", 1)[-1]: (f.counts.rows_loaded, f.counts.rows_duplicate, f.counts.id_clashes)
           for f in report.files}
    assert got == {"a.csv": (0, 3, 0), "b.csv": (0, 1, 0), "a_copy.csv": (0, 3, 0)}
    assert con.execute("SELECT * FROM messages ORDER BY msg_id").fetchall() == before
    assert con.execute("SELECT count(*) FROM id_clashes").fetchone()[0] == 2


def test_an_overlapping_export_with_the_same_rows_deduplicates(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest(con, tmp_path, ("a.csv", A_CSV))
    # A later export repeating a.csv's first two rows (same ids, same content) and one new message.
    overlap = "\n".join(A_CSV.splitlines()[:3] + [f"m3,{SHOP},b1,{AGENT},buyer,2026-11-09 09:01:00,好的"]) + "\n"
    report = ingest(con, tmp_path, ("overlap.csv", overlap))
    c = report.files[0].counts
    assert (c.rows_loaded, c.rows_duplicate, c.id_clashes) == (1, 2, 0)
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 4


def test_an_exporter_that_renumbers_does_not_duplicate(tmp_path):
    # Ids are not the identity either way: the same message under another exporter id is a duplicate.
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest(con, tmp_path, ("a.csv", A_CSV))
    renumbered = A_CSV.replace("m1,", "x1,").replace("m2,", "x2,")
    c = ingest(con, tmp_path, ("renumbered.csv", renumbered)).files[0].counts
    assert (c.rows_loaded, c.rows_duplicate) == (0, 3)


def test_two_identical_lines_with_one_id_are_two_messages_and_a_clash(tmp_path):
    # Two identical lines inside one export are two messages (docs/formats.md); one id on both is a clash.
    line = f"m9,{SHOP},b1,{AGENT},buyer,2026-11-09 09:00:00,在吗"
    con = open_warehouse(tmp_path / "qc.duckdb")
    c = ingest(con, tmp_path, ("twice.csv", "\n".join([HEADER, line, line]) + "\n")).files[0].counts
    assert (c.rows_loaded, c.id_clashes) == (2, 1)
    ids = [r[0] for r in con.execute("SELECT msg_id FROM messages ORDER BY source_line").fetchall()]
    assert ids == [content_id("b1", "buyer", "2026-11-09 09:00:00", "在吗", k) for k in (0, 1)]


def test_ids_of_the_same_value_in_two_shops_do_not_clash(tmp_path):
    other = B_CSV.replace(f",{SHOP},", ",店B,").replace(AGENT, "店B:阿杰")
    con = open_warehouse(tmp_path / "qc.duckdb")
    report = ingest(con, tmp_path, ("a.csv", A_CSV), ("other.csv", other))
    assert [f.counts.id_clashes for f in report.files] == [1, 0]


def test_streamed_file_gives_the_same_messages_and_clashes(tmp_path, monkeypatch):
    rows = [f"m{i % 7},{SHOP},b{i % 3},{AGENT},{'buyer' if i % 2 else 'agent'},2026-11-09 09:{i // 60:02d}:{i % 60:02d},第{i}句"
            for i in range(60)]
    content = "\n".join([HEADER, *rows, rows[5]]) + "\n"

    def load(db: str):
        con = open_warehouse(tmp_path / db)
        counts = load_parsed(con, read_file(write(tmp_path, "big.csv", content), CONFIG))
        return con, counts

    whole, whole_counts = load("whole.duckdb")
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 300)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 120)
    streamed, counts = load("streamed.duckdb")
    assert counts == whole_counts
    # 61 rows under 7 ids: 7 first holders, 54 clashes (the repeated last line among them).
    assert (counts.rows_loaded, counts.id_clashes) == (61, 54)
    for sql in ("SELECT msg_id, source_msg_id, source_line FROM messages ORDER BY source_line",
                "SELECT * EXCLUDE (source_path, first_source_path) FROM id_clashes ORDER BY source_line"):
        assert streamed.execute(sql).fetchall() == whole.execute(sql).fetchall()


def test_a_repeated_id_with_another_text_is_flagged_once(tmp_path):
    """Before, both rows were stored under msg_id m2: every flag of one joined both (counted double)."""
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "a.csv", A_CSV)
    db = tmp_path / "qc.duckdb"
    result = CliRunner().invoke(app, ["run", str(folder), "--db", str(db), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    con = open_warehouse(db, read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT msg_id) FROM messages").fetchone() == (3, 3)
    flagged = con.execute(
        """SELECT m.text, count(*) FROM flags f JOIN messages m USING (msg_id)
           WHERE f.category = 'extreme_word' GROUP BY m.text""").fetchall()
    assert flagged == [("亲这是全网第一好的", 1)]
    # Every flag belongs to exactly one message.
    assert con.execute("SELECT count(*) FROM flags f JOIN messages m USING (msg_id)").fetchone()[0] == \
        con.execute("SELECT count(*) FROM flags").fetchone()[0]


def _as_schema_5(con) -> None:
    """Turn a warehouse into what schema 5 wrote: exporter ids as msg_id, none of the new tables or columns."""
    con.execute("UPDATE messages SET msg_id = source_msg_id WHERE source_msg_id IS NOT NULL")
    con.execute("ALTER TABLE messages DROP COLUMN source_msg_id")
    con.execute("ALTER TABLE ingested_files DROP COLUMN id_clashes")
    con.execute("DROP TABLE id_clashes")
    con.execute("DROP TABLE order_versions")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")


def test_a_schema_5_warehouse_gets_content_ids(tmp_path):
    db = tmp_path / "qc.duckdb"
    con = open_warehouse(db)
    plain = A_CSV.replace("m1,", ",").replace("m2,", ",")  # the same messages, no exporter ids
    ingest(con, tmp_path, ("a.csv", A_CSV), ("plain.csv", "msg_id,shop,buyer,agent,role,sent_at,text\n"
                                              f",{SHOP},b3,{AGENT},buyer,2026-11-11 09:00:00,你好\n"))
    orders = "order_id,buyer,shop,created_at,paid_at,amount,refund_amount,status\n9001,b1,店A,2026-11-09 09:05:00,,0,0,等待买家付款\n"
    load_parsed(con, read_file(write(tmp_path, "orders.csv", orders), CONFIG))
    want = con.execute("SELECT msg_id, source_msg_id FROM messages ORDER BY sent_at").fetchall()
    _as_schema_5(con)
    con.close()

    con = open_warehouse(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    assert con.execute("SELECT msg_id, source_msg_id FROM messages ORDER BY sent_at").fetchall() == want
    assert con.execute("SELECT order_id, state, sha256 FROM order_versions").fetchall() == [("9001", "created", None)]
    # Schema 5 stored both m2 rows under one id: now two messages, and their clash is on record.
    assert con.execute("SELECT source_msg_id, source_line, first_source_line FROM id_clashes").fetchall() == [("m2", 4, 3)]
    # Loading the files again adds nothing; the message schema 5 dropped as a duplicate now arrives.
    report = ingest(con, tmp_path, ("a.csv", A_CSV), ("plain2.csv", plain), ("b.csv", B_CSV))
    got = {f.path.rsplit("/", 1)[-1]: (f.counts.rows_loaded, f.counts.id_clashes) for f in report.files}
    assert got == {"a.csv": (0, 0), "plain2.csv": (0, 0), "b.csv": (1, 1)}
