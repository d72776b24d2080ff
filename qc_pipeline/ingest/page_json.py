"""The Qianniu chat-record page as JSON, as page exporters save it.

A list (possibly inside an object) of date separators ``{"groupTime": "YYYY-MM-DD"}`` and messages
``{"chatTime": "HH:MM:SS", "chatName": sender, "chatTextLeft": text}``. When the page names its active
buyer, that nick is the buyer and every other sender the shop side; otherwise the ':' rule applies.
"""
from __future__ import annotations

import json

from qc_pipeline.ingest.jsonpos import LineIndex, Located
from qc_pipeline.ingest.speakers import Said
from qc_pipeline.ingest.qianniu_web import TIME_LINE

BUYER_KEYS = ("activeNick", "buyerNick", "activeBuyer", "buyer", "nick", "customer")
TEXT_KEYS = ("chatTextLeft", "chatTextRight", "chatText", "content")


def _is_item(value: object) -> bool:
    return isinstance(value, dict) and ("chatTime" in value or "groupTime" in value)


def find_items(doc: object) -> list | None:
    if isinstance(doc, list) and any(_is_item(v) for v in doc):
        return doc
    if isinstance(doc, dict):
        for value in doc.values():
            found = find_items(value)
            if found is not None:
                return found
    return None


def active_buyer(doc: object) -> str | None:
    if isinstance(doc, dict):
        for key in BUYER_KEYS:
            if isinstance(doc.get(key), str) and doc[key].strip():
                return doc[key].strip()
    return None


def events(doc: object, text: str) -> tuple[list[Said], str | None, int]:
    """Messages in page order, the page's buyer (if named) and the count of entries that are neither."""
    items = find_items(doc) or []
    buyer = active_buyer(doc)
    lines = LineIndex(text)
    date, out, other = None, [], 0
    for item in items:
        if not isinstance(item, dict):
            other += 1
            continue
        line = lines.line(item.offset) if isinstance(item, Located) else 0
        if "groupTime" in item and "chatTime" not in item:
            date = str(item["groupTime"]).strip()
            continue
        if "chatTime" not in item and "chatName" not in item:
            other += 1
            continue
        sender = str(item.get("chatName") or "").strip()
        clock = str(item.get("chatTime") or "").strip()
        said_text = next((item[k] for k in TEXT_KEYS if isinstance(item.get(k), str)), "")
        raw = json.dumps(dict(item), ensure_ascii=False)
        stamp, problem = clock, None
        if TIME_LINE.match(clock):
            stamp = f"{date} {clock}" if date else None
            problem = None if date else f"time '{clock}' without a groupTime date before it"
        if not sender:
            problem = problem or "message without chatName (sender)"
        side = None if buyer is None else ("buyer" if sender == buyer else "agent")
        out.append(Said(sender, stamp, said_text, line, raw, side=side, problem=problem))
    return out, buyer, other
