"""Every text layout in every encoding a shop's tools write: detected from the bytes, not the name."""
import codecs
import datetime as dt
import json

import pytest

from tests.conftest_ingest import BUYER, ENCODINGS, SHOP, XIAOYA, parse, rows, write

# A character outside GBK: a file holding it can only be GB18030 (or Unicode).
EXTRA = {"gb18030": "𠮷"}
T1, T2 = dt.datetime(2026, 11, 16, 9, 12, 3), dt.datetime(2026, 11, 16, 9, 12, 40)


def canonical(extra: str, sep: str = ",") -> str:
    lines = [
        ["shop", "buyer", "agent", "role", "sent_at", "text"],
        [SHOP, BUYER, XIAOYA, "buyer", "2026-11-16 09:12:03", f"在吗{extra}"],
        [SHOP, BUYER, XIAOYA, "agent", "2026-11-16 09:12:40", "亲，在的"],
    ]
    return "".join(sep.join(line) + "\n" for line in lines)


def web(extra: str) -> str:
    return f"2026年11月16日\n09:12:03\n在吗{extra}\n{BUYER}\n\n09:12:40\n亲，在的\n{XIAOYA}\n"


def desktop(extra: str) -> str:
    return f"{BUYER} 2026-11-16 9:12:03\r\n在吗{extra}\r\n已读\r\n{XIAOYA} 2026-11-16 9:12:40\r\n亲，在的\r\n"


def bracketed(extra: str) -> str:
    return f"[{BUYER}] 2026-11-16 09:12:03\n在吗{extra}\n\n[{XIAOYA}] 2026-11-16 09:12:40\n亲，在的\n"


def page_table(extra: str) -> str:
    return (
        "客户名,消息序号,发送时间,发送内容,发送账号,账号类型\n"
        f"{BUYER},1,2026-11-16 09:12:03,在吗{extra},{BUYER},客户\n"
        f"{BUYER},2,2026-11-16 09:12:40,亲，在的,{XIAOYA},客服\n"
    )


def page_json(extra: str) -> str:
    return json.dumps(
        {"buyerNick": BUYER, "data": [
            {"groupTime": "2026-11-16"},
            {"chatTime": "09:12:03", "chatName": BUYER, "chatTextLeft": f"在吗{extra}"},
            {"chatTime": "09:12:40", "chatName": XIAOYA, "chatTextLeft": "亲，在的"},
        ]},
        ensure_ascii=False,
    )


def api_json(extra: str) -> str:
    return json.dumps(
        {"wangwang_eservice_chatlog_get_response": {
            "count": 2, "from_id": f"cntaobao{XIAOYA}", "to_id": f"cntaobao{BUYER}",
            "msgs": {"msg": [
                {"direction": 1, "time": "2026-11-16 09:12:03", "content": f"在吗{extra}"},
                {"direction": 0, "time": "2026-11-16 09:12:40", "content": "亲，在的"},
            ]},
        }},
        ensure_ascii=False,
    )


def jsonl(extra: str) -> str:
    records = [
        {"shop": SHOP, "buyer": BUYER, "agent": XIAOYA, "role": "buyer", "sent_at": "2026-11-16 09:12:03", "text": f"在吗{extra}"},
        {"shop": SHOP, "buyer": BUYER, "agent": XIAOYA, "role": "agent", "sent_at": "2026-11-16 09:12:40", "text": "亲，在的"},
    ]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


CHAT_LAYOUTS = {
    "canonical-csv": canonical,
    "canonical-tsv": lambda extra: canonical(extra, "\t"),
    "qianniu-web-text": web,
    "qianniu-desktop-text": desktop,
    "qianniu-desktop-bracketed": bracketed,
    "page-table-csv": page_table,
    "page-json": page_json,
    "wangwang-api-json": api_json,
    "canonical-jsonl": jsonl,
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("layout", CHAT_LAYOUTS)
def test_chat_layout_in_every_encoding(tmp_path, layout, encoding):
    extra = EXTRA.get(encoding, "")
    parsed = parse(write(tmp_path, "export.dat", CHAT_LAYOUTS[layout](extra), encoding))
    assert (parsed.kind, parsed.format, parsed.encoding) == ("chat", layout, encoding)
    assert rows(parsed, "shop", "buyer", "agent", "role", "sent_at", "text") == [
        (SHOP, BUYER, XIAOYA, "buyer", T1, f"在吗{extra}"),
        (SHOP, BUYER, XIAOYA, "agent", T2, "亲，在的"),
    ]
    assert parsed.quarantine.is_empty()


ORDER_REPORT = (
    '"订单编号","买家会员名","买家实际支付金额","订单状态","订单创建时间","订单付款时间 ","店铺名称","退款金额"\n'
    '="4102938475610293","{buyer}","259.00","交易成功","2026-11-16 09:20:11","2026-11-16 09:21:02","星河服饰旗舰店","0.00"\n'
)
ROSTER = "客服账号,姓名,组,岗位\n星河服饰旗舰店:小雅,小雅{extra},一组,售前\n"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_order_report_in_every_encoding(tmp_path, encoding):
    buyer = BUYER + EXTRA.get(encoding, "")
    parsed = parse(write(tmp_path, "orders.csv", ORDER_REPORT.format(buyer=buyer), encoding))
    assert (parsed.kind, parsed.encoding) == ("orders", encoding)
    assert rows(parsed, "order_id", "buyer") == [("4102938475610293", buyer)]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_roster_in_every_encoding(tmp_path, encoding):
    extra = EXTRA.get(encoding, "")
    parsed = parse(write(tmp_path, "roster.csv", ROSTER.format(extra=extra), encoding))
    assert (parsed.kind, parsed.encoding) == ("roster", encoding)
    assert rows(parsed, "agent", "name", "team", "role") == [(XIAOYA, f"小雅{extra}", "一组", "presale")]


def test_utf16_big_endian_with_bom(tmp_path):
    data = codecs.BOM_UTF16_BE + canonical("").encode("utf-16-be")
    parsed = parse(write(tmp_path, "be.csv", data))
    assert parsed.encoding == "utf-16" and len(parsed.messages) == 2


def test_utf16_without_a_byte_order_mark(tmp_path):
    parsed = parse(write(tmp_path, "nobom.csv", canonical("").encode("utf-16-le")))
    assert parsed.encoding == "utf-16-le" and rows(parsed, "text") == [("在吗",), ("亲，在的",)]


def test_excel_unicode_text_is_tab_separated_utf16le(tmp_path):
    data = codecs.BOM_UTF16_LE + canonical("", "\t").replace("\n", "\r\n").encode("utf-16-le")
    parsed = parse(write(tmp_path, "unicode.txt", data))
    assert (parsed.format, parsed.encoding) == ("canonical-tsv", "utf-16")
    assert rows(parsed, "text") == [("在吗",), ("亲，在的",)]


def test_gbk_bytes_after_a_long_ascii_start_are_still_read_as_gbk(tmp_path):
    # The quick UTF-8 look at the first 64 KiB must not decide for the whole file.
    ascii_rows = "".join(f"shop,b{i},s:a,buyer,2026-11-16 09:13:{i % 60:02d},m{i}\n" for i in range(5000))
    data = ("shop,buyer,agent,role,sent_at,text\n" + ascii_rows).encode() + "星河,b,星河:小雅,buyer,2026-11-16 10:00:00,最后\n".encode("gbk")
    assert len(data) > 1 << 16
    parsed = parse(write(tmp_path, "late.csv", data))
    assert parsed.encoding == "gbk"
    assert parsed.messages["text"][-1] == "最后" and len(parsed.messages) == 5001
