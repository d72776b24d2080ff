"""Order exports: the seller-center report in both header generations, its quirks, the item report,
and the canonical order table."""
import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.conftest_ingest import BUYER, SHOP, parquet_bytes, parse, reasons, rows, write, xlsx_bytes

COLUMNS_46 = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
    "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ",
    "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
    "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址",
    "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易", "退款金额", "预约门店",
]
EXTRA_61 = [
    "支付单号", "支付详情", "新零售交易类型", "新零售导购门店id", "新零售导购门店名称", "新零售发货门店id",
    "新零售发货门店名称", "新零售成交门店id", "新零售成交门店名称", "新零售成交经销商id", "确认收货时间", "打款商家金额",
    "主订单编号", "商品ID", "订单类型",
]
COLUMNS_61 = COLUMNS_46[:11] + EXTRA_61[:2] + COLUMNS_46[11:] + EXTRA_61[2:]


def report(columns: list[str], orders: list[dict]) -> str:
    def quoted(value: str) -> str:
        return value if value.startswith("=") else '"' + value.replace('"', '""') + '"'

    lines = [",".join(quoted(c) for c in columns)]
    for order in orders:
        lines.append(",".join(quoted(order.get(c.strip(), "")) for c in columns))
    return "\n".join(lines) + "\n"


def order(**values) -> dict:
    base = {
        "订单编号": '="3515313147329357"', "买家会员名": BUYER, "买家支付宝账号": "mao***@163.com", "买家实际支付金额": "259.00",
        "订单状态": "交易成功", "收货地址": "浙江省 杭州市, 西湖区", "联系电话": "", "联系手机": "'13800001111",
        "订单创建时间": "2026-11-16 09:20:11", "订单付款时间": "2026-11-16 09:21:02", "宝贝标题": "星河加厚羽绒服",
        "店铺名称": SHOP, "退款金额": "0.00", "买家留言": "尽快发货，谢谢",
    }
    return base | values


@pytest.mark.parametrize("columns", [COLUMNS_46, COLUMNS_61], ids=["46-columns", "61-columns"])
def test_both_header_generations_are_read_by_name(tmp_path, columns):
    assert len(columns) in (46, 61)
    parsed = parse(write(tmp_path, "report.csv", report(columns, [order()]), "gbk"))
    assert (parsed.kind, parsed.format, parsed.encoding) == ("orders", "taobao-order-report", "gbk")
    assert rows(parsed, "order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status") == [
        ("3515313147329357", SHOP, BUYER, dt.datetime(2026, 11, 16, 9, 20, 11), dt.datetime(2026, 11, 16, 9, 21, 2),
         Decimal("259.00"), Decimal("0.00"), "交易成功"),
    ]


@pytest.mark.parametrize(
    "written, value",
    [("259.00", "259.00"), ("¥259", "259.00"), ("￥1,299.50", "1299.50"), ("0元", "0.00"), ("1,234,567.8元", "1234567.80"),
     ("", "0.00"), (" 12.5 ", "12.50"), ("¥ 99", "99.00")],
)
def test_money_forms(tmp_path, written, value):
    parsed = parse(write(tmp_path, "r.csv", report(COLUMNS_46, [order(买家实际支付金额=written, 退款金额=written)])))
    assert rows(parsed, "amount", "refund_amount") == [(Decimal(value), Decimal(value))]


def test_unpaid_order_has_no_payment_time_and_zero_amount(tmp_path):
    unpaid = order(订单编号='="4102938475610777"', 订单状态="等待买家付款", 订单付款时间="", 买家实际支付金额="")
    parsed = parse(write(tmp_path, "r.csv", report(COLUMNS_46, [unpaid])))
    assert rows(parsed, "order_id", "paid_at", "amount", "status") == [("4102938475610777", None, Decimal("0.00"), "等待买家付款")]


