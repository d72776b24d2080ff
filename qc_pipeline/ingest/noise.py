"""Lines of the Qianniu/Wangwang text layouts that are not messages.

Status marks, recall notes, system notes and product cards are copied out with the chat but nobody
typed them; they are counted (``noise_lines``) and dropped. Transfer lines are noise too, but they
also change which agent serves the buyer, so they are recognised separately.
"""
from __future__ import annotations

import re

STATUS = frozenset({"已读", "未读", "发送中"})
_RECALL = re.compile(r"^.{1,64}撤回了一条消息$")
_SYSTEM = re.compile(r"^(?:当前用户来自|由\s*\S.*转交给|原因[：:]\s*【|【离线留言自动分配】)")
_LINK = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_PRICE = re.compile(r"[¥￥]\s*\d")
# A product card prints title and price lines; a sentence an agent typed about a price has
# sentence punctuation and stays a message.
_SENTENCE = re.compile(r"[，。！？!?～~、；;]")
_CARD_MAX_CHARS = 60

TRANSFER = re.compile(
    r"^(?P<source>\S.*?) --> (?P<target>\S.*?) ?(?P<date>\d{4}-\d{1,2}-\d{1,2}) (?P<time>\d{1,2}:\d{2}:\d{2})$"
)


def is_card(line: str) -> bool:
    text = line.strip()
    if _LINK.match(text):
        return True
    return bool(_PRICE.search(text)) and not _SENTENCE.search(text) and len(text) <= _CARD_MAX_CHARS


def is_noise(line: str) -> bool:
    text = line.strip()
    return text in STATUS or bool(_RECALL.match(text) or _SYSTEM.match(text)) or is_card(text)


def split_content(lines: list[str]) -> tuple[list[str], int]:
    """A block's content lines without noise, and how many noise lines were dropped.

    A block that is nothing but a product card (a buyer sending a link) keeps the card as its text:
    the message happened, and the card is all there is of it."""
    kept = [line for line in lines if not is_noise(line)]
    if not any(line.strip() for line in kept):
        cards = [line for line in lines if is_card(line)]
        if cards:
            return cards, len(lines) - len(cards) - sum(1 for line in lines if not line.strip())
    dropped = len(lines) - len(kept)
    return trim_blank(kept), dropped


def trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
