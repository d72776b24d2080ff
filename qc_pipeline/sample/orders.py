"""Orders as the Taobao seller-center order report writes them (46 columns). Planned in order_plan.py."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from qc_pipeline.sample.conversion_truth import Outcome
from qc_pipeline.sample.model import Shop
from qc_pipeline.sample.period import fmt
from qc_pipeline.sample.texts import Item

# The older report header, in its order, with the trailing spaces real files carry.
REPORT_COLUMNS = (
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
    "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ",
    "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注",
    "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单",
    "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名", "修改后的sku",
    "修改后的收货地址", "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易", "退款金额", "预约门店",
)

UNPAID = "等待买家付款"
PAID_WAITING = "买家已付款，等待卖家发货"
SHIPPED = "卖家已发货，等待买家确认"
SUCCESS = "交易成功"
CLOSED = "交易关闭"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("丽", "婷", "伟", "芳", "敏", "静", "磊", "洋", "艳", "杰", "娟", "涛", "明", "霞", "平", "红")
ADDRESSES = (
    "浙江省 杭州市 西湖区 文三路{n}号", "上海 上海市 浦东新区 张杨路{n}弄", "北京 北京市 朝阳区 望京西路{n}号",
    "广东省 广州市 天河区 体育西路{n}号", "四川省 成都市 武侯区 科华北路{n}号", "湖北省 武汉市 洪山区 珞喻路{n}号",
    "江苏省 南京市 鼓楼区 中山北路{n}号", "陕西省 西安市 雁塔区 小寨东路{n}号",
)
CARRIERS = (("圆通速递", "YT"), ("中通快递", "ZT"), ("韵达快递", "YD"))


@dataclass
class Order:
    order_id: str
    shop: Shop
    buyer: str
    item: Item
    quantity: int
    created_at: dt.datetime
    paid_at: dt.datetime | None
    status: str
    amount: Decimal  # 买家实际支付金额: 0 when never paid
    refund: Decimal
    close_reason: str = ""
    cases: list[str] = field(default_factory=list)
    # What the order must do under each attribution mode (default 2-day window), known when it is planned.
    expect: dict[str, Outcome] = field(default_factory=dict)
    remark: str = ""  # 订单备注, one remark per line (sample/remarks.py)

    @property
    def goods_total(self) -> Decimal:
        return Decimal(self.item.price * self.quantity).quantize(Decimal("0.01"))


def _money(value: Decimal, style: str) -> str:
    """Money as report rows write it: plain, with 元 (0元 for nothing), or ￥ with thousands commas."""
    if style == "yuan":
        return "0元" if value == 0 else f"{value}元"
    if style == "yen_sign":
        return f"￥{value:,}"
    return f"{value}"


def _report_row(rng: random.Random, order: Order) -> list[str]:
    yuan = rng.choices(("plain", "yuan", "yen_sign"), (65, 25, 10))[0]
    shipped = order.status in (SHIPPED, SUCCESS) or order.refund > 0
    carrier, prefix = rng.choice(CARRIERS)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))
    mobile = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
    values = {
        "买家会员名": order.buyer,
        "买家支付宝账号": f"{mobile[:3]}****{mobile[-4:]}",
        "买家应付货款": _money(order.goods_total, yuan),
        "买家应付邮费": _money(Decimal("0.00"), yuan),
        "买家支付积分": "0",
        "总金额": _money(order.goods_total, yuan),
        "返点积分": "0",
        "买家实际支付金额": _money(order.amount, yuan),
        "买家实际支付积分": "0",
        "订单状态": order.status,
        "买家留言": rng.choice(("", "", "", "尽快发货，谢谢", "请用纸箱包装")),
        "收货人姓名": name,
        "收货地址 ": rng.choice(ADDRESSES).format(n=rng.randrange(1, 400)) + f"({rng.randrange(100000, 999999)})",
        "运送方式": "快递",
        "联系电话 ": "",
        "联系手机": "'" + mobile,
        "订单创建时间": fmt(order.created_at),
        "订单付款时间 ": fmt(order.paid_at) or "",
        "宝贝标题 ": f"{order.shop.name.replace('旗舰店', '').replace('专营店', '')}冬季新款{order.item.title}",
        "宝贝种类 ": "1",
        "物流单号 ": f"{prefix}{rng.randrange(10**12, 10**13)}" if shipped else "",
        "物流公司": carrier if shipped else "",
        "订单备注": order.remark,
        "宝贝总数量": str(order.quantity),
        "店铺Id": order.shop.shop_id,
        "店铺名称": order.shop.name,
        "订单关闭原因": order.close_reason,
        "卖家服务费": _money(Decimal("0.00"), yuan),
        "买家服务费": _money(Decimal("0.00"), "yuan"),
        "发票抬头": "",
        "是否手机订单": rng.choice(("手机订单", "手机订单", "")),
        "分阶段订单信息": "",
        "特权订金订单id": "",
        "是否上传合同照片": "否",
        "是否上传小票": "否",
        "是否代付": "否",
        "定金排名": "",
        "修改后的sku": "",
        "修改后的收货地址": "",
        "异常信息": "",
        "天猫卡券抵扣": _money(Decimal("0.00"), yuan),
        "集分宝抵扣": _money(Decimal("0.00"), yuan),
        "是否是O2O交易": "",
        "退款金额": _money(order.refund, yuan),
        "预约门店": "",
    }
    return [f'="{order.order_id}"'] + [f'"{values[c]}"' for c in REPORT_COLUMNS[1:]]


def write_order_report(rng: random.Random, orders: list[Order]) -> str:
    lines = [",".join(f'"{c}"' for c in REPORT_COLUMNS)]
    lines += [",".join(_report_row(rng, o)) for o in orders]
    return "\r\n".join(lines) + "\r\n"


def order_truth(order: Order) -> dict:
    return {
        "order_id": order.order_id,
        "shop": order.shop.name,
        "buyer": order.buyer,
        "created_at": fmt(order.created_at),
        "paid_at": fmt(order.paid_at),
        "amount": f"{order.amount}",
        "refund_amount": f"{order.refund}",
        "status": order.status,
        "item": order.item.title,
        "quantity": order.quantity,
        "cases": list(order.cases),
    }
