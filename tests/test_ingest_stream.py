"""Big canonical tables are loaded piece by piece (ingest/stream.py) with the same result as a whole-file read.

The streamed path is forced on small files by lowering its thresholds, with pieces of a few hundred
bytes so that every file crosses many piece boundaries. Its result is compared with the whole-file
path (whose ids, lines and reasons the other ingest tests check against their definitions) and with
the msg_id definition directly.
"""
import hashlib

import pytest

from qc_pipeline.ingest import pieces, read_file, stream
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import AJIE, BUYER, CANONICAL_HEADER, CONFIG, SHOP, XIAOYA, write

OTHER_SHOP = "云朵女装店"


def md5(*fields: str) -> str:
    return hashlib.md5(chr(31).join(fields).encode("utf-8")).hexdigest()


def row(role="buyer", sent_at="2026-11-16 09:12:03", text="在吗", buyer=BUYER, shop=SHOP, agent=XIAOYA) -> str:
    return ",".join([shop, buyer, agent, role, sent_at, text])


def conversation(n: int, week_day: int = 16) -> list[str]:
    lines = []
    for i in range(n):
        minute, second = divmod(i, 60)
        role = "buyer" if i % 2 == 0 else "agent"
        lines.append(row(role=role, sent_at=f"2026-11-{week_day} 10:{minute:02d}:{second:02d}", text=f"第{i}句"))
    return lines


@pytest.fixture
def tiny_pieces(monkeypatch):
    """Stream every chat table, in pieces of ~300 bytes (small pieces of ~120)."""
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 300)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 120)


def load(tmp_path, name: str, content: str | bytes, db: str = "qc.duckdb"):
    con = open_warehouse(tmp_path / db)
    counts = load_parsed(con, read_file(write(tmp_path, name, content), CONFIG))
    return con, counts


def table(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


MESSAGES = "SELECT msg_id, shop, buyer, agent, role, sent_at, text, source_line FROM messages ORDER BY source_line"
QUARANTINE = "SELECT source_line, reason, raw FROM quarantine ORDER BY source_line"
FILES = "SELECT format, encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined FROM ingested_files"


CASES = {
    "plain": "\n".join([CANONICAL_HEADER, *conversation(40)]) + "\n",
    "crlf and quoted line breaks": (
        "\r\n".join([CANONICAL_HEADER, *conversation(10), row(text='"两行\r\n第二行 ""引号"""'), *conversation(10, 17)]) + "\r\n"
    ),
    "bad rows, blank lines and a cut last line": "\n".join(
        [CANONICAL_HEADER, *conversation(12), row(sent_at="昨天下午3点"), "", row(role="boss"),
         row(text="一") + ",多出来的字段", *conversation(12, 17), f"{SHOP},{BUYER},{XIAOYA},bu"]
    ),
    "given ids": "\n".join(["msg_id," + CANONICAL_HEADER, "m-1," + row(), "," + row(text="另一条"), " m-2 ," + row(text="三")]) + "\n",
    "utf-8 with bom": "\ufeff" + "\n".join([CANONICAL_HEADER, *conversation(30)]) + "\n",
    "tsv": "\n".join([CANONICAL_HEADER, *conversation(30)]).replace(",", "\t") + "\n",
}


@pytest.mark.parametrize("name", CASES)
def test_streamed_load_equals_whole_file_load(tmp_path, monkeypatch, name):
    content = CASES[name]
    whole, whole_counts = load(tmp_path, "a.csv", content, "whole.duckdb")
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 300)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 120)
    streamed, counts = load(tmp_path, "a.csv", content, "streamed.duckdb")
    assert table(streamed, MESSAGES) == table(whole, MESSAGES)
    assert table(streamed, QUARANTINE) == table(whole, QUARANTINE)
    assert table(streamed, FILES) == table(whole, FILES)
    assert counts == whole_counts
    assert counts.rows_read == counts.rows_loaded + counts.rows_duplicate + counts.rows_quarantined


def test_streamed_sha256_is_the_files(tmp_path, tiny_pieces):
    content = "\n".join([CANONICAL_HEADER, *conversation(40)]) + "\n"
    con, _ = load(tmp_path, "a.csv", content)
    assert table(con, "SELECT sha256 FROM ingested_files") == [(hashlib.sha256(content.encode()).hexdigest(),)]


