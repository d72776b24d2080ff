"""The canonical chat table in every container: CSV, TSV, XLSX, JSONL, Parquet."""
import datetime as dt
import json

import polars as pl
import pytest

from tests.conftest_ingest import (
    AJIE, BUYER, CANONICAL_HEADER, SHOP, XIAOYA, parquet_bytes, parse, reasons, rows, write, xlsx_bytes,
)


def csv_of(*lines: str, header: str = CANONICAL_HEADER) -> str:
    return header + "\n" + "".join(line + "\n" for line in lines)


def line(role="buyer", sent_at="2026-11-16 09:12:03", text="在吗", buyer=BUYER, shop=SHOP, agent=XIAOYA) -> str:
    return ",".join([shop, buyer, agent, role, sent_at, text])


def test_chinese_header_aliases_with_spaces_around_names(tmp_path):
    header = " 店铺名称 ,买家昵称,接待客服, 发送方,发送时间 ,聊天内容"
    parsed = parse(write(tmp_path, "zh.csv", csv_of(line(), header=header)))
    assert rows(parsed, "shop", "buyer", "agent", "role", "text") == [(SHOP, BUYER, XIAOYA, "buyer", "在吗")]


@pytest.mark.parametrize(
    "header",
    ["店铺,买家,客服,角色,时间,内容", "店铺名称,买家昵称,客服账号,发送方,消息时间,消息内容", "SHOP,Buyer,Agent,Role,Sent_At,Text"],
)
def test_other_header_spellings(tmp_path, header):
    parsed = parse(write(tmp_path, "h.csv", csv_of(line(), header=header)))
    assert len(parsed.messages) == 1


@pytest.mark.parametrize(
    "given, role",
    [
        ("buyer", "buyer"), ("买家", "buyer"), ("客户", "buyer"), ("顾客", "buyer"), (" Buyer ", "buyer"),
        ("agent", "agent"), ("客服", "agent"), ("人工客服", "agent"), ("AGENT", "agent"),
        ("auto", "auto"), ("自动回复", "auto"), ("机器人", "auto"), ("auto_reply", "auto"), ("bot", "auto"), ("Bot", "auto"),
        ("system", "system"), ("系统", "system"),
    ],
)
def test_role_aliases(tmp_path, given, role):
    parsed = parse(write(tmp_path, "r.csv", csv_of(line(role=given))))
    assert rows(parsed, "role") == [(role,)]


def test_bad_rows_are_quarantined_with_a_reason_and_the_raw_line(tmp_path):
    lines = [
        line(),
        line(sent_at="昨天下午3点"),
        line(role="boss"),
        line(buyer=""),
        line(shop=""),
        line(role="agent", agent=""),
        line(role="auto", agent=""),
        line(role=""),
        line(sent_at=""),
        line(role="system", agent=""),
    ]
    parsed = parse(write(tmp_path, "bad.csv", csv_of(*lines)))
    assert rows(parsed, "role", "source_line") == [("buyer", 2), ("system", 11)]
    assert reasons(parsed) == [
        "unreadable time '昨天下午3点'",
        "unknown role 'boss'",
        "empty buyer",
        "empty shop",
        "agent row without agent account",
        "auto row without agent account",
        "missing role",
        "missing time",
    ]
    assert parsed.quarantine["source_line"].to_list() == [3, 4, 5, 6, 7, 8, 9, 10]
    assert parsed.quarantine["raw"][0] == line(sent_at="昨天下午3点")
    assert parsed.rows_read == 10


def test_several_problems_in_one_row_are_all_named(tmp_path):
    parsed = parse(write(tmp_path, "bad.csv", csv_of(line(role="boss", buyer="", sent_at="明天"))))
    assert reasons(parsed) == ["unreadable time '明天'; unknown role 'boss'; empty buyer"]


