"""The files the sample writes, with what each one is.

Names only help people; the pipeline tells layouts apart by content. Sorted by name they are ingested
in this order, which decides which copy of an overlapping conversation is loaded and which is the
duplicate: the canonical CSVs come before the Qianniu text exports.
"""
from __future__ import annotations

PRESALE_CSV = "chats_presale.csv"
AFTERSALE_CSV = "chats_aftersale_gbk.csv"
DESKTOP_PLAIN = "qianniu_desktop_tb_maomao88.txt"
DESKTOP_BRACKETED = "qianniu_desktop_sunny_lili.txt"
WEB_MAIN_SHOP = "qianniu_web_jenny_w.txt"
WEB_SMALL_SHOP = "qianniu_web_yunduo_mama.txt"
ORDERS = "orders_report.csv"
# An earlier export of a few orders, before they were paid, with their order remarks as they were then.
ORDERS_EARLY = "orders_report_early.csv"
ROSTER = "roster.csv"
TRUTH = "truth.json"

# name -> (kind, format, encoding)
FILES = {
    AFTERSALE_CSV: ("chat", "canonical-csv", "gbk"),
    PRESALE_CSV: ("chat", "canonical-csv", "utf-8"),
    ORDERS: ("orders", "taobao-order-report", "gbk"),
    ORDERS_EARLY: ("orders", "taobao-order-report", "gbk"),
    DESKTOP_BRACKETED: ("chat", "qianniu-desktop-bracketed", "gbk"),
    DESKTOP_PLAIN: ("chat", "qianniu-desktop-text", "utf-8"),
    WEB_MAIN_SHOP: ("chat", "qianniu-web-text", "utf-8"),
    WEB_SMALL_SHOP: ("chat", "qianniu-web-text", "utf-8"),
    ROSTER: ("roster", "roster-csv", "utf-8"),
}

# Text exports and the writer each one uses.
TEXT_LAYOUTS = {
    DESKTOP_PLAIN: "plain",
    DESKTOP_BRACKETED: "bracketed",
    WEB_MAIN_SHOP: "web",
    WEB_SMALL_SHOP: "web",
}
