"""A few undecodable bytes cost their own record, never the file and never the other rows' text.

Each test builds a canonical (or desktop-copy) export of known rows, damages its bytes the way real files
get damaged (a row saved in GBK inside a UTF-8 file, a file cut in the middle of a character, a stray
invalid byte, old Mac line ends), loads it into a warehouse and checks, counting from the raw lines of
the file: every row is loaded with exactly its original text or quarantined with its line and a reason.
"""
from __future__ import annotations

import codecs

import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.ingest import pieces, read_file, stream
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import BUYER, CANONICAL_HEADER, CONFIG, SHOP, XIAOYA, assert_accounting, write

GBK_LINE = "line {n} is not UTF-8 like the rest of the file; it reads as GBK (shown so in raw)"
CUT = "truncated last line (the file ends in the middle of a character)"


def canonical_rows(n: int) -> list[str]:
    rows = []
    for i in range(n):
        minute, second = divmod(i, 60)
        role = "buyer" if i % 2 == 0 else "agent"
        rows.append(f"{SHOP},{BUYER},{XIAOYA},{role},2026-11-16 1{minute // 60}:{minute % 60:02d}:{second:02d},亲，第{i}句话")
    return rows


def text_of(row: str) -> str:
    return row.rsplit(",", 1)[1]


def load(tmp_path, content: bytes, name: str = "chat.csv"):
    con = open_warehouse(tmp_path / f"{name}.duckdb")
    parsed = read_file(write(tmp_path, name, content), CONFIG)
    if parsed.stream is None:
        assert_accounting(parsed)
    load_parsed(con, parsed)
    return con


def outcome(con):
    files = con.execute(
        "SELECT encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined FROM ingested_files"
    ).fetchall()
    messages = dict(con.execute("SELECT source_line, text FROM messages").fetchall())
    quarantine = {line: (reason, raw) for line, reason, raw in con.execute("SELECT source_line, reason, raw FROM quarantine").fetchall()}
    return files[0], messages, quarantine


def assert_every_row_accounted(con, rows: list[str], quarantined: dict[int, str], encoding: str):
    """Rows are lines 2.. of the file; ``quarantined`` maps a line to its reason."""
    (enc, read, loaded, duplicate, held), messages, quarantine = outcome(con)
    assert enc == encoding
    assert read == len(rows) == loaded + duplicate + held and duplicate == 0
    assert {line: reason for line, (reason, _) in quarantine.items()} == quarantined
    expected = {i + 2: text_of(r) for i, r in enumerate(rows) if i + 2 not in quarantined}
    assert messages == expected  # no mojibake, no replacement characters: each text as written
    return quarantine


@pytest.fixture(params=[False, True], ids=["whole", "streamed"])
def streamed(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(stream, "STREAM_BYTES", 0)
        monkeypatch.setattr(stream, "PIECE_BYTES", 4096)
        monkeypatch.setattr(pieces, "SMALL_PIECE_BYTES", 1024)
    return request.param


def test_a_gbk_row_inside_a_utf8_file_costs_that_row(tmp_path, streamed):
    rows = canonical_rows(100)
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(
        (r + "\n").encode("gbk" if i == 50 else "utf-8") for i, r in enumerate(rows)
    )
    con = load(tmp_path, content)
    quarantine = assert_every_row_accounted(con, rows, {52: GBK_LINE.format(n=52)}, "utf-8")
    assert quarantine[52][1] == rows[50]  # the raw row as its GBK bytes read


def test_a_gbk_row_far_past_the_first_64k(tmp_path, streamed):
    # The quick UTF-8 look at the start passes; the stream finds the GBK row later and starts again.
    rows = canonical_rows(3000)
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(
        (r + "\n").encode("gbk" if i == 2500 else "utf-8") for i, r in enumerate(rows)
    )
    assert content.index("第2500句".encode("gbk")) > 1 << 16
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {2502: GBK_LINE.format(n=2502)}, "utf-8")


def test_a_few_invalid_bytes_in_the_first_64k_and_the_rest_fine(tmp_path, streamed):
    rows = canonical_rows(3000)
    encoded = [(r + "\n").encode() for r in rows]
    encoded[3] = encoded[3].replace("第3句".encode(), b"\xff\xfe3")
    encoded[7] = encoded[7].replace("话".encode(), b"\xc0")
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(encoded)
    assert len(content) > 1 << 16
    con = load(tmp_path, content)
    reason = "line {n} holds bytes that are not valid UTF-8 (shown as \\x escapes in raw)"
    quarantine = assert_every_row_accounted(con, rows, {5: reason.format(n=5), 9: reason.format(n=9)}, "utf-8")
    assert quarantine[5][1] == rows[3].replace("第3句", "\\xff\\xfe3")
    assert quarantine[9][1] == rows[7].replace("话", "\\xc0")