def test_identical_rows_far_apart_are_counted_across_pieces(tmp_path, tiny_pieces):
    same = row(text="在吗")
    content = "\n".join([CANONICAL_HEADER, same, *conversation(30, 17), same, *conversation(30, 18), same]) + "\n"
    con, counts = load(tmp_path, "a.csv", content)
    base = (SHOP, BUYER, "", "buyer", "2026-11-16 09:12:03.000000", "在吗")
    ids = [r[0] for r in table(con, "SELECT msg_id FROM messages WHERE text = '在吗' ORDER BY source_line")]
    assert ids == [md5(*base, "0"), md5(*base, "1"), md5(*base, "2")]
    assert counts.rows_loaded == 63


def test_loading_a_streamed_file_again_adds_nothing(tmp_path, tiny_pieces):
    content = "\n".join([CANONICAL_HEADER, *conversation(30), row(role="boss")]) + "\n"
    con = open_warehouse(tmp_path / "qc.duckdb")
    first = load_parsed(con, read_file(write(tmp_path, "a.csv", content), CONFIG))
    again = load_parsed(con, read_file(write(tmp_path, "copy.csv", content), CONFIG))
    assert (first.rows_read, first.rows_loaded, first.rows_duplicate, first.rows_quarantined) == (31, 30, 0, 1)
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (31, 0, 30, 1)
    assert table(con, "SELECT count(*) FROM messages") == [(30,)]
    assert table(con, "SELECT count(*) FROM quarantine") == [(1,)]  # same content: not kept twice
    assert again.touched == set() and again.weeks == {"2026-W47"}


def test_a_file_that_fails_midway_leaves_nothing(tmp_path, tiny_pieces, monkeypatch):
    content = "\n".join([CANONICAL_HEADER, *conversation(60)]) + "\n"
    real = stream.ChatStream.chunks

    def failing(self):
        for i, chunk in enumerate(real(self)):
            if i == 3:
                raise RuntimeError("disk gone")
            yield chunk

    monkeypatch.setattr(stream.ChatStream, "chunks", failing)
    con = open_warehouse(tmp_path / "qc.duckdb")
    with pytest.raises(RuntimeError):
        load_parsed(con, read_file(write(tmp_path, "a.csv", content), CONFIG))
    assert [table(con, f"SELECT count(*) FROM {t}") for t in ("messages", "quarantine", "ingested_files")] == [[(0,)]] * 3
    assert not table(con, "SELECT table_name FROM duckdb_tables() WHERE temporary")


@pytest.mark.parametrize("ascii_rows", [5, 2000])
def test_a_gbk_file_is_decoded_whole_even_when_it_starts_like_utf8(tmp_path, monkeypatch, ascii_rows):
    # ASCII reads the same in UTF-8 and GBK: with 2000 ASCII rows the first 64 KiB look like UTF-8 and
    # the stream finds out only later, and starts again.
    plain = [row(shop="shop1", buyer="tb1", agent="shop1:a", text=f"ok {i}") for i in range(ascii_rows)]
    content = ("\n".join([CANONICAL_HEADER, *plain]) + "\n").encode("ascii") + (row(text="亲，在的") + "\n").encode("gbk")
    whole, _ = load(tmp_path, "a.csv", content, "whole.duckdb")
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
    streamed, counts = load(tmp_path, "a.csv", content, "streamed.duckdb")
    assert table(streamed, MESSAGES) == table(whole, MESSAGES)
    assert table(streamed, FILES) == table(whole, FILES) == [("canonical-csv", "gbk", ascii_rows + 1, ascii_rows + 1, 0, 0)]
    assert table(streamed, f"SELECT text FROM messages WHERE source_line = {ascii_rows + 2}") == [("亲，在的",)]


def unclosed_quote_file(rows: int = 1000, at: int = 12) -> tuple[str, str]:
    lines = []
    for i in range(1, rows + 1):
        minute, second = divmod(i, 60)
        text = f'"亲，这件{i}' if i == at else f"第{i}句"
        lines.append(row(sent_at=f"2026-11-16 1{minute // 60}:{minute % 60:02d}:{second:02d}", text=text))
    return "\n".join([CANONICAL_HEADER, *lines]) + "\n", lines[at - 1]