def test_bad_order_rows_are_quarantined(tmp_path):
    orders = [
        order(),
        order(订单编号='=""'),
        order(订单编号='="2"', 订单创建时间="昨天"),
        order(订单编号='="3"', 买家实际支付金额="两百"),
        order(订单编号='="4"', 订单付款时间="不知道"),
        order(订单编号='="5"', 订单创建时间=""),
        order(订单编号='="6"', 退款金额="N/A"),
    ]
    parsed = parse(write(tmp_path, "r.csv", report(COLUMNS_46, orders)))
    assert rows(parsed, "order_id") == [("3515313147329357",)]
    assert reasons(parsed) == [
        "no order id",
        "unreadable created time '昨天'",
        "unreadable amount '两百'",
        "unreadable payment time '不知道'",
        "missing created time",
        "unreadable refund amount 'N/A'",
    ]
    assert parsed.quarantine["source_line"].to_list() == [3, 4, 5, 6, 7, 8]
    assert parsed.quarantine["raw"][0].startswith('="",')


def test_refund_column_may_be_absent(tmp_path):
    columns = [c for c in COLUMNS_46 if c != "退款金额"]
    parsed = parse(write(tmp_path, "r.csv", report(columns, [order()])))
    assert rows(parsed, "refund_amount") == [(Decimal("0.00"),)]


def test_item_report_is_recognised_and_ignored(tmp_path):
    content = (
        '"订单编号","标题","价格","购买数量","外部系统编号","商品属性","套餐信息","备注","订单状态","商家编码",\n'
        '="3515313147329357","星河加厚羽绒服","259.00","1","","颜色分类:黑色;尺码:M","","","交易成功","XH-001",\n'
    )
    parsed = parse(write(tmp_path, "宝贝报表.csv", content, "gbk"))
    assert (parsed.kind, parsed.format, parsed.rows_read) == ("ignored", "taobao-item-report", 0)
    assert parsed.warnings and "宝贝报表" in parsed.warnings[0]


def test_header_only_report(tmp_path):
    parsed = parse(write(tmp_path, "r.csv", report(COLUMNS_61, [])))
    assert (parsed.kind, parsed.rows_read) == ("orders", 0)


CANONICAL = [
    {"order_id": "A1", "shop": SHOP, "buyer": BUYER, "created_at": "2026-11-16 09:20:11", "paid_at": "2026-11-16 09:21:02",
     "amount": "259", "refund_amount": "10.5", "status": "交易成功"},
    {"order_id": "A2", "shop": SHOP, "buyer": "tb_xiaolu", "created_at": "2026-11-16T02:00:00Z", "paid_at": "",
     "amount": "", "refund_amount": "", "status": "等待买家付款"},
]
EXPECTED = [
    ("A1", SHOP, BUYER, dt.datetime(2026, 11, 16, 9, 20, 11), dt.datetime(2026, 11, 16, 9, 21, 2), Decimal("259.00"), Decimal("10.50")),
    ("A2", SHOP, "tb_xiaolu", dt.datetime(2026, 11, 16, 10, 0), None, Decimal("0.00"), Decimal("0.00")),
]
FIELDS = ("order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount")


def test_canonical_orders_csv(tmp_path):
    header = list(CANONICAL[0])
    content = ",".join(header) + "\n" + "".join(",".join(o[h] for h in header) + "\n" for o in CANONICAL)
    parsed = parse(write(tmp_path, "orders.csv", content))
    assert parsed.format == "canonical-orders-csv" and rows(parsed, *FIELDS) == EXPECTED


def test_canonical_orders_jsonl_and_xlsx(tmp_path):
    jsonl = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in CANONICAL)
    assert rows(parse(write(tmp_path, "orders.jsonl", jsonl)), *FIELDS) == EXPECTED
    header = list(CANONICAL[0])
    book = xlsx_bytes({"订单": [header] + [[o[h] for h in header] for o in CANONICAL]})
    parsed = parse(write(tmp_path, "orders.xlsx", book))
    assert parsed.format == "canonical-orders-xlsx" and rows(parsed, *FIELDS) == EXPECTED


def test_canonical_orders_parquet(tmp_path):
    import polars as pl

    frame = pl.DataFrame(CANONICAL).with_columns(pl.col("amount").replace("", None).cast(pl.Float64))
    parsed = parse(write(tmp_path, "orders.parquet", parquet_bytes(frame)))
    assert rows(parsed, *FIELDS) == EXPECTED
