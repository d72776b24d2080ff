"""Agent texts that break the shop's compliance rules, kept apart from the regular banks.

Off by default: the sample's response-time truth never depends on it, and switching it on swaps only
texts (chosen with their own random stream), so every time, session and round stays the same.
"""
from __future__ import annotations

import random

# category -> (text, the words in it that the rules look for)
VIOLATION_BANK: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "extreme_word": (
        ("这是我们店卖得最好的一款，全网最低价", ("最好", "最低价")),
        ("顶级面料，穿着超舒服", ("顶级",)),
        ("这款是唯一一款不起球的", ("唯一",)),
    ),
    "hedging": (
        ("应该明天就能发货了吧", ("应该",)),
        # a guess about the goods the agent can check (an arrival estimate such as 大概三天能到 is not hedging)
        ("这款大概是纯棉的吧", ("大概",)),
        ("估计是快递的问题", ("估计",)),
    ),
    "flat_refusal": (
        ("不行，这个退不了", ("不行",)),
        ("没办法，规定就是这样", ("没办法",)),
    ),
    "delivery_promise": (
        ("保证明天到", ("保证",)),
        ("今天下单肯定今天发", ("肯定",)),
    ),
    "off_platform": (
        ("加我微信，发您实拍图", ("微信",)),
        ("可以用支付宝直接转给我", ("支付宝",)),
    ),
    "slang": (
        # 亲爱滴 is shop style, not slang (docs/rules.md, labelling rubric); yyds is
        ("亲爱滴，这款yyds", ("yyds",)),
        ("老铁放心拍，666", ("老铁", "666")),
    ),
    "arguing": (
        ("我已经说过很多遍了，您自己看详情页", ("说过很多遍",)),
    ),
}

DEFAULT_SHARE = 0.03


def pick_violations(n_candidates: int, seed: int, share: float = DEFAULT_SHARE) -> dict[int, tuple[str, str, tuple]]:
    """Which agent messages (by index among the candidates) get a violating text:
    index -> (category, text, matched words)."""
    rng = random.Random(f"{seed}:violations")
    categories = sorted(VIOLATION_BANK)
    chosen: dict[int, tuple[str, str, tuple]] = {}
    for i in range(n_candidates):
        if rng.random() < share:
            category = rng.choice(categories)
            text, words = rng.choice(VIOLATION_BANK[category])
            chosen[i] = (category, text, words)
    return chosen
