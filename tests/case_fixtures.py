"""A small warehouse of hand-made conversations whose case classification is known.

Messages, orders, the roster and the flags are written by hand; sessions, rounds, inquiries and scores
come from the pipeline's own stage functions (the rules engine is not needed: flags are hand-placed).
The shop is always on duty so every wait is plain wall-clock time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import polars as pl

from qc_pipeline.config import ROLES, load_config
from qc_pipeline.conversion.inquiries import conversion_frames, session_outcomes
from qc_pipeline.ingest.model import MESSAGE_SCHEMA, ORDER_SCHEMA
from qc_pipeline.metrics.rounds import iso_week, role_targets, rounds_table
from qc_pipeline.scoring.scorecard import load_scorecard
from qc_pipeline.scoring.sessions import score_sessions
from qc_pipeline.sessions.onduty import DutyCalendar
from qc_pipeline.sessions.sessionize import ordered_messages, sessions_table
from qc_pipeline.store.warehouse import open_warehouse, replace_table

SHOP = "星河服饰旗舰店"
A, B, S = f"{SHOP}:小雅", f"{SHOP}:阿杰", f"{SHOP}:售后小周"
ROSTER = {A: "presale", B: "presale", S: "aftersale"}
PHONE = "13812345678"
SCRIPT = "<script>alert(1)</script>"

# buyer -> messages (role, "YYYY-MM-DD HH:MM:SS", agent, text)
CONVERSATIONS = {
    # Converted, every reply within target, no flag: the best good case.
    "buyer_fast": [
        ("buyer", "2026-11-16 10:00:00", A, "这款卫衣有货吗"),
        ("agent", "2026-11-16 10:00:08", A, "亲，有货的，今天下单今天发"),
        ("buyer", "2026-11-16 10:01:00", A, "好的，L码我拍了"),
        ("agent", "2026-11-16 10:01:20", A, "好的亲，已经为您备注优先发货"),
    ],
    # Also converted and clean, but slower and a smaller order: ranked after buyer_fast.
    "buyer_fine": [
        ("buyer", "2026-11-17 10:00:00", B, "这件外套尺码偏大吗"),
        ("agent", "2026-11-17 10:00:20", B, "亲，尺码标准的，按平时穿的拍就好"),
    ],
    # After-sale complaint resolved; the buyer's closing thanks needs no reply.
    "buyer_after": [
        ("buyer", "2026-11-18 11:00:00", S, "收到的衣服破损了，我要退款"),
        ("agent", "2026-11-18 11:01:00", S, "非常抱歉亲，已为您退款，请注意查收"),
        ("buyer", "2026-11-18 11:02:00", S, "好的，谢谢"),
    ],
    # A critical flag; the buyer's message carries a phone number, an address and markup.
    "buyer_crit": [
        ("buyer", "2026-11-18 14:00:00", B,
         f"这个质量怎么样 {SCRIPT} 我电话{PHONE}，地址杭州市西湖区文三路100号3单元201室"),
        ("agent", "2026-11-18 14:00:10", B, "我们家是全网最好的，放心买"),
    ],
    # Arguing with the buyer.
    "buyer_argue": [
        ("buyer", "2026-11-19 09:00:00", B, "你们发货太慢了吧"),
        ("agent", "2026-11-19 09:00:15", B, "你自己不看详情页吗？跟我说也没用"),
    ],
    # Nobody answered.
    "buyer_unans": [
        ("buyer", "2026-11-19 15:00:00", A, "在吗？这件M码还有吗"),
    ],
    # Slow first reply and the buyer left without ordering.
    "buyer_slow": [
        ("buyer", "2026-11-20 16:00:00", A, "能便宜点吗"),
        ("agent", "2026-11-20 16:03:00", A, "不能哦亲"),
        ("buyer", "2026-11-20 16:03:30", A, "那算了"),
        ("agent", "2026-11-20 16:03:40", A, "好的亲，有需要再联系"),
    ],
    # Fast and clean but no order: neither good nor bad.
    "buyer_plain": [
        ("buyer", "2026-11-20 10:00:00", A, "发什么快递"),
        ("agent", "2026-11-20 10:00:05", A, "亲，默认中通快递哦"),
    ],
    # Converted but the first reply was late: not a good case, and not lost either.
    "buyer_late_won": [
        ("buyer", "2026-11-20 11:00:00", B, "有优惠券吗"),
        ("agent", "2026-11-20 11:01:30", B, "亲，领取店铺券满199减20"),
    ],
    # Runs from Sunday night (2026-W47) into Monday (2026-W48): a candidate in both weeks.
    "buyer_span": [
        ("buyer", "2026-11-22 23:50:00", A, "这款裤子有黑色吗"),
        ("agent", "2026-11-22 23:50:10", A, "亲，有黑色的"),
        ("buyer", "2026-11-23 00:05:00", A, "那我拍黑色M码"),
        ("agent", "2026-11-23 00:05:10", A, "好的亲，拍下尽快为您安排"),
    ],
}

# (order_id, buyer, created_at, paid_at, amount, refund)
ORDERS = [
    ("o_fast", "buyer_fast", "2026-11-16 10:05:00", "2026-11-16 10:06:00", "199.00", "0"),
    ("o_fine", "buyer_fine", "2026-11-17 10:10:00", "2026-11-17 10:11:00", "59.00", "0"),
    ("o_after", "buyer_after", "2026-11-10 09:00:00", "2026-11-10 09:01:00", "89.00", "89.00"),
    ("o_late", "buyer_late_won", "2026-11-20 11:05:00", "2026-11-20 11:06:00", "120.00", "0"),
    ("o_span", "buyer_span", "2026-11-23 00:10:00", "2026-11-23 00:11:00", "99.00", "0"),
]

# (buyer, index of the message in its conversation, rule_id, category, severity, matched)
FLAGS = [
    ("buyer_crit", 1, "AD-EXTREME-01", "extreme_word", "critical", "最好"),
    ("buyer_argue", 1, "ARGUE-01", "arguing", "major", "你自己不看详情页吗"),
]

# What the shipped criteria must make of each conversation.
EXPECTED = {
    "buyer_fast": ("good", "presale_converted"),
    "buyer_fine": ("good", "presale_converted"),
    "buyer_after": ("good", "aftersale_resolved"),
    "buyer_span": ("good", "presale_converted"),
    "buyer_crit": ("bad", "critical_flag"),
    "buyer_argue": ("bad", "arguing"),
    "buyer_unans": ("bad", "unanswered"),
    "buyer_slow": ("bad", "slow_lost_sale"),
}


FLAG_SCHEMA = {
    "msg_id": pl.Utf8, "session_id": pl.Utf8, "shop": pl.Utf8, "agent": pl.Utf8, "role": pl.Utf8,
    "sent_at": pl.Datetime("us"), "rule_id": pl.Utf8, "category": pl.Utf8, "severity": pl.Utf8,
    "start": pl.Int32, "end": pl.Int32, "matched": pl.Utf8, "rule_version": pl.Utf8, "probability": pl.Float64,
}


def _messages(conversations: dict) -> pl.DataFrame:
    records, line = [], 1
    for buyer, rows in conversations.items():
        for role, sent_at, agent, text in rows:
            line += 1
            records.append({
                "msg_id": hashlib.md5(f"{buyer}|{role}|{sent_at}|{text}|{line}".encode()).hexdigest(),
                "shop": SHOP, "buyer": buyer, "agent": agent, "role": role,
                "sent_at": dt.datetime.fromisoformat(sent_at), "text": text,
                "source_path": "hand-made", "source_line": line,
            })
    return pl.DataFrame(records, schema=MESSAGE_SCHEMA)


def _orders(orders: list) -> pl.DataFrame:
    return pl.DataFrame(
        [{"order_id": oid, "shop": SHOP, "buyer": b, "created_at": dt.datetime.fromisoformat(c),
          "paid_at": dt.datetime.fromisoformat(p), "amount": Decimal(a), "refund_amount": Decimal(r),
          "status": "交易成功", "source_path": "hand-made"} for oid, b, c, p, a, r in orders],
        schema=ORDER_SCHEMA,
    )


def _flags(ordered: pl.DataFrame, flags: list) -> pl.DataFrame:
    rows = []
    for buyer, index, rule_id, category, severity, matched in flags:
        msg = ordered.filter(pl.col("buyer") == buyer).sort("sent_at").row(index, named=True)
        start = msg["text"].index(matched)
        rows.append({
            "msg_id": msg["msg_id"], "session_id": msg["session_id"], "shop": SHOP, "agent": msg["agent"],
            "role": msg["role"], "sent_at": msg["sent_at"], "rule_id": rule_id, "category": category,
            "severity": severity, "start": start, "end": start + len(matched), "matched": matched,
            "rule_version": "hand-made", "probability": None,
        })
    return pl.DataFrame(rows, schema=FLAG_SCHEMA).with_columns(iso_week("sent_at").alias("week"))


def build_warehouse(path: Path, conversations: dict = CONVERSATIONS, orders: list = ORDERS, flags: list = FLAGS):
    """Open a new warehouse at `path` filled with `conversations` (by default the ones above), their orders
    and flags; returns the connection."""
    con = open_warehouse(path)
    config = load_config()
    messages, orders = _messages(conversations), _orders(orders)
    con.register("_m", messages.to_arrow())
    con.execute("INSERT INTO messages BY NAME SELECT * FROM _m")
    con.unregister("_m")
    con.register("_o", orders.to_arrow())
    con.execute("INSERT INTO orders BY NAME SELECT * FROM _o")
    con.unregister("_o")
    roster = pl.DataFrame({"agent": list(ROSTER), "name": [a.split(":")[1] for a in ROSTER],
                           "team": ["t"] * len(ROSTER), "role": list(ROSTER.values()),
                           "source_path": ["hand-made"] * len(ROSTER)})
    con.register("_r", roster.to_arrow())
    con.execute("INSERT INTO agents BY NAME SELECT * FROM _r")
    con.unregister("_r")

    calendar = DutyCalendar.from_shifts([])
    ordered = ordered_messages(messages.drop("source_path"), calendar, config.idle_seconds)
    sessions = sessions_table(ordered)
    rounds = rounds_table(ordered, sessions, calendar, roster.select("agent", "role"),
                          role_targets(config, list(ROLES)), config.default_role)
    flags = _flags(ordered, flags)
    frames = conversion_frames(rounds, orders.drop("source_path"), 2, "order_then_paid")
    outcomes = session_outcomes(rounds, frames["inquiries"])
    scores, deductions = score_sessions(sessions, rounds, flags, outcomes, load_scorecard())
    scores = scores.join(sessions.select("session_id", "shop"), on="session_id", how="left")
    sessions = sessions.with_columns(pl.col("started_at").dt.strftime("%G-W%V").alias("week"))
    for table, frame in (("sessions", sessions), ("rounds", rounds), ("flags", flags),
                         ("inquiries", frames["inquiries"].drop("orders")), ("session_scores", scores),
                         ("score_deductions", deductions)):
        replace_table(con, table, frame)
    return con


def session_of(con, buyer: str) -> str:
    return con.execute("SELECT session_id FROM sessions WHERE buyer = ?", [buyer]).fetchall()[0][0]
