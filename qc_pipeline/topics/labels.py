"""Labels of the topic report in each language."""
from __future__ import annotations

LABELS = {
    "zh": {
        "title": "买家咨询话题", "weeks": "周", "questions": "有效开场提问", "skipped": "无实义开场（仅问候/图片）",
        "sampled": "本窗口共 {total} 个开场，按种子 {seed} 随机抽取 {n} 个聚类，以下数字均为样本数字",
        "k_eigengap": "话题数 k = {k}：自动选定，分成 {k} 类时各类提问区分最明显（方法见 docs/cases.md）",
        "k_given": "话题数 k = {k}（指定）", "k_too_few": "问题太少，未分话题",
        "topic": "话题", "terms": "关键词", "sessions": "会话", "share": "占比", "median_first": "首响中位",
        "unanswered_first": "首问未回复", "conversion": "询单转化率", "buyer_days": "询单",
        "flag_rate": "违规会话占比", "flags": "违规", "examples": "典型提问", "phrases": "快捷短语候选",
        "phrase": "回复", "uses": "使用会话", "orders": "成交", "order_rate": "成交率", "variants": "相近写法",
        "no_phrases": "暂无（没有在本话题中被重复使用的专属回复）", "none": "—",
        "how": "开场提问 = 每个会话首次人工回复前买家的前 3 条消息。转化率 = 这些会话的售前询单（买家-日）中成交的比例。"
               "违规会话占比 = 客服消息被标记违规的会话比例。",
        "seconds": "{v:.0f} 秒",
    },
    "en": {
        "title": "What buyers ask about", "weeks": "Weeks", "questions": "Opening questions",
        "skipped": "Openings with no words (greetings, pictures)",
        "sampled": "The window holds {total} openings; {n} drawn at random (seed {seed}) were clustered, "
                   "and every figure below is of that sample",
        "k_eigengap": "k = {k} topics, chosen automatically: {k} groups set the questions apart most clearly "
                      "(method in docs/cases.md)",
        "k_given": "k = {k} topics (given)", "k_too_few": "Too few questions to form topics",
        "topic": "Topic", "terms": "Top terms", "sessions": "Sessions", "share": "Share",
        "median_first": "Median first reply",
        "unanswered_first": "Unanswered openings", "conversion": "Inquiry conversion",
        "buyer_days": "Inquiries",
        "flag_rate": "Sessions flagged", "flags": "Flags", "examples": "Typical questions",
        "phrases": "Quick-phrase candidates",
        "phrase": "Answer", "uses": "Sessions", "orders": "Orders", "order_rate": "Order rate", "variants": "Wordings",
        "no_phrases": "None (no answer specific to this topic was used twice)", "none": "—",
        "how": "Opening question = the buyer's first 3 messages before the first human reply. Conversion = share of "
               "these sessions' presale inquiries (buyer-days) that converted. Sessions flagged = share with a flag on "
               "an agent's message.",
        "seconds": "{v:.0f} s",
    },
}


def labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {', '.join(LABELS)}, got {lang!r}")
    return LABELS[lang]
