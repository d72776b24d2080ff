"""Limits on one input file (docs/formats.md, "Limits"): every row of a workbook whatever its stale
<dimension> says, workbooks that would expand past [ingest] limits refused alone with one line, big
JSON-lines chat tables read in pieces with the same rows as a whole-file read, and the memory of
`qc ingest` bounded (a subprocess under an address-space limit)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.ingest import UnreadableFile, jsonl_stream, read_file, stream
from qc_pipeline.pipeline import ingest_paths
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import AJIE, BUYER, CANONICAL_HEADER, CONFIG, SHOP, XIAOYA, parse, write, xlsx_bytes

HEADER = CANONICAL_HEADER.split(",")


def chat_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        minute, second = divmod(i, 60)
        role, agent = ("buyer", XIAOYA) if i % 2 == 0 else ("agent", AJIE if i % 4 == 1 else XIAOYA)
        rows.append([SHOP, f"{BUYER}{i // 10}", agent, role, f"2026-11-16 10:{minute:02d}:{second:02d}", f"第{i}句"])
    return rows


def rewrite_member(book: bytes, name: str, change) -> bytes:
    """The workbook with one ZIP member's bytes replaced by ``change(old)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def config_with(tmp_path, **ingest) -> object:
    lines = ["[ingest]"] + [f"{key} = {value}" for key, value in ingest.items()]
    path = write(tmp_path, "limits.toml", "\n".join(lines) + "\n")
    return load_config(path)


# --- a stale <dimension> -------------------------------------------------------------------------


@pytest.mark.parametrize("stale", ["A1:F1", "A1:B2"])
def test_a_workbook_with_a_stale_dimension_is_read_whole(tmp_path, stale):
    import openpyxl

    rows = chat_rows(120)
    book = xlsx_bytes({"chats": [HEADER, *rows]})
    dimension = rb'<dimension ref="([^"]*)"\s*/>'
    assert re.search(dimension, zipfile.ZipFile(io.BytesIO(book)).read(SHEET)).group(1) == b"A1:F121"
    book = rewrite_member(book, SHEET, lambda xml: re.sub(dimension, f'<dimension ref="{stale}"/>'.encode(), xml))
    # The file is what some exporters write: read-only openpyxl alone sees at most the stale range.
    sheet = openpyxl.load_workbook(io.BytesIO(book), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) <= 2
    parsed = parse(write(tmp_path, "stale.xlsx", book))
    assert parsed.rows_read == 120 and len(parsed.quarantine) == 0
    got = parsed.messages.select("buyer", "role", "text", "source_line").rows()
    assert got == [(r[1], r[3], r[5], i + 2) for i, r in enumerate(rows)]
    # Every column too, not only the stale range's first ones.
    assert parsed.messages["sent_at"].null_count() == 0 and parsed.messages["agent"].null_count() == 0


# --- workbooks that would expand past the limits ------------------------------------------------


def bomb(rows: int) -> bytes:
    """A workbook whose sheet repeats one row ``rows`` times: megabytes of XML in kilobytes of ZIP."""
    book = xlsx_bytes({"chats": [HEADER, *chat_rows(1)]})

    def inflate(xml: bytes) -> bytes:
        row = re.search(rb'<row r="2".*?</row>', xml).group(0)
        unnumbered = re.sub(rb' r="[A-Z]*[0-9]+"', b"", row)  # each row then follows the one before
        return xml.replace(row, unnumbered * rows)

    return rewrite_member(book, SHEET, inflate)


