"""Header names of every tabular layout, and telling the layouts apart by their headers."""
from __future__ import annotations

from dataclasses import dataclass

CHAT = {
    "shop": ("shop", "店铺", "店铺名称"),
    "buyer": ("buyer", "买家", "买家昵称"),
    "agent": ("agent", "客服", "客服账号", "接待客服"),
    "role": ("role", "角色", "发送方"),
    "sent_at": ("sent_at", "时间", "发送时间", "消息时间"),
    "text": ("text", "内容", "消息内容", "聊天内容"),
    "msg_id": ("msg_id",),
}
CHAT_REQUIRED = ("shop", "buyer", "role", "sent_at", "text")

PAGE_TABLE = {
    "customer": ("客户名",),
    "seq": ("消息序号",),
    "sent_at": ("发送时间",),
    "text": ("发送内容",),
    "sender": ("发送账号",),
    "account_type": ("账号类型",),
}
PAGE_TABLE_REQUIRED = ("customer", "sent_at", "text", "sender", "account_type")

ORDERS = {
    "order_id": ("order_id", "订单编号"),
    "buyer": ("buyer", "买家会员名"),
    "shop": ("shop", "店铺名称"),
    "created_at": ("created_at", "订单创建时间"),
    "paid_at": ("paid_at", "订单付款时间"),
    "amount": ("amount", "买家实际支付金额"),
    "refund_amount": ("refund_amount", "退款金额"),
    "status": ("status", "订单状态"),
    "items": ("items", "宝贝总数量"),
    "remark": ("remark", "订单备注"),
}
ORDERS_REQUIRED = ("order_id", "buyer", "created_at", "amount")

# The seller center's companion item report (宝贝报表): one row per item, no buyer.
ITEM_REPORT = ("订单编号", "标题", "价格", "购买数量")

ROSTER = {
    "agent": ("agent", "客服账号", "子账号"),
    "name": ("name", "姓名", "名字"),
    "team": ("team", "组", "小组", "团队"),
    "role": ("role", "角色", "岗位"),
}

KNOWN_NAMES = {
    alias.casefold()
    for spec in (CHAT, PAGE_TABLE, ORDERS, ROSTER)
    for aliases in spec.values()
    for alias in aliases
} | {name.casefold() for name in ITEM_REPORT}


def clean(name: object) -> str:
    return "" if name is None else str(name).strip().lstrip("\ufeff").strip()


def match(names: list[str], spec: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """field -> the header name that holds it (the first one, if a file repeats a column)."""
    found: dict[str, str] = {}
    for name in names:
        key = clean(name).casefold()
        for field, aliases in spec.items():
            if field not in found and key in {a.casefold() for a in aliases}:
                found[field] = name
    return found


@dataclass(frozen=True)
class Layout:
    name: str  # chat | page-table | orders | order-report | item-report | roster
    kind: str  # chat | orders | roster | ignored
    columns: dict[str, str]


def known_count(names: list[str]) -> int:
    return sum(clean(n).casefold() in KNOWN_NAMES for n in names)


def classify(names: list[str]) -> Layout | None | str:
    """The layout a header belongs to; a string explaining what is missing when it is nearly a layout;
    None when it is no known header at all."""
    page = match(names, PAGE_TABLE)
    if all(f in page for f in PAGE_TABLE_REQUIRED):
        return Layout("page-table", "chat", page)
    chat = match(names, CHAT)
    if "sent_at" in chat and "text" in chat:
        missing = [f for f in CHAT_REQUIRED if f not in chat]
        if not missing:
            return Layout("chat", "chat", chat)
        if len(missing) <= 2:
            return f"a chat table without the column(s) {', '.join(missing)}"
    cleaned = {clean(n) for n in names}
    if all(n in cleaned for n in ITEM_REPORT) and "买家会员名" not in cleaned:
        return Layout("item-report", "ignored", {})
    orders = match(names, ORDERS)
    if "order_id" in orders and "created_at" in orders:
        missing = [f for f in ORDERS_REQUIRED if f not in orders]
        if missing:
            return f"an order table without the column(s) {', '.join(missing)}"
        name = "order-report" if "订单编号" in cleaned else "orders"
        return Layout(name, "orders", orders)
    roster = match(names, ROSTER)
    if "agent" in roster and len(roster) >= 2 and "sent_at" not in chat:
        return Layout("roster", "roster", roster)
    return None
