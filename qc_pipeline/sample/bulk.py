"""Many canonical chat rows fast, for the speed benchmark: no truth, only a realistic shape.

Conversations alternate buyer and agent lines (sometimes two buyer lines in a row, sometimes an
auto-reply before the agent), tens of shops with six agents each and tens of thousands of buyers
spread over four weeks of on-duty hours. About 3 % of agent lines come from the violation bank, so
the rule stage has something to find. Everything is drawn as numpy arrays and assembled by polars.
"""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl

from qc_pipeline.sample import texts
from qc_pipeline.sample.violations import VIOLATION_BANK

N_SHOPS = 40
N_BUYERS = 30_000
AGENT_NAMES = ("小雅", "阿杰", "小鹿", "小满", "小周", "阿宁")
SHOP_WORDS = ("星河", "云朵", "青禾", "北屿", "南栀", "拾光", "木槿", "初夏", "山茶", "鹿鸣")
SHOP_KINDS = ("服饰旗舰店", "母婴专营店", "家居专营店", "女装店")
FIRST_DAY_EPOCH_S = int((dt.datetime(2026, 10, 26) - dt.datetime(1970, 1, 1)).total_seconds())
DAYS = 28
VIOLATION_SHARE = 0.03


def _pairs(rng: random.Random) -> tuple[list[str], list[str]]:
    """Questions and their answers (same index), placeholders filled a few different ways."""
    pairs: dict[str, str] = {}
    for topics in (texts.PRESALE_TOPICS, texts.BABY_TOPICS, texts.AFTERSALE_TOPICS):
        for topic in topics:
            for question, answers in topic.pairs:
                for item in texts.APPAREL_ITEMS[:4]:
                    context = texts.conversation_context(rng, item)
                    for answer in answers:
                        pairs.setdefault(question.format(**context), answer.format(**context))
    pairs.update(texts.PRESALE_CLOSINGS + texts.AFTERSALE_CLOSINGS)
    ordered = sorted(pairs.items())
    return [q for q, _ in ordered], [a for _, a in ordered]


def _shop_names() -> list[str]:
    names = [w + k for k in SHOP_KINDS for w in SHOP_WORDS]
    return names[:N_SHOPS]


def bulk_messages(n: int, seed: int = 0) -> pl.DataFrame:
    """`n` canonical chat rows: shop, buyer, agent, role, sent_at ("YYYY-MM-DD HH:MM:SS"), text."""
    schema = {c: pl.Utf8 for c in ("shop", "buyer", "agent", "role", "sent_at", "text")}
    if n <= 0:
        return pl.DataFrame(schema=schema)
    gen = np.random.default_rng(seed)
    py_rng = random.Random(f"bulk:{seed}")
    questions, answers = _pairs(py_rng)
    bad_bank = [text for entries in VIOLATION_BANK.values() for text, _ in entries]
    nicks = texts.buyer_nicks(py_rng, N_BUYERS, set())

    # Conversation lengths, trimmed so they add up to exactly n rows.
    lengths = gen.integers(2, 13, size=n // 2 + 2)
    ends = np.cumsum(lengths)
    k = int(np.searchsorted(ends, n)) + 1
    lengths = lengths[:k]
    lengths[-1] -= int(ends[k - 1]) - n
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    conv = np.repeat(np.arange(k), lengths)
    pos = np.arange(n) - starts[conv]

    # Who talks: buyer first, then alternating, with extra buyer lines and auto-replies mixed in.
    is_buyer = (pos % 2 == 0) | ((gen.random(n) < 0.12) & (pos > 0))
    has_auto = gen.random(k) < 0.15
    is_auto = has_auto[conv] & (pos == 1)
    role_code = np.where(is_auto, 2, np.where(is_buyer, 0, 1))

    # When: each conversation opens in on-duty hours on one of the days; lines follow seconds apart.
    day = gen.integers(0, DAYS, size=k)
    open_s = gen.integers(9 * 3600, 22 * 3600 + 1800, size=k)
    conv_start = FIRST_DAY_EPOCH_S + day * 86_400 + open_s
    gaps = np.where(role_code == 2, 1, np.minimum(gen.exponential(50, n).astype(np.int64) + 2, 1500))
    gaps[starts] = 0
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[starts], lengths)
    epoch_s = (conv_start[conv] + offset).astype(np.int64)

    shop_idx = gen.integers(0, N_SHOPS, size=k)[conv]
    buyer_idx = gen.integers(0, N_BUYERS, size=k)[conv]
    agent_idx = gen.integers(0, len(AGENT_NAMES), size=k)[conv]
    flagged = (role_code == 1) & (gen.random(n) < VIOLATION_SHARE)
    # A reply answers the question of its round: both take the pair picked for (conversation, round).
    is_reply = (role_code == 1).astype(np.int64)
    replies = np.cumsum(is_reply)
    round_no = replies - is_reply - (replies[starts] - is_reply[starts])[conv]
    pair_idx = (gen.integers(0, 1 << 30, size=k)[conv] + round_no * 7919) % len(questions)
    buyer_line = role_code == 0
    extra_line = buyer_line & np.roll(buyer_line, 1) & (pos > 0)  # a second buyer line in the same round
    text_idx = gen.integers(0, 1 << 30, size=n)

    shops = pl.Series(_shop_names())
    frame = pl.DataFrame({
        "shop": shops.gather(shop_idx),
        "buyer": pl.Series(nicks).gather(buyer_idx),
        "_agent_name": pl.Series(AGENT_NAMES).gather(agent_idx),
        "role": pl.Series(["buyer", "agent", "auto"]).gather(role_code),
        "_epoch": epoch_s,
        "_question": pl.Series(questions).gather(pair_idx),
        "_answer": pl.Series(answers).gather(pair_idx),
        "_follow_up": pl.Series(texts.FOLLOW_UPS).gather(text_idx % len(texts.FOLLOW_UPS)),
        "_bad_text": pl.Series(bad_bank).gather(text_idx % len(bad_bank)),
        "_flagged": flagged,
        "_extra": extra_line,
    })
    return frame.select(
        "shop",
        "buyer",
        pl.concat_str([pl.col("shop"), pl.lit(":"), pl.col("_agent_name")]).alias("agent"),
        "role",
        pl.from_epoch("_epoch", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S").alias("sent_at"),
        pl.when(pl.col("_extra")).then(pl.col("_follow_up"))
        .when(pl.col("role") == "buyer").then(pl.col("_question"))
        .when(pl.col("role") == "auto").then(pl.lit(texts.AUTO_BUSY))
        .when(pl.col("_flagged")).then(pl.col("_bad_text"))
        .otherwise(pl.col("_answer")).alias("text"),
    )
