"""The Wangwang chat-log API response (taobao.wangwang.eservice.chatlog.get).

``count`` and ``msgs``, each ``{direction, time, content}``; direction 0 is from_id -> to_id, 1 the reverse.
Accounts are written ``cntaobao<nick>``. Also accepted: the full response nesting
``{"wangwang_eservice_chatlog_get_response": {"msgs": {"msg": [...]}}}``.
"""
from __future__ import annotations

import json

from qc_pipeline.ingest.jsonpos import LineIndex, Located
from qc_pipeline.ingest.speakers import Said

RESPONSE_KEY = "wangwang_eservice_chatlog_get_response"
PREFIX = "cntaobao"


def response(doc: object) -> dict | None:
    """The object holding ``msgs``, when ``doc`` is a chat-log response."""
    if not isinstance(doc, dict):
        return None
    inner = doc.get(RESPONSE_KEY)
    if isinstance(inner, dict) and "msgs" in inner:
        return inner
    if "msgs" in doc and ("count" in doc or "from_id" in doc or "to_id" in doc or isinstance(doc["msgs"], list)):
        return doc
    return None


def messages_of(resp: dict) -> list:
    msgs = resp.get("msgs")
    if isinstance(msgs, dict):
        msgs = msgs.get("msg", [])
    if isinstance(msgs, dict):
        msgs = [msgs]
    return msgs if isinstance(msgs, list) else []


def nick(account: object) -> str:
    text = str(account or "").strip()
    return text[len(PREFIX):] if text.lower().startswith(PREFIX) else text


def accounts(doc: dict, resp: dict) -> tuple[str, str] | None:
    from_id = resp.get("from_id") or doc.get("from_id")
    to_id = resp.get("to_id") or doc.get("to_id")
    if not from_id or not to_id:
        return None
    return nick(from_id), nick(to_id)


def events(msgs: list, parties: tuple[str, str], text: str) -> list[Said]:
    lines = LineIndex(text)
    out = []
    for index, msg in enumerate(msgs):
        line = lines.line(msg.offset) if isinstance(msg, Located) else index + 1
        raw = json.dumps(dict(msg) if isinstance(msg, dict) else msg, ensure_ascii=False)
        if not isinstance(msg, dict):
            out.append(Said(None, None, "", line, raw, problem="message is not a JSON object"))
            continue
        direction = str(msg.get("direction", "")).strip()
        content = msg.get("content")
        content = content if isinstance(content, str) else ("" if content is None else json.dumps(content, ensure_ascii=False))
        time = msg.get("time")
        time = None if time is None else str(time)
        if direction not in ("0", "1"):
            out.append(Said(None, time, content, line, raw, problem=f"unknown direction '{direction}'"))
            continue
        sender = parties[0] if direction == "0" else parties[1]
        out.append(Said(sender, time, content, line, raw))
    return out
