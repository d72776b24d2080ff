"""JSON exports: the Wangwang API response, page JSON, JSON records, and the sample's ground truth."""
from __future__ import annotations

import json

from qc_pipeline.config import Config
from qc_pipeline.ingest import chat, page_json, wangwang_api
from qc_pipeline.ingest.columns import Layout, classify
from qc_pipeline.ingest.jsondepth import too_deep
from qc_pipeline.ingest.jsonpos import LineIndex, loads_located
from qc_pipeline.ingest.layouts import layout_or_fail, read_tables
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.records import jsonl_items, records_table
from qc_pipeline.ingest.results import ignored_file
from qc_pipeline.ingest.source import Source

TRUTH_KEY = "chat_qc_truth"


def json_file(source: Source, config: Config) -> ParsedFile:
    text = source.text()
    limit = config.json_max_depth
    deep = too_deep(text, limit)
    if deep:
        # JSON lines holding a few too-deep lines lose just those lines; a document that deep fails.
        deep_lines = set(too_deep(text, limit, per_line=True))
        if _looks_like_jsonl(text, skip=deep_lines):
            return _records(source, jsonl_items(text, deep_lines, limit), "jsonl", config)
        raise source.fail(
            f"JSON nested deeper than {limit} levels of arrays and objects (line {deep[0]}; "
            "the limit is [ingest] json_max_depth)"
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if _looks_like_jsonl(text):
            return _records(source, jsonl_items(text), "jsonl", config)
        raise source.fail(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if isinstance(doc, dict) and TRUTH_KEY in doc:
        return ignored_file(source, "chat-qc-truth")
    if isinstance(doc, dict) and isinstance(doc.get("error_response"), dict):
        why = doc["error_response"].get("sub_msg") or doc["error_response"].get("msg") or "no message"
        raise source.fail(f"a Taobao API error response, not chat data ({why})")
    if wangwang_api.response(doc) is not None:
        return chat.wangwang_file(source, loads_located(text), config)
    if page_json.find_items(doc) is not None:
        return chat.page_json_file(source, loads_located(text), config)
    if isinstance(doc, dict) and isinstance(classify(list(doc)), Layout):
        return _records(source, jsonl_items(text), "jsonl", config)  # JSON lines holding one line
    if isinstance(doc, list) and doc and all(isinstance(v, dict) for v in doc):
        lines = LineIndex(text)
        items = [(lines.line(v.offset), v, json.dumps(v, ensure_ascii=False)) for v in loads_located(text)]
        return _records(source, items, "json", config)
    raise source.fail("JSON, but not a known export layout (no msgs, chatTime entries or table records)")


def _looks_like_jsonl(text: str, skip: set[int] = frozenset()) -> bool:
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()][:20]
    for line in [line for n, line in numbered if n not in skip]:
        try:
            if isinstance(json.loads(line), dict):
                return True
        except json.JSONDecodeError:
            continue
    return False


def _records(source: Source, items: list, container: str, config: Config) -> ParsedFile:
    table = records_table(items)
    return read_tables(source, [(table, layout_or_fail(source, table.columns))], container, config, [])