def test_a_utf8_file_cut_in_the_middle_of_a_character(tmp_path, streamed):
    rows = canonical_rows(100)
    whole = "\n".join([CANONICAL_HEADER, *rows]).encode()
    content = whole[:-2]  # the last character, 话, loses two of its three bytes
    con = load(tmp_path, content)
    quarantine = assert_every_row_accounted(con, rows, {101: CUT}, "utf-8")
    assert quarantine[101][1] == rows[-1][:-1] + "\\xe8"


def test_a_gbk_file_cut_in_the_middle_of_a_character(tmp_path, streamed):
    rows = canonical_rows(100)
    content = "\n".join([CANONICAL_HEADER, *rows]).encode("gbk")[:-1]
    con = load(tmp_path, content)
    quarantine = assert_every_row_accounted(con, rows, {101: CUT}, "gbk")
    assert quarantine[101][1] == rows[-1][:-1] + "\\x" + "话".encode("gbk")[:1].hex()


def test_a_gbk_file_with_one_invalid_byte_sequence(tmp_path, streamed):
    rows = canonical_rows(100)
    encoded = [(r + "\n").encode("gbk") for r in rows]
    encoded[30] = encoded[30].replace("第30句".encode("gbk"), b"\xff30")
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(encoded)
    con = load(tmp_path, content)
    reason = "line 32 holds bytes that are not valid GBK (shown as \\x escapes in raw)"
    quarantine = assert_every_row_accounted(con, rows, {32: reason}, "gbk")
    assert quarantine[32][1] == rows[30].replace("第30句", "\\xff30")


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_a_utf16_file_cut_on_an_odd_byte(tmp_path, bom):
    rows = canonical_rows(50)
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    content = bom + "\n".join([CANONICAL_HEADER, *rows]).encode(codec)[:-1]
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {51: CUT}, "utf-16")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_cr_only_line_endings_are_line_endings(tmp_path, streamed, encoding):
    rows = canonical_rows(200)
    content = ("\r".join([CANONICAL_HEADER, *rows]) + "\r").encode(encoding)
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {}, encoding)


def test_cr_only_line_endings_with_a_gbk_row_and_a_quoted_line_break(tmp_path):
    rows = canonical_rows(20)
    rows[5] = rows[5].rsplit(",", 1)[0] + ',"两行\r第二行"'
    parts = [(r + "\r").encode("gbk" if i == 12 else "utf-8") for i, r in enumerate(rows)]
    con = load(tmp_path, (CANONICAL_HEADER + "\r").encode() + b"".join(parts))
    (_, read, loaded, _, held), messages, quarantine = outcome(con)
    assert (read, loaded, held) == (20, 19, 1)
    assert messages[7] == "两行\n第二行"
    # The quoted break is a line of its own: the GBK row is line 15.
    assert quarantine == {15: (GBK_LINE.format(n=15), rows[12])}


DESKTOP = [
    "当前用户来自 手机淘宝",
    f"{BUYER} 2026-11-17 10:12:03",
    "在吗",
    f"{XIAOYA} 2026-11-17 10:12:40",
    "在的，M码有货哦",
    "已读",
    f"{BUYER} 2026-11-17 10:13:05",
    "我平时穿M，肩宽42",
    "会不会紧",
    f"{XIAOYA} 2026-11-17 10:13:30",
    "不会的亲",
]


def test_a_desktop_copy_with_a_gbk_body_line_quarantines_that_message(tmp_path):
    lines = [line.encode("gbk" if i == 8 else "utf-8") for i, line in enumerate(DESKTOP)]
    con = load(tmp_path, b"\r\n".join(lines) + b"\r\n", "desktop.txt")
    (enc, read, loaded, _, held), messages, quarantine = outcome(con)
    assert (enc, read, loaded, held) == ("utf-8", 4, 3, 1)
    assert messages == {2: "在吗", 4: "在的，M码有货哦", 10: "不会的亲"}
    assert quarantine == {7: (GBK_LINE.format(n=9), "\n".join(DESKTOP[6:9]))}


