"""A realistic multi-shop workload, fast, for the speed benchmark: no truth beyond its planted flags.

What a mid-size seller group sees in a week: a dozen shops, a roster of 200 presale and after-sale
agents, buyers who open a conversation, sometimes write twice before an answer, get an auto-reply
first, are handed over from presale to after-sale (the serving agent changes mid-conversation), and
often order afterwards. Questions and answers come from the sample's banks plus personalised templates
whose order numbers, amounts, waybills, sizes and body measures are filled per round, so most texts
are distinct, as in real logs. About 3 % of agent replies come from the violation bank, so the rule
stage has something to find. Everything is drawn as numpy arrays and assembled by polars.

`bulk_workload` returns the chats, the orders and the roster; `write_workload` writes them as the
files a user passes to `qc run` (canonical chat CSV, seller-center order report in GBK, roster CSV).
A week index lets a benchmark write week after week of the same shops, agents and buyers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from qc_pipeline.sample import texts
from qc_pipeline.sample.orders import CLOSED, PAID_WAITING, REPORT_COLUMNS, SHIPPED, SUCCESS, UNPAID
from qc_pipeline.sample.violations import VIOLATION_BANK

N_SHOPS = 12
N_AGENTS = 200
SHOP_WORDS = ("星河", "云朵", "青禾", "北屿", "南栀", "拾光", "木槿", "初夏", "山茶", "鹿鸣", "知秋", "半夏")
SHOP_KINDS = ("服饰旗舰店", "母婴专营店", "家居专营店", "女装店")
NAME_HEADS = ("小", "阿")
NAME_TAILS = tuple("雅杰鹿满周宁悦晴然安可乐琪彤欣瑶婷薇蕾莉琳萌妍慧静雯楠希诺")
FIRST_DAY = dt.date(2026, 10, 26)  # a Monday: week 0 is ISO week 2026-W44
FIRST_DAY_EPOCH_S = (FIRST_DAY - dt.date(1970, 1, 1)).days * 86_400
AFTERSALE_SHARE = 0.3  # of agents, and of conversations
AUTO_SHARE = 0.3  # conversations whose first answer is an auto-reply
TRANSFER_SHARE = 0.06  # presale conversations handed over to after-sale
ORDER_SHARE = 0.3  # presale conversations followed by an order
PAID_SHARE = 0.85
REFUND_SHARE = 0.08  # of paid orders
SILENT_SHARE = 0.15
RETURNING_SHARE = 0.3  # conversations of buyers who may have chatted in an earlier week  # extra orders from buyers who never chatted about them
VIOLATION_SHARE = 0.03

# Replies that name the buyer's order, money, parcel or measures: what makes real logs mostly distinct.
# Like the sample's banks they hold none of the words the rules look for (tests/test_bulk.py checks).
PERSONAL_PRESALE = (
    ("{item}的{color}还有{size}码吗", "有的亲，{color}{size}码有现货，今天16点前拍下当天发出"),
    ("现在买{item}多少钱", "亲，{item}今天活动价{amount}元，领券再减{cut}元"),
    ("身高{h}，{w}斤，{item}要什么码", "按{h}cm、{w}斤推荐拍{size}码，喜欢宽松可以拍大一码"),
    ("发{city}几天能到", "亲，发{city}一般{days}天左右到，下单后可以在订单里看物流"),
    ("两件{item}一起拍能便宜多少", "两件一起拍满{amount}元减{cut}元，结算时自动优惠"),
    ("刚拍的订单{order}能改成{color}吗", "可以的亲，订单{order}已经帮您备注改成{color}{size}码"),
    ("我领了{cut}元券，{item}到手是{amount}元吗", "是的亲，用券后{item}到手{amount}元，下单时券会自动抵扣"),
    ("订单{order}能和上一单一起发吗", "好的亲，已经备注订单{order}合并发货，运费按一单算"),
)
PERSONAL_AFTERSALE = (
    ("订单{order}什么时候发货", "亲，订单{order}已经在打包了，发出后物流单号会同步到订单里"),
    ("订单{order}退款{amount}元到哪了", "亲，订单{order}的退款{amount}元已经原路退回，请留意账户通知"),
    ("快递单号{waybill}好几天没动了", "已经帮您联系快递核实单号{waybill}，有进展马上告诉您"),
    ("订单{order}想换成{size}码", "好的亲，订单{order}已经帮您登记换{size}码，寄回时备注一下订单号"),
    ("订单{order}少发了一件", "非常抱歉，订单{order}帮您登记补发了，补发单号稍后发给您"),
)
PLACEHOLDERS = ("item", "size", "color", "h", "w", "city", "months", "ww", "h2", "order", "amount", "cut",
                "waybill", "days")

ORDER_SCHEMA = {
    "order_id": pl.Utf8, "shop": pl.Utf8, "buyer": pl.Utf8, "created_at": pl.Datetime("us"),
    "paid_at": pl.Datetime("us"), "amount": pl.Float64, "refund_amount": pl.Float64, "status": pl.Utf8,
}
CHAT_SCHEMA = {c: pl.Utf8 for c in ("shop", "buyer", "agent", "role", "sent_at", "text")}
ROSTER_SCHEMA = {c: pl.Utf8 for c in ("agent", "name", "team", "role")}


@dataclass(frozen=True)
class Workload:
    messages: pl.DataFrame  # canonical chat rows, CHAT_SCHEMA, "YYYY-MM-DD HH:MM:SS" times
    orders: pl.DataFrame  # ORDER_SCHEMA
    roster: pl.DataFrame  # ROSTER_SCHEMA: every agent that chats, presale and aftersale


def shop_names(shops: int = N_SHOPS) -> list[str]:
    names = [w + SHOP_KINDS[i % len(SHOP_KINDS)] for i, w in enumerate(SHOP_WORDS)]
    names += [w + k for k in SHOP_KINDS for w in SHOP_WORDS if w + k not in names]
    if shops > len(names):
        names += [f"{names[i % len(names)]}{i // len(names) + 1}号店" for i in range(len(names), shops)]
    return names[:shops]


def bulk_roster(shops: int = N_SHOPS, agents: int = N_AGENTS) -> pl.DataFrame:
    """`agents` sub-accounts spread over the shops; about 30 % of each shop's team is after-sale."""
    names = [h + t for h in NAME_HEADS for t in NAME_TAILS]
    rows = []
    for s, shop in enumerate(shop_names(shops)):
        size = agents // shops + (1 if s < agents % shops else 0)
        after = max(1, round(size * AFTERSALE_SHARE)) if size > 1 else 0
        for i in range(size):
            name = names[i % len(names)] + (str(i // len(names) + 1) if i >= len(names) else "")
            role = "aftersale" if i >= size - after else "presale"
            team = "售后组" if role == "aftersale" else ("售前一组" if i % 2 == 0 else "售前二组")
            rows.append((f"{shop}:{name}", name, team, role))
    return pl.DataFrame(rows, schema=ROSTER_SCHEMA, orient="row")


def _nicks(gen: np.random.Generator, n: int, block: int = 0) -> pl.Series:
    """`n` distinct Taobao-style nicks: a word or latin name and a distinct number (no digits before it);
    nicks of different blocks never collide."""
    numbers = (gen.choice(10**8, size=n, replace=False) + block * 10**8).astype(str)
    words = np.array(texts.BUYER_NICK_WORDS + tuple(t for t in texts.BUYER_NICK_TAILS if not t[-1].isdigit()))
    latin = np.array(texts.BUYER_NICK_LATIN)
    style = gen.random(n)
    prefix = np.where(style < 0.35, words[gen.integers(0, len(words), n)],
                      np.where(style < 0.65, np.char.add(latin[gen.integers(0, len(latin), n)], "_"), "tb"))
    return pl.Series("buyer", np.char.add(prefix, numbers))


def _templates() -> tuple[list[str], list[str], list[str], list[str]]:
    """Presale and after-sale (question, answer) templates, placeholders left in."""
    def expand(topics) -> list[tuple[str, str]]:
        return [(q, a) for topic in topics for q, answers in topic.pairs for a in answers]

    pre = expand(texts.PRESALE_TOPICS + texts.BABY_TOPICS) + list(texts.PRESALE_CLOSINGS)
    after = expand(texts.AFTERSALE_TOPICS) + list(texts.AFTERSALE_CLOSINGS)
    # Personalised lines are the most frequent kind, so that most texts are distinct.
    # Those naming an order or a parcel are unique to their round, the others repeat now and then.
    def weighted(pairs):
        return [p for p in pairs for _ in range(3 if "{order}" in p[0] or "{waybill}" in p[0] else 1)]

    pre += weighted(PERSONAL_PRESALE) * (3 * len(pre) // len(weighted(PERSONAL_PRESALE)))
    after += weighted(PERSONAL_AFTERSALE) * (3 * len(after) // len(weighted(PERSONAL_AFTERSALE)))
    return [q for q, _ in pre], [a for _, a in pre], [q for q, _ in after], [a for _, a in after]


def _digits(gen: np.random.Generator, size: int, width: int) -> np.ndarray:
    """Random numbers of exactly `width` digits, as text without 666 (slang the rules look for)."""
    if size == 0:
        return np.array([], dtype=f"<U{width}")
    head = gen.integers(1, 10, size=size).astype(str)
    tail = gen.integers(0, 10 ** (width - 1), size=size)
    out = np.char.add(head, np.char.zfill(tail.astype(str), width - 1))
    return np.char.replace(out, "666", "686")


def _round_values(gen: np.random.Generator, size: int) -> pl.DataFrame:
    """One context per round, so a question and its answer name the same order, size and amount."""
    items = texts.APPAREL_ITEMS + texts.BABY_ITEMS
    combos = [(it.title, s, c, it.price) for it in items for s in it.sizes for c in it.colors]
    pick = gen.integers(0, len(combos), size=size)
    cols = list(zip(*combos))
    price = np.asarray(cols[3])[pick]
    amount = price * gen.integers(1, 3, size=size) - gen.integers(0, 30, size=size)
    return pl.DataFrame({
        "item": np.asarray(cols[0])[pick], "size": np.asarray(cols[1])[pick], "color": np.asarray(cols[2])[pick],
        "h": gen.integers(150, 186, size=size).astype(str), "w": (gen.integers(17, 30, size=size) * 5).astype(str),
        "city": np.asarray(texts.CITIES)[gen.integers(0, len(texts.CITIES), size=size)],
        "months": gen.integers(3, 19, size=size).astype(str), "ww": gen.integers(12, 26, size=size).astype(str),
        "h2": np.asarray(("66cm", "73cm", "80cm", "90cm"))[gen.integers(0, 4, size=size)],
        "order": _digits(gen, size, 19), "amount": np.char.replace(amount.astype(str), "666", "668"),
        "cut": gen.integers(5, 51, size=size).astype(str), "waybill": np.char.add("YT", _digits(gen, size, 13)),
        "days": gen.integers(2, 5, size=size).astype(str),
    })


def _fill(text: pl.Expr, fields: list[str]) -> pl.Expr:
    for name in fields:
        text = text.str.replace_all("{" + name + "}", pl.col("_v_" + name), literal=True)
    return text


def bulk_workload(
    n: int, seed: int = 0, *, weeks: int = 1, first_week: int = 0, shops: int = N_SHOPS, agents: int = N_AGENTS,
) -> Workload:
    """`n` chat rows over `weeks` ISO weeks starting `first_week` weeks after 2026-W44, with the orders
    that followed and the roster. Shops, agents and each week's buyer nicks depend on (n, seed, shops,
    agents) only, so the weeks of one benchmark talk about the same people, with returning buyers."""
    roster = bulk_roster(shops, agents)
    if n <= 0:
        return Workload(pl.DataFrame(schema=CHAT_SCHEMA), pl.DataFrame(schema=ORDER_SCHEMA), roster)
    gen = np.random.default_rng([seed, first_week, weeks, 1])
    k_est = n // 6 + 1
    # Buyers: each week brings its own block of nicks; 30 % of conversations are buyers of any week so far.
    block = max(2_000, int(k_est * 0.8 / weeks))
    nicks = pl.concat([_nicks(np.random.default_rng([seed, 2, j]), block, j) for j in range(first_week + weeks)])
    names = shop_names(shops)

    # Conversation lengths, trimmed so they add up to exactly n rows.
    lengths = gen.integers(2, 11, size=n // 2 + 2)
    ends = np.cumsum(lengths)
    k = int(np.searchsorted(ends, n)) + 1
    lengths = lengths[:k]
    lengths[-1] -= int(ends[k - 1]) - n
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    conv = np.repeat(np.arange(k), lengths)
    pos = np.arange(n) - starts[conv]

    # Each conversation: a shop, a buyer, after-sale or not, its agent, and when it opens (exports list
    # conversations by start time). More buyers write in the evening than in the morning.
    day = gen.integers(0, 7 * weeks, size=k) + 7 * first_week
    open_s = (8.5 * 3600 + gen.beta(2.2, 1.6, size=k) * 15.25 * 3600).astype(np.int64)
    conv_start = np.sort(FIRST_DAY_EPOCH_S + day * 86_400 + open_s)
    shop_idx = gen.integers(0, shops, size=k)
    week_no = (conv_start - FIRST_DAY_EPOCH_S) // (7 * 86_400)
    returning = gen.random(k) < RETURNING_SHARE
    buyer_idx = np.where(returning, (gen.random(k) * (week_no + 1) * block).astype(np.int64),
                         week_no * block + gen.integers(0, block, size=k))
    aftersale = gen.random(k) < AFTERSALE_SHARE
    team = roster.with_columns(shop_no=pl.col("agent").str.split(":").list.first().replace_strict(
        {s: i for i, s in enumerate(names)}, return_dtype=pl.Int64))
    pre_agent = _pick_agent(gen, team, "presale", shop_idx)
    after_agent = _pick_agent(gen, team, "aftersale", shop_idx)
    first_agent = np.where(aftersale, after_agent, pre_agent)

    # Who talks: buyer first, then alternating, extra buyer lines, and an auto-reply as the first answer.
    is_buyer = (pos % 2 == 0) | ((gen.random(n) < 0.12) & (pos > 0))
    is_auto = (gen.random(k) < AUTO_SHARE)[conv] & (pos == 1)
    role_code = np.where(is_auto, 2, np.where(is_buyer, 0, 1))
    # A transfer: from a presale agent's reply at position >= 3 on, an after-sale colleague serves.
    transfer_at = np.where(~aftersale & (gen.random(k) < TRANSFER_SHARE) & (lengths >= 6), 3, 1 << 30)
    after_transfer = pos > transfer_at[conv]
    handover = (pos == transfer_at[conv]) & (role_code == 1)
    agent_id = np.where(after_transfer, after_agent[conv], first_agent[conv])
    aftersale_text = aftersale[conv] | after_transfer

    # When: lines follow seconds apart (an auto-reply within a second), now and then after a long pause.
    gaps = np.where(role_code == 2, 1, np.minimum(gen.exponential(45, n).astype(np.int64) + 2, 1500))
    gaps[starts] = 0
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[starts], lengths)
    epoch_s = conv_start[conv] + offset
    conv_end = epoch_s[starts + lengths - 1]

    # A reply answers the question of its round: both take the template and values of that round.
    is_reply = (role_code == 1).astype(np.int64)
    global_round = np.cumsum(is_reply) - is_reply
    n_rounds = int(global_round[-1]) + 1
    pre_q, pre_a, after_q, after_a = _templates()
    pick = gen.integers(0, 1 << 30, size=n_rounds)
    buyer_line = role_code == 0
    extra_line = buyer_line & np.roll(buyer_line, 1) & (pos > 0)  # a second buyer line in the same round
    flagged = (role_code == 1) & ~handover & (gen.random(n) < VIOLATION_SHARE)
    bad_bank = [text for entries in VIOLATION_BANK.values() for text, _ in entries]
    text_idx = gen.integers(0, 1 << 30, size=n)
    # The buyer's line that the handover answers is an after-sale matter raised in a presale chat.
    handover_round = np.zeros(n_rounds, dtype=bool)
    handover_round[global_round[handover]] = True
    handover_q = buyer_line & ~extra_line & handover_round[global_round]
    auto_greeting = texts.AUTO_GREETING.replace("{shop}", "{_shop}").replace("{name}", "{_name}")

    agents_s = team["agent"]
    values = _round_values(gen, n_rounds)
    frame = pl.DataFrame({
        "shop": pl.Series(names).gather(shop_idx[conv]),
        "buyer": nicks.gather(buyer_idx[conv]),
        "agent": agents_s.gather(agent_id),
        "role": pl.Series(["buyer", "agent", "auto"]).gather(role_code),
        "_epoch": epoch_s,
        "_round": global_round,
        "_after": aftersale_text,
        "_pick": pick[global_round],
        "_flagged": flagged,
        "_extra": extra_line,
        "_handover": handover,
        "_handover_q": handover_q,
        "_next_name": team["name"].gather(after_agent[conv]),
        "_greet": gen.random(n) < 0.65,
        "_t": text_idx,
    }).with_columns(pl.col("agent").str.split(":").list.last().alias("_name"))
    frame = frame.hstack(values.select(pl.all().name.prefix("_v_"))[global_round].get_columns())
    template = (
        pl.when(pl.col("_extra")).then(_lookup(texts.FOLLOW_UPS, pl.col("_t")))
        .when(pl.col("_handover_q")).then(_lookup(texts.HANDOVER_QUESTIONS, pl.col("_t")))
        .when(pl.col("role") == "auto").then(
            pl.when(pl.col("_greet")).then(pl.lit(auto_greeting)).otherwise(pl.lit(texts.AUTO_BUSY)))
        .when(pl.col("_handover")).then(pl.lit(texts.HANDOVER_ANSWER.replace("{name}", "{_next_name}")))
        .when(pl.col("_flagged")).then(_lookup(bad_bank, pl.col("_t")))
        .when(pl.col("role") == "buyer").then(
            pl.when(pl.col("_after")).then(_lookup(after_q, pl.col("_pick"))).otherwise(_lookup(pre_q, pl.col("_pick"))))
        .otherwise(
            pl.when(pl.col("_after")).then(_lookup(after_a, pl.col("_pick"))).otherwise(_lookup(pre_a, pl.col("_pick"))))
    )
    text = template.str.replace_all("{_shop}", pl.col("shop"), literal=True)
    text = text.str.replace_all("{_name}", pl.col("_name"), literal=True)
    text = text.str.replace_all("{_next_name}", pl.col("_next_name"), literal=True)
    messages = frame.select(
        "shop", "buyer", "agent", "role",
        pl.from_epoch("_epoch", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S").alias("sent_at"),
        _fill(text, list(PLACEHOLDERS)).alias("text"),
    )

    orders = _orders(gen, names, nicks, shop_idx, buyer_idx, conv_end, ~aftersale & (transfer_at > lengths),
                     first_week, weeks)
    return Workload(messages, orders, roster)


def _lookup(values, index: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(list(values))).gather(index % len(values))


def _pick_agent(gen: np.random.Generator, team: pl.DataFrame, role: str, shop_idx: np.ndarray) -> np.ndarray:
    """For each conversation, the roster row of a random agent of `role` in its shop."""
    rows = team.with_row_index("_row").filter(pl.col("role") == role)
    if rows.is_empty():
        rows = team.with_row_index("_row")
    by_shop = rows.group_by("shop_no").agg(pl.col("_row")).sort("shop_no")
    table = {s: np.asarray(r, dtype=np.int64) for s, r in zip(by_shop["shop_no"], by_shop["_row"])}
    fallback = np.asarray(rows["_row"], dtype=np.int64)
    width = max(len(v) for v in table.values())
    grid = np.stack([np.resize(table.get(s, fallback), width) for s in range(int(shop_idx.max()) + 1)])
    counts = np.array([len(table.get(s, fallback)) for s in range(int(shop_idx.max()) + 1)])
    return grid[shop_idx, (gen.random(len(shop_idx)) * counts[shop_idx]).astype(np.int64)]


def _orders(gen, names, nicks, shop_idx, buyer_idx, conv_end, presale, first_week, weeks) -> pl.DataFrame:
    """Orders after presale conversations (minutes to a day later), plus silent orders."""
    chatted = np.flatnonzero(presale & (gen.random(len(presale)) < ORDER_SHARE))
    silent = int(len(chatted) * SILENT_SHARE)
    shop = np.concatenate((shop_idx[chatted], gen.integers(0, len(names), silent)))
    buyer = np.concatenate((buyer_idx[chatted], gen.integers(0, len(nicks), silent)))
    week_start = FIRST_DAY_EPOCH_S + (7 * first_week) * 86_400
    silent_at = week_start + 8 * 3600 + gen.integers(0, 7 * weeks * 86_400 - 9 * 3600, silent)
    created = np.concatenate((conv_end[chatted] + np.minimum(gen.exponential(3_600, len(chatted)), 86_400).astype(np.int64) + 30,
                              silent_at))
    m = len(created)
    paid = gen.random(m) < PAID_SHARE
    paid_at = created + gen.integers(20, 1_800, m)
    price = np.asarray([it.price for it in texts.APPAREL_ITEMS + texts.BABY_ITEMS])[gen.integers(0, len(texts.APPAREL_ITEMS + texts.BABY_ITEMS), m)]
    amount = (price * gen.integers(1, 3, m) - gen.integers(0, 30, m)).astype(np.float64)
    refunded = paid & (gen.random(m) < REFUND_SHARE)
    refund = np.where(refunded, np.where(gen.random(m) < 0.7, amount, np.round(amount * 0.3, 2)), 0.0)
    status_paid = np.asarray((PAID_WAITING, SHIPPED, SUCCESS))[gen.integers(0, 3, m)]
    status = np.where(~paid, np.where(gen.random(m) < 0.5, UNPAID, CLOSED), np.where(refunded, CLOSED, status_paid))
    order_id = _digits(gen, m, 19)
    frame = pl.DataFrame({
        "order_id": order_id, "shop": pl.Series(names).gather(shop), "buyer": nicks.gather(buyer),
        "_created": created, "_paid": np.where(paid, paid_at, -1), "amount": np.where(paid, amount, 0.0),
        "refund_amount": refund, "status": status,
    }).unique("order_id", keep="first", maintain_order=True)
    return frame.select(
        "order_id", "shop", "buyer",
        pl.from_epoch("_created", time_unit="s").cast(pl.Datetime("us")).alias("created_at"),
        pl.when(pl.col("_paid") >= 0).then(pl.from_epoch("_paid", time_unit="s")).cast(pl.Datetime("us")).alias("paid_at"),
        "amount", "refund_amount", "status",
    ).sort("created_at")


def bulk_messages(n: int, seed: int = 0, *, weeks: int = 4) -> pl.DataFrame:
    """`n` canonical chat rows: shop, buyer, agent, role, sent_at ("YYYY-MM-DD HH:MM:SS"), text."""
    return bulk_workload(n, seed, weeks=weeks).messages


def order_report_text(orders: pl.DataFrame) -> str:
    """The orders as the seller center's 订单报表 writes them: every field quoted, ids as ="…", money
    plain, with 元 or with ￥, the older 46-column header with its trailing spaces."""
    if orders.is_empty():
        return ",".join(f'"{c}"' for c in REPORT_COLUMNS) + "\r\n"
    style = pl.col("order_id").str.slice(-1).cast(pl.Int64) % 4  # 0, 1: plain; 2: 元; 3: ￥

    def money(col: str | pl.Expr) -> pl.Expr:
        value = (pl.col(col) if isinstance(col, str) else col).round(2).cast(pl.Utf8)
        value = pl.when(value.str.contains(r"\.")).then(value).otherwise(value + ".0")
        value = value.str.replace(r"\.(\d)$", ".${1}0")
        return pl.when(style == 2).then(value + "元").when(style == 3).then("￥" + value).otherwise(value)

    fmt = "%Y-%m-%d %H:%M:%S"
    zero = money(pl.lit(0.0))
    fields = {
        "买家会员名": pl.col("buyer"), "买家支付宝账号": pl.lit("138****0000"),
        "买家应付货款": money("amount"), "买家应付邮费": zero, "买家支付积分": pl.lit("0"),
        "总金额": money("amount"), "返点积分": pl.lit("0"), "买家实际支付金额": money("amount"),
        "买家实际支付积分": pl.lit("0"), "订单状态": pl.col("status"), "运送方式": pl.lit("快递"),
        "订单创建时间": pl.col("created_at").dt.strftime(fmt),
        "订单付款时间 ": pl.col("paid_at").dt.strftime(fmt).fill_null(""),
        "宝贝种类 ": pl.lit("1"), "宝贝总数量": pl.lit("1"), "店铺名称": pl.col("shop"),
        "退款金额": money("refund_amount"), "是否上传合同照片": pl.lit("否"), "是否上传小票": pl.lit("否"),
        "是否代付": pl.lit("否"),
    }
    parts = [pl.lit('="') + pl.col("order_id") + pl.lit('"')]
    parts += [pl.lit('"') + fields.get(c, pl.lit("")) + pl.lit('"') for c in REPORT_COLUMNS[1:]]
    lines = orders.select(pl.concat_str(parts, separator=",").alias("line"))["line"]
    header = ",".join(f'"{c}"' for c in REPORT_COLUMNS)
    return header + "\r\n" + "\r\n".join(lines.to_list()) + "\r\n"


def write_workload(
    folder: Path, n: int, seed: int = 0, *, weeks: int = 1, first_week: int = 0,
    shops: int = N_SHOPS, agents: int = N_AGENTS, tag: str = "",
) -> dict[str, Path]:
    """Write chats_<tag>.csv (UTF-8), orders_<tag>.csv (GBK 订单报表) and roster.csv into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    work = bulk_workload(n, seed, weeks=weeks, first_week=first_week, shops=shops, agents=agents)
    suffix = f"_{tag}" if tag else ""
    paths = {"chats": folder / f"chats{suffix}.csv", "orders": folder / f"orders{suffix}.csv",
             "roster": folder / "roster.csv"}
    work.messages.write_csv(paths["chats"])
    paths["orders"].write_bytes(order_report_text(work.orders).encode("gbk"))
    work.roster.write_csv(paths["roster"])
    return paths