@pytest.mark.parametrize(
    "limits, key",
    [
        ({"xlsx_max_expansion_ratio": 50}, "ingest.xlsx_max_expansion_ratio"),
        ({"xlsx_max_uncompressed_mb": 1, "xlsx_max_expansion_ratio": 100000}, "ingest.xlsx_max_uncompressed_mb"),
    ],
)
def test_a_zip_bomb_is_refused_alone_and_the_run_goes_on(tmp_path, limits, key):
    book = bomb(8_000)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        info = archive.getinfo(SHEET)
    assert info.file_size > 2 << 20 and info.file_size / info.compress_size > 100 and len(book) < 100_000
    folder = tmp_path / "week"
    folder.mkdir()
    write(folder, "a_bomb.xlsx", book)
    write(folder, "b_chats.csv", "\n".join([CANONICAL_HEADER, *(",".join(r) for r in chat_rows(30))]) + "\n")
    config = config_with(tmp_path, **limits)
    con = open_warehouse(tmp_path / "qc.duckdb")
    report = ingest_paths(con, [folder], config)
    failed = {f.path: f.error for f in report.files if f.error}
    assert list(failed) == [str(folder / "a_bomb.xlsx")]
    error = failed[str(folder / "a_bomb.xlsx")]
    assert "\n" not in error and error.startswith(f"{folder / 'a_bomb.xlsx'}: refused:") and key in error
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 30
    assert con.execute("SELECT reason FROM quarantine WHERE source_line IS NULL").fetchall() == [(error,)]
    # Under limits it keeps, the same small bomb is only a workbook of identical rows.
    roomy = config_with(tmp_path, xlsx_max_expansion_ratio=100000)
    assert read_file(folder / "a_bomb.xlsx", roomy).rows_read == 8_000


def test_a_bomb_whose_zip_directory_understates_its_size_is_not_inflated(tmp_path):
    """The limits trust the sizes the ZIP directory states; a part that says it is 5,000 bytes is never
    inflated past them, and the checksum then fails: the file is unreadable, not loaded."""
    import struct

    book = bytearray(bomb(8_000))
    info = zipfile.ZipFile(io.BytesIO(bytes(book))).getinfo(SHEET)
    assert info.file_size > 2 << 20
    at = book.find(b"PK\x01\x02")
    while at >= 0:  # the central directory entry of the sheet, then its local header
        length = struct.unpack_from("<H", book, at + 28)[0]
        if bytes(book[at + 46 : at + 46 + length]) == SHEET.encode():
            struct.pack_into("<I", book, at + 24, 5000)
        at = book.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", book, info.header_offset + 22, 5000)
    path = write(tmp_path, "liar.xlsx", bytes(book))
    with pytest.raises(UnreadableFile, match=r"liar\.xlsx: not a readable Excel workbook \(BadZipFile: Bad CRC-32"):
        read_file(path, CONFIG)


def test_a_small_member_may_compress_well(tmp_path):
    """Small XML parts compress far better than 100:1 in ordinary workbooks; only big ones count."""
    book = bomb(2_000)  # a few hundred KB of sheet XML
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        info = archive.getinfo(SHEET)
    assert info.file_size < 1 << 20 and info.file_size / info.compress_size > 50
    parsed = read_file(write(tmp_path, "small.xlsx", book), config_with(tmp_path, xlsx_max_expansion_ratio=50))
    assert parsed.rows_read == 2_000


@pytest.mark.parametrize("value", ["0", "-5", '"big"', "true"])
def test_limits_must_be_positive_numbers(tmp_path, value):
    path = write(tmp_path, "bad.toml", f"[ingest]\nxlsx_max_expansion_ratio = {value}\n")
    # a text, a flag or a negative number is stopped by the kind-and-minimum check every setting gets
    with pytest.raises(UserError, match=r"bad.toml: (config key 'ingest.xlsx_max_expansion_ratio' must be "
                                        r"(a number|at least 0)|ingest.xlsx_max_expansion_ratio must be a positive number)"):
        load_config(path)


# --- JSON ---------------------------------------------------------------------------------------


def jsonl_text(n: int, ascii_first: int = 0) -> str:
    rows = chat_rows(n)
    for r in rows[:ascii_first]:
        r[0], r[2], r[5] = "shop1", "shop1:xiaoya", r[5].encode("unicode_escape").decode()
    lines = [json.dumps(dict(zip(HEADER, r)), ensure_ascii=False) for r in rows]
    lines[5] = '{"shop": "broken'  # invalid JSON
    lines[9] = '[1, 2]'
    lines.insert(12, "")
    lines[20] = json.dumps(json.loads(lines[20]) | {"sent_at": "not a time"}, ensure_ascii=False)
    lines[30] = lines[29]  # the same message twice
    return "\n".join(lines) + "\n" + lines[-1][:-7]  # cut off at the end