def test_a_gbk_desktop_copy_cut_in_the_middle_of_a_character(tmp_path):
    content = "\r\n".join(DESKTOP).encode("gbk")[:-1]
    con = load(tmp_path, content, "desktop.txt")
    (enc, read, loaded, _, held), messages, quarantine = outcome(con)
    assert (enc, read, loaded, held) == ("gbk", 4, 3, 1)
    assert messages == {2: "在吗", 4: "在的，M码有货哦", 7: "我平时穿M，肩宽42\n会不会紧"}
    assert list(quarantine) == [10] and quarantine[10][0] == CUT


def test_a_damaged_jsonl_line_costs_that_line(tmp_path):
    import json

    records = [
        {"shop": SHOP, "buyer": BUYER, "agent": XIAOYA, "role": "buyer", "sent_at": f"2026-11-16 09:00:{i:02d}", "text": f"你好{i}"}
        for i in range(10)
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    content = b"\n".join(line.encode("gbk" if i == 3 else "utf-8") for i, line in enumerate(lines)) + b"\n"
    con = load(tmp_path, content, "chat.jsonl")
    (enc, read, loaded, _, held), messages, quarantine = outcome(con)
    assert (enc, read, loaded, held) == ("utf-8", 10, 9, 1)
    assert messages == {i + 1: f"你好{i}" for i in range(10) if i != 3}
    assert quarantine == {4: (GBK_LINE.format(n=4), lines[3])}


def test_an_order_table_with_a_gbk_row(tmp_path):
    orders = ["订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,店铺名称"] + [
        f"41029384756102{k:02d},买家{k},259.00,交易成功,2026-11-16 09:20:11,{SHOP}" for k in range(6)
    ]
    con = load(tmp_path, b"\n".join(r.encode("gbk" if k == 3 else "utf-8") for k, r in enumerate(orders)) + b"\n", "orders.csv")
    assert sorted(b for (b,) in con.execute("SELECT buyer FROM orders").fetchall()) == ["买家0", "买家1", "买家3", "买家4", "买家5"]
    assert con.execute("SELECT source_line, reason, raw FROM quarantine").fetchall() == [(4, GBK_LINE.format(n=4), orders[3])]


def test_random_bytes_are_still_binary_data(tmp_path):
    import random

    from qc_pipeline.ingest import UnreadableFile

    rng = random.Random(3)
    junk = (CANONICAL_HEADER + "\n").encode() + bytes(rng.randrange(128, 256) for _ in range(5000))
    with pytest.raises(UnreadableFile, match="binary data"):
        read_file(write(tmp_path, "junk.csv", junk), CONFIG)


def test_the_cli_loads_every_damaged_file_without_a_traceback(tmp_path):
    rows = canonical_rows(100)
    folder = tmp_path / "in"
    folder.mkdir()
    text = "\n".join([CANONICAL_HEADER, *rows]) + "\n"
    (folder / "mixed.csv").write_bytes(
        (CANONICAL_HEADER + "\n").encode() + b"".join((r + "\n").encode("gbk" if i == 50 else "utf-8") for i, r in enumerate(rows))
    )
    (folder / "cut.csv").write_bytes(text.encode()[:-3])
    (folder / "mac.csv").write_bytes(text.replace("\n", "\r").encode())
    (folder / "gbk_cut.csv").write_bytes(text.encode("gbk")[:-2])
    (folder / "utf16_cut.csv").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le")[:-3])
    (folder / "desktop.txt").write_bytes(b"\r\n".join(line.encode("gbk" if i == 8 else "utf-8") for i, line in enumerate(DESKTOP)))
    result = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(tmp_path / "qc.duckdb")])
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    con = open_warehouse(tmp_path / "qc.duckdb")
    assert con.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_duplicate), sum(rows_quarantined) FROM ingested_files"
    ).fetchone() == (504, 103, 396, 5)
    held = con.execute("SELECT source_path, source_line FROM quarantine ORDER BY source_path").fetchall()
    assert [(path.rsplit("/", 1)[1], line) for path, line in held] == [
        ("cut.csv", 101), ("desktop.txt", 7), ("gbk_cut.csv", 101), ("mixed.csv", 52), ("utf16_cut.csv", 101)
    ]
    stored = sorted(t for (t,) in con.execute("SELECT text FROM messages").fetchall())
    assert stored == sorted([text_of(r) for r in rows] + ["在吗", "在的，M码有货哦", "不会的亲"])


