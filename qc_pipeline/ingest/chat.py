"""Chat layouts into stage frames (see normalize.py), and from there into a ParsedFile."""
from __future__ import annotations

import polars as pl

from qc_pipeline.ingest import page_json, qianniu_desktop, qianniu_web, wangwang_api
from qc_pipeline.ingest.columns import Layout, clean
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.results import chat_file
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.speakers import Said, Speakers, first_agent, stage_frame
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table

AGENT_ACCOUNT_TYPES = ("客服", "agent")
BUYER_ACCOUNT_TYPES = ("客户", "买家", "buyer")


def canonical_stage(table: Table, columns: dict[str, str]) -> pl.DataFrame:
    def pick(field: str) -> pl.Expr:
        return (pl.col(columns[field]) if field in columns else pl.lit(None, pl.Utf8)).alias(field)

    return table.frame.select(
        [pick(f) for f in ("shop", "buyer", "agent", "role", "sent_at", "text", "msg_id")]
        + [pl.col(LINE).alias("source_line"), pl.col(PROBLEM).alias("problem"), pl.col(RAW).alias("raw")]
    )


def page_table_stage(tables: list[tuple[Table, Layout]], speakers: Speakers) -> pl.DataFrame:
    """The page exporter's table: 客户名 names the buyer, 账号类型 says which side sent each line."""
    conversations: dict[str, list[Said]] = {}
    order: dict[int, int] = {}
    for table, layout in tables:
        c = layout.columns
        for row in table.frame.iter_rows(named=True):
            customer = clean(row[c["customer"]])
            sender = clean(row[c["sender"]])
            kind = clean(row[c["account_type"]])
            side = "agent" if kind.lower() in AGENT_ACCOUNT_TYPES else "buyer" if kind.lower() in BUYER_ACCOUNT_TYPES else None
            problem = row[PROBLEM] or (None if side else f"unknown account type '{kind}'")
            if side == "buyer" and not sender:
                sender = customer
            event = Said(
                sender, row[c["sent_at"]], row[c["text"]] or "", row[LINE], row[RAW], side=side,
                buyer=customer or (sender if side == "buyer" else None), problem=problem,
            )
            order[id(event)] = len(order)
            conversations.setdefault(customer, []).append(event)
    everyone = [e for events in conversations.values() for e in events]
    fallback = first_agent(everyone)
    rows = []
    for customer, events in conversations.items():
        produced = speakers.rows(events, buyer=customer or None, fallback_agent=fallback)
        rows += [(order[id(e)], r) for e, r in zip(events, produced)]
    return stage_frame([r for _, r in sorted(rows, key=lambda pair: pair[0])])


def tables_file(source: Source, fmt: str, tables: list[tuple[Table, Layout]], config, warnings: list[str]) -> ParsedFile:
    speakers = Speakers(config.auto_reply_patterns)
    stages = [canonical_stage(t, layout.columns) for t, layout in tables if layout.name == "chat"]
    pages = [(t, layout) for t, layout in tables if layout.name == "page-table"]
    if pages:
        stages.append(page_table_stage(pages, speakers))
    stage = pl.concat(stages, how="diagonal_relaxed") if len(stages) > 1 else stages[0]
    raw_of = tables[0][0].raw_of if len(tables) == 1 else None
    return chat_file(
        source, fmt, stage, config.timezone.key, window=config.time_window, warnings=warnings, raw_of=raw_of
    )


def desktop_file(source: Source, config) -> ParsedFile:
    parsed = qianniu_desktop.parse(source.text())
    rows = Speakers(config.auto_reply_patterns).rows(parsed.events)
    fmt = "qianniu-desktop-bracketed" if parsed.bracketed else "qianniu-desktop-text"
    return chat_file(
        source, fmt, stage_frame(rows), config.timezone.key, window=config.time_window, noise=parsed.noise,
        warnings=parsed.warnings,
    )


def web_file(source: Source, config) -> ParsedFile:
    parsed = qianniu_web.parse(source.text())
    rows = Speakers(config.auto_reply_patterns).rows(parsed.events)
    return chat_file(
        source, "qianniu-web-text", stage_frame(rows), config.timezone.key, window=config.time_window,
        noise=parsed.noise, warnings=parsed.warnings,
    )


def page_json_file(source: Source, doc: object, config) -> ParsedFile:
    events, buyer, other = page_json.events(doc, source.text())
    rows = Speakers(config.auto_reply_patterns).rows(events, buyer=buyer)
    warnings = [f"{other} JSON entr(ies) that are neither messages nor dates were skipped"] if other else []
    return chat_file(
        source, "page-json", stage_frame(rows), config.timezone.key, window=config.time_window, warnings=warnings
    )


def wangwang_file(source: Source, doc: object, config) -> ParsedFile:
    resp = wangwang_api.response(doc)
    parties = wangwang_api.accounts(doc, resp)
    if parties is None:
        raise source.fail("Wangwang chat-log JSON without from_id and to_id: cannot tell who sent each message")
    msgs = wangwang_api.messages_of(resp)
    events = wangwang_api.events(msgs, parties, source.text())
    # The query names both ends of the conversation, so each side is known even if it never speaks.
    plain = [p for p in parties if ":" not in p]
    accounts = [p for p in parties if ":" in p]
    rows = Speakers(config.auto_reply_patterns).rows(
        events, buyer=plain[0] if len(plain) == 1 else None, fallback_agent=accounts[0] if len(accounts) == 1 else None
    )
    warnings = []
    count = resp.get("count")
    if count is not None and str(count).strip().isdigit() and int(count) != len(msgs):
        warnings.append(f"count says {count} messages but the file holds {len(msgs)}")
    return chat_file(
        source, "wangwang-api-json", stage_frame(rows), config.timezone.key, window=config.time_window,
        warnings=warnings,
    )