@pytest.mark.parametrize("streamed", [False, True])
def test_an_unclosed_quote_costs_only_its_row(tmp_path, monkeypatch, streamed):
    if streamed:
        monkeypatch.setattr(stream, "STREAM_BYTES", 0)
        monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
        monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 1024)
    content, bad = unclosed_quote_file()
    con, counts = load(tmp_path, "q.csv", content)
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined) == (1000, 999, 1)
    assert table(con, QUARANTINE) == [(13, "unterminated quote (the field's closing quote is missing)", bad)]
    assert table(con, "SELECT text FROM messages WHERE source_line = 14") == [("第13句",)]
    assert table(con, "SELECT max(source_line) FROM messages") == [(1001,)]


def test_an_unclosed_quote_before_a_later_quoted_text(tmp_path):
    lines = [row(text="一"), row(text='"没有收尾'), row(text="三"), row(text='"有逗号, 的一句"'), row(text="五")]
    con, counts = load(tmp_path, "q.csv", "\n".join([CANONICAL_HEADER, *lines]) + "\n")
    assert table(con, "SELECT text, source_line FROM messages ORDER BY source_line") == [
        ("一", 2), ("三", 4), ("有逗号, 的一句", 5), ("五", 6)
    ]
    assert [r[0] for r in table(con, QUARANTINE)] == [3]


def test_quoted_line_breaks_that_look_like_text_stay_one_message(tmp_path):
    text = '"第一行\n第二行, 还有逗号\n第三行"'
    con, _ = load(tmp_path, "q.csv", "\n".join([CANONICAL_HEADER, row(text=text), row(text="下一条")]) + "\n")
    assert table(con, "SELECT text, source_line FROM messages ORDER BY source_line") == [
        ("第一行\n第二行, 还有逗号\n第三行", 2), ("下一条", 5)
    ]


def test_touched_partitions_of_messages(tmp_path):
    week47 = "\n".join([CANONICAL_HEADER, *conversation(4)]) + "\n"
    con, first = load(tmp_path, "a.csv", week47)
    assert first.touched == {(SHOP, "2026-W47")} and first.weeks == {"2026-W47"}
    # The same rows again, plus another shop in another week: only the new rows count.
    other = row(shop=OTHER_SHOP, agent=f"{OTHER_SHOP}:小鹿", sent_at="2026-11-23 10:00:00")
    counts = load_parsed(con, read_file(write(tmp_path, "b.csv", week47 + other + "\n"), CONFIG))
    assert counts.touched == {(OTHER_SHOP, "2026-W48")}
    assert counts.weeks == {"2026-W47", "2026-W48"}


ORDERS_HEADER = "order_id,buyer,shop,created_at,paid_at,amount"