@pytest.mark.parametrize("utf8_rows", [[7], [3, 11]])
def test_utf8_rows_inside_a_gbk_file_cost_those_rows(tmp_path, utf8_rows):
    # Read as GBK, UTF-8 Chinese is mojibake (and sometimes valid GBK): such rows are quarantined.
    rows = canonical_rows(20)
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(
        (r + "\n").encode("utf-8" if i in utf8_rows else "gbk") for i, r in enumerate(rows)
    )
    con = load(tmp_path, content)
    reason = "line {n} is UTF-8, not GBK like the rest of the file (shown as UTF-8 in raw)"
    quarantine = assert_every_row_accounted(con, rows, {i + 2: reason.format(n=i + 2) for i in utf8_rows}, "gbk")
    assert [raw for _, raw in quarantine.values()] == [rows[i] for i in utf8_rows]


def test_a_one_to_one_tie_is_read_as_utf8(tmp_path):
    rows = canonical_rows(2)
    content = (CANONICAL_HEADER + "\n" + rows[0] + "\n").encode() + (rows[1] + "\n").encode("gbk")
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {3: GBK_LINE.format(n=3)}, "utf-8")


def test_cr_line_ends_with_a_line_feed_inside_a_quoted_text(tmp_path):
    rows = canonical_rows(10)
    rows[4] = rows[4].rsplit(",", 1)[0] + ',"两行\n第二行"'
    con = load(tmp_path, ("\r".join([CANONICAL_HEADER, *rows]) + "\r").encode())
    (_, read, loaded, _, held), messages, _ = outcome(con)
    assert (read, loaded, held) == (10, 10, 0)
    assert messages[6] == "两行\n第二行" and messages[8] == text_of(rows[5])  # the quoted break is line 7


def test_a_utf8_file_starting_with_many_gbk_rows_stays_utf8(tmp_path):
    # The first 64 KiB hold only GBK rows: the vote is over the whole file, not its start.
    rows = canonical_rows(3000)
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(
        (r + "\n").encode("gbk" if i < 150 else "utf-8") for i, r in enumerate(rows)
    )
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {i + 2: GBK_LINE.format(n=i + 2) for i in range(150)}, "utf-8")


def test_a_one_row_file_with_a_stray_byte_stays_utf8(tmp_path):
    rows = canonical_rows(1)
    content = (CANONICAL_HEADER + "\n" + rows[0] + "\n").encode().replace("亲".encode(), "亲".encode() + b"\xff")
    con = load(tmp_path, content)
    reason = "line 2 holds bytes that are not valid UTF-8 (shown as \\x escapes in raw)"
    quarantine = assert_every_row_accounted(con, rows, {2: reason}, "utf-8")
    assert quarantine[2][1] == rows[0].replace("亲", "亲\\xff")


def test_damage_in_a_column_that_is_not_stored_costs_no_row(tmp_path):
    rows = [f"{r},备注{i}" for i, r in enumerate(canonical_rows(10))]
    lines = [(CANONICAL_HEADER + ",备注").encode()] + [r.encode() for r in rows]
    lines[4] = lines[4].replace("备注3".encode(), "备注3".encode("gbk"))
    parsed = read_file(write(tmp_path, "chat.csv", b"\n".join(lines) + b"\n"), CONFIG)
    assert_accounting(parsed)
    assert (parsed.rows_read, len(parsed.messages), len(parsed.quarantine)) == (10, 10, 0)
    assert parsed.messages["text"].to_list() == [text_of(r.rsplit(",", 1)[0]) for r in rows]
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith("line 5 holds bytes that are not valid UTF-8")
    # The bytes that are not UTF-8 as escapes (a GBK pair may happen to be a valid UTF-8 character).
    assert "in nothing that is stored: " + rows[3].rsplit(",", 1)[0] + ",\\xb1\\xb8" in parsed.warnings[0]


def test_many_gbk_rows_across_pieces_each_name_their_own_line(tmp_path, streamed):
    # A piece's last record must not take the damaged lines of the pieces after it.
    rows = canonical_rows(400)
    bad = set(range(0, 400, 7))
    content = (CANONICAL_HEADER + "\n").encode() + b"".join(
        (r + "\n").encode("gbk" if i in bad else "utf-8") for i, r in enumerate(rows)
    )
    con = load(tmp_path, content)
    assert_every_row_accounted(con, rows, {i + 2: GBK_LINE.format(n=i + 2) for i in sorted(bad)}, "utf-8")
