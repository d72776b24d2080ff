"""JSON exports: the Wangwang API response, page JSON, JSON records, and the sample's ground truth."""
from __future__ import annotations

import json
import re

import polars as pl

from qc_pipeline.config import Config
from qc_pipeline.ingest import chat, jsonl_stream, page_json, stream, wangwang_api
from qc_pipeline.ingest.columns import Layout, classify
from qc_pipeline.ingest.jsondepth import too_deep
from qc_pipeline.ingest.jsonpos import loads_located
from qc_pipeline.ingest.layouts import layout_or_fail, read_tables
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.records import jsonl_items, records_table
from qc_pipeline.ingest.results import ignored_file
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table

TRUTH_KEY = "chat_qc_truth"


def json_file(source: Source, config: Config) -> ParsedFile:
    if stream.streamed(source):
        streamed = jsonl_stream.streamed_file(source, config)
        if streamed is not None:
            return streamed
    limit = config.ingest_limits.json_max_document_bytes
    if source.size > limit:
        # Read whole, a JSON document takes several times its size in memory.
        raise source.fail(
            f"refused: {source.size / (1 << 20):,.0f} MiB of JSON, over the limit of {limit / (1 << 20):,.0f} MiB "
            "for a JSON file read whole (ingest.json_max_document_mb); a chat table as JSON lines or CSV of any "
            "size is read in pieces"
        )
    text = source.text()
    depth = config.json_max_depth
    deep = too_deep(text, depth)
    if deep:
        # JSON lines holding a few too-deep lines lose just those lines; a document that deep fails.
        deep_lines = set(too_deep(text, depth, per_line=True))
        if _looks_like_jsonl(text, skip=deep_lines):
            return _records(source, jsonl_items(text, deep_lines, depth), "jsonl", config)
        raise source.fail(
            f"JSON nested deeper than {depth} levels of arrays and objects (line {deep[0]}; "
            "the limit is [ingest] json_max_depth)"
        )
    if text.lstrip()[:1] == "[":
        records = _record_array(text)
        if records is not None:
            return read_tables(source, [(records, layout_or_fail(source, records.columns))], "json", config, [])
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
    raise source.fail("JSON, but not a known export layout (no msgs, chatTime entries or table records)")


# Objects of a JSON array turned into a frame at a time, so that they are never all held as Python dicts.
_RECORD_BATCH = 20_000
_SPACE = re.compile(r"[ \t\n\r]*")


def _record_array(text: str) -> Table | None:
    """A JSON array of objects as a table, read one object at a time (the C scanner, each object's line
    counted as it goes), or None when the text is anything else (the whole-document path then decides,
    and names the error of invalid JSON)."""
    decoder = json.JSONDecoder()
    pos = _SPACE.match(text, 0).end() + 1  # past the "["
    line, counted = 1, 0
    tables: list[Table] = []
    batch: list[tuple[int, object, str]] = []
    while True:
        pos = _SPACE.match(text, pos).end()
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None  # an empty array, or not JSON
        if not isinstance(value, dict) or page_json.find_items([value]) is not None:
            return None
        line += text.count("\n", counted, pos)
        counted = pos
        batch.append((line, value, json.dumps(value, ensure_ascii=False)))
        if len(batch) >= _RECORD_BATCH:
            tables.append(records_table(batch))
            batch = []
        pos = _SPACE.match(text, end).end()
        if text.startswith(",", pos):
            pos += 1
        elif text.startswith("]", pos) and not text[pos + 1 :].strip():
            break
        else:
            return None
    if batch:
        tables.append(records_table(batch))
    if len(tables) == 1:
        return tables[0]
    frame = pl.concat([t.frame for t in tables], how="diagonal")
    names = [c for c in frame.columns if c not in (LINE, PROBLEM, RAW)]
    return Table(names, frame.select(names + [LINE, PROBLEM, RAW]))


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