def test_touched_partitions_of_orders(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    first = "\n".join([ORDERS_HEADER, f"o1,{BUYER},{SHOP},2026-11-16 10:00:00,,0", f"o2,{BUYER},{SHOP},2026-11-17 10:00:00,,0"]) + "\n"
    counts = load_parsed(con, read_file(write(tmp_path, "o1.csv", first), CONFIG))
    assert counts.touched == {(SHOP, "2026-W47")}
    # o1 is paid a week later and re-dated; o2 is unchanged.
    later = "\n".join([ORDERS_HEADER, f"o1,{BUYER},{SHOP},2026-11-09 10:00:00,2026-11-23 09:00:00,99", f"o2,{BUYER},{SHOP},2026-11-17 10:00:00,,0"]) + "\n"
    counts = load_parsed(con, read_file(write(tmp_path, "o2.csv", later), CONFIG))
    assert (counts.rows_loaded, counts.rows_duplicate) == (1, 1)
    assert counts.touched == {(SHOP, "2026-W46"), (SHOP, "2026-W48"), (SHOP, "2026-W47")}
    again = load_parsed(con, read_file(write(tmp_path, "o3.csv", later), CONFIG))
    assert again.touched == set()


def test_touched_partitions_of_a_roster(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    roster = f"agent,name,role\n{XIAOYA},小雅,presale\n{AJIE},阿杰,aftersale\n"
    assert load_parsed(con, read_file(write(tmp_path, "r1.csv", roster), CONFIG)).touched == {("*", "*")}
    assert load_parsed(con, read_file(write(tmp_path, "r2.csv", roster), CONFIG)).touched == set()
    changed = roster.replace("aftersale", "presale")
    assert load_parsed(con, read_file(write(tmp_path, "r3.csv", changed), CONFIG)).touched == {("*", "*")}


def test_a_given_id_at_another_time_is_another_message_and_a_clash(tmp_path):
    # An exporter id is an attribute: the same id on a message at another time is a different message.
    first = "\n".join(["msg_id," + CANONICAL_HEADER, "m-1," + row(sent_at="2026-11-01 10:00:00")]) + "\n"
    con, _ = load(tmp_path, "a.csv", first)
    moved = "\n".join(["msg_id," + CANONICAL_HEADER, "m-1," + row(sent_at="2026-11-20 10:00:00")]) + "\n"
    counts = load_parsed(con, read_file(write(tmp_path, "b.csv", moved), CONFIG))
    assert (counts.rows_loaded, counts.rows_duplicate, counts.id_clashes) == (1, 0, 1)
    again = load_parsed(con, read_file(write(tmp_path, "c.csv", first), CONFIG))
    assert (again.rows_loaded, again.rows_duplicate, again.id_clashes) == (0, 1, 0)


def test_streamed_and_whole_warehouses_match_on_generated_data(tmp_path, monkeypatch):
    from qc_pipeline.sample.bulk import bulk_messages

    path = tmp_path / "bulk.csv"
    frame = bulk_messages(3000, seed=3)
    frame = frame.vstack(frame.head(50))  # an export that repeats some of its own rows
    frame.write_csv(path)
    whole = open_warehouse(tmp_path / "whole.duckdb")
    load_parsed(whole, read_file(path, CONFIG))
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 20_000)
    streamed = open_warehouse(tmp_path / "streamed.duckdb")
    counts = load_parsed(streamed, read_file(path, CONFIG))
    assert counts.rows_loaded == 3050
    assert table(streamed, MESSAGES) == table(whole, MESSAGES)


def _whole_and_streamed(tmp_path, monkeypatch, content: bytes):
    whole, _ = load(tmp_path, "g.csv", content, "whole.duckdb")
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
    monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 1024)
    decoded = []
    original = stream._decoding

    def spy(read, encoding):  # which path the big file took
        decoded.append(encoding)
        return original(read, encoding)

    monkeypatch.setattr(stream, "_decoding", spy)
    streamed, _ = load(tmp_path, "g.csv", content, "streamed.duckdb")
    return whole, streamed, decoded


def test_a_big_gbk_file_is_decoded_block_by_block_with_the_whole_files_results(tmp_path, monkeypatch):
    lines = conversation(600) + [row(sent_at="不是时间", text="坏的时间"), row(text="最后一句：谢谢亲")]
    content = ("\r\n".join([CANONICAL_HEADER, *lines]) + "\r\n").encode("gbk")
    whole, streamed, decoded = _whole_and_streamed(tmp_path, monkeypatch, content)
    assert decoded == ["gbk"]  # streamed, not decoded whole first
    for sql in (MESSAGES, QUARANTINE, FILES):
        assert table(streamed, sql) == table(whole, sql), sql
    assert table(streamed, FILES)[0][1] == "gbk" and table(streamed, FILES)[0][2] == 602
    sha = table(streamed, "SELECT sha256 FROM ingested_files")[0][0]
    assert sha == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("damage", ["utf-8 line", "bad byte"])
def test_a_big_gbk_file_with_a_damaged_line_past_its_start_is_read_whole_again(tmp_path, monkeypatch, damage):
    from qc_pipeline.ingest import source

    monkeypatch.setattr(source, "PREFIX_BYTES", 16384)  # the start the encoding is judged on ends before the damage
    head = ("\n".join([CANONICAL_HEADER, *conversation(900)]) + "\n").encode("gbk")
    bad = (row(text="这一行是用UTF-8保存的中文") + "\n").encode("utf-8") if damage == "utf-8 line" else (
        row(text="坏") .encode("gbk") + b"\xff\xfe\n")
    content = head + bad + (row(text="后面还有一句") + "\n").encode("gbk")
    whole, streamed, decoded = _whole_and_streamed(tmp_path, monkeypatch, content)
    assert decoded == ["gbk"]  # it started streamed, then the loader read it again whole
    for sql in (MESSAGES, QUARANTINE, FILES):
        assert table(streamed, sql) == table(whole, sql), sql
    assert len(table(streamed, QUARANTINE)) == 1
