"""The page exporter's table: 客户名, 消息序号, 发送时间, 发送内容, 发送账号, 账号类型."""
import datetime as dt

from tests.conftest_ingest import AJIE, BUYER, SHOP, XIAOYA, parse, reasons, rows, write, xlsx_bytes

HEADER = "客户名,消息序号,发送时间,发送内容,发送账号,账号类型"


def test_csv_with_two_buyers_and_attribution(tmp_path):
    content = "\n".join([
        HEADER,
        f"{BUYER},1,2026-11-16 09:12:03,在吗,{BUYER},客户",
        f"tb_xiaolu,1,2026-11-16 09:12:05,有货吗,tb_xiaolu,客户",
        f"{BUYER},2,2026-11-16 09:12:40,在的,{XIAOYA},客服",
        f"tb_xiaolu,2,2026-11-16 09:13:00,【自动回复】稍等,{AJIE},客服",
        f"{BUYER},3,2026-11-16 09:14:00,谢谢,{BUYER},客户",
        f"{BUYER},4,2026-11-16 09:15:00,?,{BUYER},老板",
    ]) + "\n"
    parsed = parse(write(tmp_path, "page.csv", content))
    assert parsed.format == "page-table-csv"
    assert rows(parsed, "shop", "buyer", "agent", "role", "text", "source_line") == [
        (SHOP, BUYER, XIAOYA, "buyer", "在吗", 2),
        (SHOP, "tb_xiaolu", AJIE, "buyer", "有货吗", 3),
        (SHOP, BUYER, XIAOYA, "agent", "在的", 4),
        (SHOP, "tb_xiaolu", AJIE, "auto", "【自动回复】稍等", 5),
        (SHOP, BUYER, XIAOYA, "buyer", "谢谢", 6),
    ]
    assert reasons(parsed) == ["unknown account type '老板'"]


def test_a_buyer_never_answered_takes_the_files_agent(tmp_path):
    book = xlsx_bytes({
        "tb_a": [HEADER.split(","), ["tb_a", 1, dt.datetime(2026, 11, 16, 9, 0), "在吗", "tb_a", "客户"],
                 ["tb_a", 2, dt.datetime(2026, 11, 16, 9, 1), "在的", XIAOYA, "客服"]],
        "tb_b": [HEADER.split(","), ["tb_b", 1, dt.datetime(2026, 11, 16, 9, 5), "有人吗", "tb_b", "客户"]],
    })
    parsed = parse(write(tmp_path, "page.xlsx", book))
    assert rows(parsed, "buyer", "agent", "role") == [("tb_a", XIAOYA, "buyer"), ("tb_a", XIAOYA, "agent"), ("tb_b", XIAOYA, "buyer")]
