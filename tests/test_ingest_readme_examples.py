"""The examples of shared/formats/README.md, parsed exactly."""
import datetime as dt
import json

from tests.conftest_ingest import AJIE, BUYER, SHOP, XIAOYA, parse, rows, write, xlsx_bytes

WEB = """2026-11-16
09:12:03
这件外套有M码吗
tb_maomao88

09:12:40
亲，在的，M码有货哦
星河服饰旗舰店:小雅

09:15:02
请在客户端查看原始聊天记录，网页版无法展示
星河服饰旗舰店:小雅
"""

DESKTOP = (
    "星河服饰旗舰店:小雅 2026-11-16 9:12:40\r\n"
    "亲，在的，M码有货哦\r\n"
    "已读\r\n"
    "tb_maomao88 2026-11-16 9:13:05\r\n"
    "那今天能发吗\r\n"
    "星河服饰旗舰店:小雅 --> 星河服饰旗舰店:阿杰 2026-11-16 09:14:00\r\n"
)

ORDERS = """"订单编号","买家会员名","买家实际支付金额","订单状态","订单创建时间","订单付款时间 ","店铺名称","退款金额"
="4102938475610293","tb_maomao88","259.00","交易成功","2026-11-16 09:20:11","2026-11-16 09:21:02","星河服饰旗舰店","0.00"
="4102938475610777","tb_xiaolu","0.00","交易关闭","2026-11-16 10:02:45","","星河服饰旗舰店","0.00"
"""

COLUMNS = ("shop", "buyer", "agent", "role", "sent_at", "text", "source_line")


def t(hms: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-11-16 {hms}")


def test_web_page_text(tmp_path):
    parsed = parse(write(tmp_path, "web.txt", WEB))
    assert (parsed.kind, parsed.format, parsed.encoding) == ("chat", "qianniu-web-text", "utf-8")
    assert rows(parsed, *COLUMNS) == [
        (SHOP, BUYER, XIAOYA, "buyer", t("09:12:03"), "这件外套有M码吗", 2),
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦", 6),
        (SHOP, BUYER, XIAOYA, "agent", t("09:15:02"), "请在客户端查看原始聊天记录，网页版无法展示", 10),
    ]
    assert parsed.noise_lines == 0 and parsed.rows_read == 3 and parsed.quarantine.is_empty()


def test_desktop_window_copy(tmp_path):
    parsed = parse(write(tmp_path, "window.txt", DESKTOP))
    assert (parsed.kind, parsed.format) == ("chat", "qianniu-desktop-text")
    assert rows(parsed, *COLUMNS) == [
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦", 1),
        (SHOP, BUYER, XIAOYA, "buyer", t("09:13:05"), "那今天能发吗", 4),
    ]
    # 已读 and the transfer line are recognised, not loaded.
    assert parsed.noise_lines == 2 and parsed.rows_read == 2


def test_desktop_bracketed_variant(tmp_path):
    text = "[星河服饰旗舰店:小雅] 2026-11-16 09:12:40\n亲，在的，M码有货哦\n\n[tb_maomao88] 2026-11-16 09:13:05\n那今天能发吗\n"
    parsed = parse(write(tmp_path, "bracketed.txt", text))
    assert parsed.format == "qianniu-desktop-bracketed"
    assert rows(parsed, *COLUMNS) == [
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦", 1),
        (SHOP, BUYER, XIAOYA, "buyer", t("09:13:05"), "那今天能发吗", 4),
    ]


def test_page_exporter_table(tmp_path):
    header = ["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型"]
    book = xlsx_bytes({
        BUYER: [
            header,
            [BUYER, 1, dt.datetime(2026, 11, 16, 9, 12, 3), "这件外套有M码吗", BUYER, "客户"],
            [BUYER, 2, dt.datetime(2026, 11, 16, 9, 12, 40), "亲，在的，M码有货哦", XIAOYA, "客服"],
        ],
        "tb_xiaolu": [
            header,
            ["tb_xiaolu", 1, "2026-11-16 10:00:00", "有现货吗", "tb_xiaolu", "客户"],
            ["tb_xiaolu", 2, "2026-11-16 10:00:30", "有的亲", AJIE, "客服"],
        ],
    })
    parsed = parse(write(tmp_path, "page.xlsx", book))
    assert (parsed.kind, parsed.format, parsed.encoding) == ("chat", "page-table-xlsx", None)
    assert rows(parsed, *COLUMNS) == [
        (SHOP, BUYER, XIAOYA, "buyer", t("09:12:03"), "这件外套有M码吗", 2),
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦", 3),
        (SHOP, "tb_xiaolu", AJIE, "buyer", t("10:00:00"), "有现货吗", 2),
        (SHOP, "tb_xiaolu", AJIE, "agent", t("10:00:30"), "有的亲", 3),
    ]


def test_page_json(tmp_path):
    page = [
        {"groupTime": "2026-11-16"},
        {"chatTime": "09:12:03", "chatName": BUYER, "chatTextLeft": "这件外套有M码吗"},
        {"chatTime": "09:12:40", "chatName": XIAOYA, "chatTextLeft": "亲，在的，M码有货哦"},
    ]
    parsed = parse(write(tmp_path, "page.json", json.dumps(page, ensure_ascii=False, indent=2)))
    assert parsed.format == "page-json"
    assert rows(parsed, *COLUMNS) == [
        (SHOP, BUYER, XIAOYA, "buyer", t("09:12:03"), "这件外套有M码吗", 5),
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦", 10),
    ]


def test_wangwang_api(tmp_path):
    doc = {
        "count": 2,
        "from_id": f"cntaobao{XIAOYA}",
        "to_id": f"cntaobao{BUYER}",
        "msgs": [
            {"direction": 1, "time": "2026-11-16 09:12:03", "content": "这件外套有M码吗"},
            {"direction": 0, "time": "2026-11-16 09:12:40", "content": "亲，在的，M码有货哦"},
        ],
    }
    parsed = parse(write(tmp_path, "chatlog.json", json.dumps(doc, ensure_ascii=False)))
    assert parsed.format == "wangwang-api-json"
    assert rows(parsed, "shop", "buyer", "agent", "role", "sent_at", "text") == [
        (SHOP, BUYER, XIAOYA, "buyer", t("09:12:03"), "这件外套有M码吗"),
        (SHOP, BUYER, XIAOYA, "agent", t("09:12:40"), "亲，在的，M码有货哦"),
    ]
    assert parsed.warnings == []


def test_order_report_in_gbk(tmp_path):
    parsed = parse(write(tmp_path, "订单报表.csv", ORDERS, "gbk"))
    assert (parsed.kind, parsed.format, parsed.encoding) == ("orders", "taobao-order-report", "gbk")
    assert [
        (r[0], r[1], r[2], r[3], r[4], str(r[5]), str(r[6]), r[7])
        for r in rows(parsed, "order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status")
    ] == [
        ("4102938475610293", SHOP, BUYER, t("09:20:11"), t("09:21:02"), "259.00", "0.00", "交易成功"),
        ("4102938475610777", SHOP, "tb_xiaolu", t("10:02:45"), None, "0.00", "0.00", "交易关闭"),
    ]