@pytest.mark.parametrize(
    "written, local",
    [
        ("2026-11-16 09:12:03", "2026-11-16 09:12:03"),
        ("2026/11/16 09:12:03", "2026-11-16 09:12:03"),
        ("2026/1/6 9:02:03", "2026-01-06 09:02:03"),
        ("2026年11月16日 9:12:03", "2026-11-16 09:12:03"),
        ("2026-11-16T09:12:03", "2026-11-16 09:12:03"),
        ("2026-11-16 09:12", "2026-11-16 09:12:00"),
        ("2026-11-16 09:12:03.250", "2026-11-16 09:12:03.250000"),
        ("2026-11-16T01:12:03Z", "2026-11-16 09:12:03"),
        ("2026-11-16T09:12:03+08:00", "2026-11-16 09:12:03"),
        ("2026-11-16 04:12:03+0300", "2026-11-16 09:12:03"),
        ("2026-11-15T20:12:03-05:00", "2026-11-16 09:12:03"),
        ("2026-11-16T17:12:03.5+16:00", "2026-11-16 09:12:03.500000"),
    ],
)
def test_time_forms_and_offsets_become_shop_local(tmp_path, written, local):
    parsed = parse(write(tmp_path, "t.csv", csv_of(line(sent_at=written))))
    assert rows(parsed, "sent_at") == [(dt.datetime.fromisoformat(local),)]
    assert parsed.messages.schema["sent_at"] == pl.Datetime("us")


@pytest.mark.parametrize("written", ["昨天下午3点", "2026-11-16", "09:12:03", "2026-13-01 00:00:00", "2026-11-31 10:00:00", "1763255523"])
def test_times_without_a_clear_date_and_time_are_never_guessed(tmp_path, written):
    parsed = parse(write(tmp_path, "t.csv", csv_of(line(sent_at=written))))
    assert parsed.messages.is_empty() and reasons(parsed) == [f"unreadable time '{written}'"]


def test_another_shop_time_zone_converts_offsets_to_it(tmp_path):
    from qc_pipeline.config import Config, load_config

    raw = dict(load_config().raw, timezone="Europe/Berlin")
    parsed = parse(write(tmp_path, "t.csv", csv_of(line(sent_at="2026-11-16T09:12:03+08:00"), line(sent_at="2026-11-16 09:12:03"))), Config(raw))
    assert rows(parsed, "sent_at") == [(dt.datetime(2026, 11, 16, 2, 12, 3),), (dt.datetime(2026, 11, 16, 9, 12, 3),)]


def test_rows_out_of_order_keep_their_file_order(tmp_path):
    lines = [line(sent_at="2026-11-16 10:00:00", text="c"), line(sent_at="2026-11-16 09:00:00", text="a"), line(sent_at="2026-11-16 09:30:00", text="b")]
    parsed = parse(write(tmp_path, "o.csv", csv_of(*lines)))
    assert rows(parsed, "text", "source_line") == [("c", 2), ("a", 3), ("b", 4)]


def test_text_is_verbatim_and_source_lines_count_physical_lines(tmp_path):
    text = '"  两个空格开头，\n第二行 ""引号"" ,结尾空格  "'
    content = csv_of(line(text=text), "", line(text="下一条"))
    parsed = parse(write(tmp_path, "v.csv", content.replace("\n", "\r\n")))
    assert rows(parsed, "text", "source_line") == [
        ('  两个空格开头，\r\n第二行 "引号" ,结尾空格  ', 2),
        ("下一条", 5),
    ]


def test_given_msg_id_is_kept_as_an_attribute(tmp_path):
    content = "msg_id," + CANONICAL_HEADER + "\nm-1," + line() + "\n," + line(text="另一条") + "\n"
    parsed = parse(write(tmp_path, "ids.csv", content))
    assert parsed.messages["source_msg_id"].to_list() == ["m-1", None]
    # The identity is the content's, whether the export gives an id or not.
    plain = parse(write(tmp_path, "plain.csv", CANONICAL_HEADER + "\n" + line() + "\n" + line(text="另一条") + "\n"))
    assert parsed.messages["msg_id"].to_list() == plain.messages["msg_id"].to_list()
    assert all(len(i) == 32 for i in plain.messages["msg_id"])


def test_header_only_file_gives_no_rows(tmp_path):
    for name, content in (("h1.csv", CANONICAL_HEADER + "\n"), ("h2.csv", CANONICAL_HEADER), ("h3.csv", CANONICAL_HEADER + "\r\n\r\n")):
        parsed = parse(write(tmp_path, name, content))
        assert (parsed.kind, parsed.rows_read, len(parsed.messages), len(parsed.quarantine)) == ("chat", 0, 0, 0)