def warehouse_rows(tmp_path, name, path, config=CONFIG):
    parsed = read_file(path, config)
    con = open_warehouse(tmp_path / f"{name}.duckdb")
    counts = load_parsed(con, parsed)
    messages = con.execute("SELECT msg_id, shop, buyer, agent, role, sent_at, text, source_line FROM messages ORDER BY source_line").fetchall()
    quarantine = con.execute("SELECT source_line, reason, raw, sha256 FROM quarantine ORDER BY source_line").fetchall()
    files = con.execute("SELECT sha256, format, encoding, rows_read, rows_loaded, rows_duplicate, rows_quarantined FROM ingested_files").fetchall()
    return parsed, counts, messages, quarantine, files


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom", "gbk-later"])
def test_streamed_json_lines_give_the_rows_of_a_whole_file_read(tmp_path, monkeypatch, variant):
    n = 800 if variant == "gbk-later" else 200
    text = jsonl_text(n, ascii_first=600 if variant == "gbk-later" else 0)
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if variant == "bom":
        data = b"\xef\xbb\xbf" + data
    if variant == "gbk-later":  # UTF-8 at the start, GBK further on: the stream starts again, decoding it whole
        data = text.encode("gbk")
        assert data[: 1 << 16].isascii() and data.decode("utf-8", errors="replace") != text
    path = write(tmp_path, "chats.jsonl", data)
    whole = warehouse_rows(tmp_path, "whole", path)
    assert whole[0].stream is None
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(jsonl_stream, "PIECE_BYTES", 256)
    streamed = warehouse_rows(tmp_path, "streamed", path)
    assert streamed[0].stream is not None
    assert streamed[2] == whole[2] and streamed[3] == whole[3] and streamed[4] == whole[4]
    assert streamed[1] == whole[1]
    # The ground truth the whole-file path is held to elsewhere, restated: lines and reasons.
    assert whole[4][0][0] == hashlib.sha256(data).hexdigest()
    reasons = {line: reason for line, reason, _, _ in whole[3]}
    assert reasons[6].startswith("invalid JSON line") and reasons[10] == "not a JSON object"
    assert reasons[n + 2] == "truncated last line (incomplete JSON)"
    assert 21 in reasons and len(reasons) == 4
    assert len(whole[2]) == n + 1 - 4  # n lines and the cut one, less the 4 quarantined


def test_json_read_whole_is_refused_over_its_limit(tmp_path):
    records = [dict(zip(HEADER, r)) for r in chat_rows(40)]
    path = write(tmp_path, "chats.json", json.dumps(records, ensure_ascii=False, indent=1))
    assert path.stat().st_size > 2048
    config = config_with(tmp_path, json_max_document_mb=0.001)
    with pytest.raises(UnreadableFile) as caught:
        read_file(path, config)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: refused:") and "ingest.json_max_document_mb" in message
    assert parse(path).rows_read == 40  # under the shipped limit


def test_big_json_lines_are_streamed_past_the_document_limit(tmp_path, monkeypatch):
    path = write(tmp_path, "chats.jsonl", jsonl_text(100))
    config = config_with(tmp_path, json_max_document_mb=0.001)
    with pytest.raises(UnreadableFile):
        read_file(path, config)  # small files are read whole, so the limit applies
    monkeypatch.setattr(stream, "STREAM_BYTES", 1024)
    parsed = read_file(path, config)
    con = open_warehouse(tmp_path / "qc.duckdb")
    counts = load_parsed(con, parsed)
    assert counts.rows_read == 101 and counts.rows_quarantined == 4 and counts.rows_duplicate == 0


