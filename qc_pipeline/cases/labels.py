"""Case-library wording in each language: categories, ranking terms, reasons and page labels."""
from __future__ import annotations

LANGS = ("zh", "en")

CATEGORIES = {
    "presale_converted": {"zh": "售前成交", "en": "Converted presale"},
    "aftersale_resolved": {"zh": "售后解决", "en": "After-sale resolved"},
    "critical_flag": {"zh": "严重违规", "en": "Critical flag"},
    "arguing": {"zh": "与买家争执", "en": "Arguing with the buyer"},
    "unanswered": {"zh": "买家未获回复", "en": "Buyer left unanswered"},
    "slow_lost_sale": {"zh": "首响慢致流失", "en": "Slow first reply, sale lost"},
}

KINDS = {"good": {"zh": "优秀案例", "en": "Good cases"}, "bad": {"zh": "问题案例", "en": "Cases to learn from"}}

TERMS = {
    "qc_score": {"zh": "质检分", "en": "QC score"},
    "fast_first_reply": {"zh": "首响提前量", "en": "first reply speed"},
    "order_amount": {"zh": "成交金额", "en": "order amount"},
    "buyer_thanks": {"zh": "买家致谢", "en": "buyer thanked"},
    "critical_flags": {"zh": "严重违规", "en": "critical flags"},
    "arguing_flags": {"zh": "争执", "en": "arguing flags"},
    "other_flags": {"zh": "其他违规", "en": "other flags"},
    "unanswered": {"zh": "未回复", "en": "unanswered"},
    "slow_minutes": {"zh": "首响超时(分)", "en": "minutes over target"},
    "lost_sale": {"zh": "未成交", "en": "sale lost"},
    "score_shortfall": {"zh": "质检失分", "en": "QC shortfall"},
}

REASONS = {
    "presale_converted": {
        "zh": "售前询单成交：首次响应 {wait} 秒（目标 {target} 秒），各轮回复均达标，全程无违规，质检 {score} 分，成交 ¥{amount}",
        "en": "Converted presale inquiry: first reply in {wait} s (target {target} s), every reply on target, "
              "no flags, QC score {score}, order ¥{amount}",
    },
    "aftersale_resolved": {
        "zh": "售后问题解决：客服答应处理（「{resolve}」），买家随后致谢（「{thanks}」），全程无违规",
        "en": "After-sale problem resolved: the agent agreed to put it right (\"{resolve}\") and the buyer then "
              "thanked them (\"{thanks}\"), no flags",
    },
    "critical_flag": {"zh": "严重违规：{flags}", "en": "Critical flag: {flags}"},
    "arguing": {"zh": "与买家争执：{flags}", "en": "Arguing with the buyer: {flags}"},
    "unanswered": {"zh": "买家第 {round} 轮提问未获人工回复", "en": "The buyer's question in round {round} got no human reply"},
    "slow_lost_sale": {
        "zh": "首次响应 {wait} 秒，超过目标 {target} 秒，买家未下单离开",
        "en": "First reply after {wait} s, over the {target} s target; the buyer left without ordering",
    },
}

UI = {
    "zh": {
        "library": "培训案例库", "case": "案例", "why": "入选原因", "ranking": "排序分", "also": "同时符合",
        "outcome": "结果", "tags": "标签", "transcript": "对话记录", "agent": "客服", "shop": "店铺", "buyer": "买家",
        "started": "开始时间", "score": "质检分", "rank": "排名", "kind": "类型", "category": "类别", "topic": "话题",
        "ordered": "已下单", "not_ordered": "未下单", "converted": "已成交", "order": "订单", "amount": "金额",
        "refund": "退款", "no_order": "无订单", "round_ok": "第 {n} 轮 · 响应 {wait} 秒（目标 {target} 秒）· 达标",
        "round_late": "第 {n} 轮 · 响应 {wait} 秒（目标 {target} 秒）· 超时", "round_none": "第 {n} 轮 · 未获人工回复",
        "speaker_buyer": "买家", "speaker_auto": "自动回复", "speaker_system": "系统", "speaker_agent": "客服",
        "flag": "违规", "none": "—", "empty": "本周没有符合条件的案例。", "masked_note": "买家昵称、电话、地址已脱敏。",
        "unmasked": "未脱敏版本：含买家个人信息，仅限内部使用。", "ranking_note": "排序分 = Σ 权重 × 指标，权重见 criteria.toml",
        "severity_critical": "严重", "severity_major": "一般", "severity_minor": "轻微",
    },
    "en": {
        "library": "Training case library", "case": "Case", "why": "Why it was selected", "ranking": "Rank score",
        "also": "Also meets", "outcome": "Outcome", "tags": "Tags", "transcript": "Transcript", "agent": "Agent",
        "shop": "Shop", "buyer": "Buyer", "started": "Started", "score": "QC score", "rank": "Rank", "kind": "Kind",
        "category": "Category", "topic": "Topic", "ordered": "Ordered", "not_ordered": "No order",
        "converted": "Converted", "order": "Order", "amount": "Amount", "refund": "Refund", "no_order": "No order",
        "round_ok": "Round {n} · replied in {wait} s (target {target} s) · on target",
        "round_late": "Round {n} · replied in {wait} s (target {target} s) · late",
        "round_none": "Round {n} · no human reply", "speaker_buyer": "Buyer", "speaker_auto": "Auto-reply",
        "speaker_system": "System", "speaker_agent": "Agent", "flag": "Flag", "none": "—",
        "empty": "No session met the criteria this week.",
        "masked_note": "Buyer nicks, phones and addresses are masked.",
        "unmasked": "Unmasked: holds buyers' personal data, internal use only.",
        "ranking_note": "rank score = Σ weight × term, weights in criteria.toml",
        "severity_critical": "critical", "severity_major": "major", "severity_minor": "minor",
    },
}


def category(key: str, lang: str) -> str:
    return CATEGORIES.get(key, {}).get(lang, key)


def term(key: str, lang: str) -> str:
    return TERMS.get(key, {}).get(lang, key)


def ui(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return UI[lang]