def test_file_cut_mid_line_quarantines_the_cut_record(tmp_path):
    whole = csv_of(line(text="一"), line(text="二"))
    cut = whole + f"{SHOP},{BUYER},{XIAOYA},bu"
    parsed = parse(write(tmp_path, "cut.csv", cut))
    assert rows(parsed, "text") == [("一",), ("二",)]
    assert reasons(parsed) == ["truncated last line (4 of 6 fields)"]
    assert parsed.quarantine["source_line"].to_list() == [4]
    assert parsed.quarantine["raw"].to_list() == [f"{SHOP},{BUYER},{XIAOYA},bu"]


def test_file_cut_inside_a_quoted_text(tmp_path):
    cut = csv_of(line(text="一")) + f'{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:13:00,"亲，这件'
    parsed = parse(write(tmp_path, "cut.csv", cut))
    assert rows(parsed, "text") == [("一",)]
    assert reasons(parsed) == ["truncated last line (unterminated quote)"]


def test_ragged_rows_in_the_middle_are_quarantined_alone(tmp_path):
    content = csv_of(line(text="一"), line(text="二") + ",多出来的字段", line(text="三"))
    parsed = parse(write(tmp_path, "ragged.csv", content))
    assert rows(parsed, "text") == [("一",), ("三",)]
    assert reasons(parsed) == ["7 fields where the header has 6"]


def test_tsv_and_semicolon_delimiters_are_sniffed(tmp_path):
    for name, sep in (("t.tsv", "\t"), ("s.csv", ";")):
        content = csv_of(line(), header=CANONICAL_HEADER).replace(",", sep)
        parsed = parse(write(tmp_path, name, content))
        assert rows(parsed, "buyer", "text") == [(BUYER, "在吗")]


def test_a_chat_table_missing_a_required_column_is_unreadable(tmp_path):
    from qc_pipeline.ingest import UnreadableFile

    path = write(tmp_path, "no_role.csv", "shop,buyer,agent,sent_at,text\nx,y,z,2026-11-16 09:00:00,t\n")
    with pytest.raises(UnreadableFile, match=r"no_role\.csv: looks like a chat table without the column\(s\) role"):
        parse(path)


def test_xlsx_reads_every_matching_sheet_and_warns_about_the_rest(tmp_path):
    header = ["shop", "buyer", "agent", "role", "sent_at", "text"]
    book = xlsx_bytes({
        "封面": [["星河服饰旗舰店 聊天导出"], ["导出时间", "2026-11-17"]],
        "第一周": [["聊天记录"], header, [SHOP, BUYER, XIAOYA, "buyer", dt.datetime(2026, 11, 16, 9, 12, 3), "在吗"],
                 [SHOP, BUYER, XIAOYA, "agent", "2026-11-16 09:12:40", 666]],
        "第二周": [header, [SHOP, "tb_xiaolu", AJIE, "买家", dt.datetime(2026, 11, 23, 10, 0, 0, 250000), "有货吗"],
                 [SHOP, "tb_xiaolu", AJIE, "boss", dt.datetime(2026, 11, 23, 10, 0, 1), "x"]],
        "统计": [["客服", "接待人数"], [XIAOYA, 3]],
    })
    parsed = parse(write(tmp_path, "chats.xlsx", book))
    assert (parsed.format, parsed.encoding) == ("canonical-xlsx", None)
    assert rows(parsed, "buyer", "role", "sent_at", "text", "source_line") == [
        (BUYER, "buyer", dt.datetime(2026, 11, 16, 9, 12, 3), "在吗", 3),
        (BUYER, "agent", dt.datetime(2026, 11, 16, 9, 12, 40), "666", 4),
        ("tb_xiaolu", "buyer", dt.datetime(2026, 11, 23, 10, 0, 0, 250000), "有货吗", 2),
    ]
    assert reasons(parsed) == ["unknown role 'boss'"]
    assert parsed.quarantine["raw"][0].startswith("[第二周] ")
    assert len(parsed.warnings) == 2 and any("'封面'" in w for w in parsed.warnings) and any("'统计'" in w for w in parsed.warnings)