def test_a_json_array_read_in_batches_keeps_lines_and_columns(tmp_path, monkeypatch):
    from qc_pipeline.ingest import json_files

    monkeypatch.setattr(json_files, "_RECORD_BATCH", 3)
    records = [dict(zip(HEADER, r)) for r in chat_rows(10)]
    records[4]["msg_id"] = "given-4"  # a key that first appears in the second batch
    records[7]["sent_at"] = "yesterday"
    body = ",\n".join(json.dumps(r, ensure_ascii=False, indent=1 if i == 5 else None) for i, r in enumerate(records))
    path = write(tmp_path, "chats.json", "[\n" + body + "\n]\n")
    parsed = parse(path)
    assert parsed.format == "canonical-json" and parsed.rows_read == 10
    # Each record's line is its opening brace's: one line each, but record 5 spans 8 lines.
    expected_lines = [2 + i + (7 if i > 5 else 0) for i in range(10)]
    # an exporter's id is kept as source_msg_id (identity stays content-based)
    got = {line: (text, given) for line, text, given in
           parsed.messages.select("source_line", "text", "source_msg_id").rows()}
    assert sorted(got) == [line for i, line in enumerate(expected_lines) if i != 7]
    assert got[expected_lines[4]] == ("第4句", "given-4") and got[expected_lines[3]][1] is None
    assert parsed.quarantine["source_line"].to_list() == [expected_lines[7]]


# --- memory -------------------------------------------------------------------------------------

# The interpreter with polars and DuckDB loaded reserves 1.5-2 GB of address space before it reads a
# byte (thread stacks and allocator arenas); the limit leaves it one more gigabyte.
ADDRESS_SPACE = 3 << 30
PEAK_RSS = 700 << 20


def test_a_big_json_lines_chat_table_is_ingested_in_bounded_memory(tmp_path):
    """`qc ingest` of ~100 MB of JSON lines, in a process of its own under an address-space limit: read
    whole, the file took over 7 times its size (the old path); streamed, the peak stays far below."""
    import os
    import resource
    import subprocess
    import sys

    path = tmp_path / "big.jsonl"
    line = json.dumps(dict(zip(HEADER, chat_rows(1)[0])), ensure_ascii=False)
    template = line.replace("第0句", "第{i}句").replace("10:00:00", "{t}")
    with open(path, "w", encoding="utf-8") as out:
        i = 0
        while out.tell() < 100 << 20:
            out.write("".join(
                template.replace("{i}", str(j)).replace("{t}", f"{10 + j // 3600 % 12:02d}:{j // 60 % 60:02d}:{j % 60:02d}") + "\n"
                for j in range(i, i + 20_000)
            ))
            i += 20_000
    assert path.stat().st_size > stream.STREAM_BYTES

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    child = subprocess.Popen(
        [sys.executable, "-c", "from qc_pipeline.cli import main; main()", "ingest", str(path), "--db", str(tmp_path / "qc.duckdb")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=limited, env=os.environ | {"COLUMNS": "200"},
    )
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, output[-2000:]
    assert f"rows: {i} read, " in output
    assert usage.ru_maxrss * 1024 < PEAK_RSS, f"peak RSS {usage.ru_maxrss // 1024} MB"


def test_a_file_read_whole_is_refused_over_its_limit_and_chat_tables_stream_instead(tmp_path, monkeypatch):
    """A reader that holds its file whole (a Qianniu text export) is refused above ingest.whole_file_max_mb,
    alone, with one line naming the setting; a CSV chat table of the same size is read in pieces, so it
    loads whatever the limit."""
    from qc_pipeline.ingest import source

    monkeypatch.setattr(source, "PREFIX_BYTES", 4096)  # so that files of a few KiB count as big
    folder = tmp_path / "week"
    folder.mkdir()
    blocks = [f"{XIAOYA if i % 2 else BUYER} 2026-11-16 9:{i // 60 % 60:02d}:{i % 60:02d}\r\n第{i}句话\r\n" for i in range(600)]
    write(folder, "a_window.txt", "".join(blocks))
    write(folder, "b_chats.csv", "\n".join([CANONICAL_HEADER, *(",".join(r) for r in chat_rows(400))]) + "\n")
    assert all(p.stat().st_size > 12 << 10 for p in folder.iterdir())
    config = config_with(tmp_path, whole_file_max_mb=0.01)
    con = open_warehouse(tmp_path / "qc.duckdb")
    report = ingest_paths(con, [folder], config)
    failed = {f.path: f.error for f in report.files if f.error}
    assert list(failed) == [str(folder / "a_window.txt")]
    assert "\n" not in failed[str(folder / "a_window.txt")] and "ingest.whole_file_max_mb" in failed[str(folder / "a_window.txt")]
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 400
    assert read_file(folder / "a_window.txt", CONFIG).rows_read == 600  # under the shipped limit