def test_damaged_xlsx_is_unreadable(tmp_path):
    from qc_pipeline.ingest import UnreadableFile

    good = xlsx_bytes({"s": [["shop", "buyer", "agent", "role", "sent_at", "text"]]})
    path = write(tmp_path, "broken.xlsx", good[: len(good) // 2])
    with pytest.raises(UnreadableFile, match=r"broken\.xlsx: not a readable Excel workbook"):
        parse(path)


def test_jsonl_with_a_bad_line_and_a_cut_last_line(tmp_path):
    good = {"shop": SHOP, "buyer": BUYER, "agent": XIAOYA, "role": "buyer", "sent_at": "2026-11-16 09:12:03", "text": "在吗"}
    content = json.dumps(good, ensure_ascii=False) + "\n\n{not json}\n" + json.dumps(good, ensure_ascii=False)[:30]
    parsed = parse(write(tmp_path, "chat.jsonl", content))
    assert parsed.format == "canonical-jsonl"
    assert rows(parsed, "text", "source_line") == [("在吗", 1)]
    assert reasons(parsed) == ["invalid JSON line (Expecting property name enclosed in double quotes at column 2)", "truncated last line (incomplete JSON)"]
    assert parsed.quarantine["source_line"].to_list() == [3, 4]


def test_jsonl_values_that_are_not_strings(tmp_path):
    record = {"shop": SHOP, "buyer": BUYER, "agent": None, "role": "system", "sent_at": "2026-11-16 09:12:03", "text": 520}
    parsed = parse(write(tmp_path, "chat.jsonl", json.dumps(record, ensure_ascii=False) + "\n"))
    assert rows(parsed, "agent", "role", "text") == [(None, "system", "520")]


def test_json_array_of_records(tmp_path):
    records = [{"shop": SHOP, "buyer": BUYER, "agent": XIAOYA, "role": "agent", "sent_at": "2026-11-16 09:12:03", "text": "你好"}]
    parsed = parse(write(tmp_path, "chat.json", json.dumps(records, ensure_ascii=False, indent=2)))
    assert parsed.format == "canonical-json" and rows(parsed, "text", "source_line") == [("你好", 2)]


def test_parquet_with_native_and_text_times(tmp_path):
    utc = dt.timezone.utc
    frame = pl.DataFrame({
        "shop": [SHOP, SHOP], "buyer": [BUYER, BUYER], "agent": [XIAOYA, XIAOYA], "role": ["buyer", "agent"],
        "sent_at": [dt.datetime(2026, 11, 16, 1, 12, 3, tzinfo=utc), dt.datetime(2026, 11, 16, 1, 12, 40, tzinfo=utc)],
        "text": ["在吗", "在的"],
    })
    parsed = parse(write(tmp_path, "chat.parquet", parquet_bytes(frame)))
    assert (parsed.format, parsed.encoding) == ("canonical-parquet", None)
    assert rows(parsed, "sent_at", "source_line") == [(dt.datetime(2026, 11, 16, 9, 12, 3), 1), (dt.datetime(2026, 11, 16, 9, 12, 40), 2)]
    naive = frame.with_columns(pl.col("sent_at").dt.replace_time_zone(None))
    assert rows(parse(write(tmp_path, "naive.parquet", parquet_bytes(naive))), "sent_at")[0] == (dt.datetime(2026, 11, 16, 1, 12, 3),)
    text = frame.with_columns(pl.Series("sent_at", ["2026-11-16 09:12:03", "昨天"]))
    parsed = parse(write(tmp_path, "text.parquet", parquet_bytes(text)))
    assert len(parsed.messages) == 1 and reasons(parsed) == ["unreadable time '昨天'"]
    assert parsed.quarantine["raw"].to_list() == [f"{SHOP}\t{BUYER}\t{XIAOYA}\tagent\t昨天\t在的"]
    dates = frame.with_columns(pl.col("sent_at").dt.date())
    assert reasons(parse(write(tmp_path, "dates.parquet", parquet_bytes(dates)))) == ["unreadable time '2026-11-16'"] * 2


def test_layout_comes_from_content_not_from_the_name(tmp_path):
    parsed = parse(write(tmp_path, "looks_like.xlsx", csv_of(line())))
    assert parsed.format == "canonical-csv"
