"""From recognised tables to the reader of their layout."""
from __future__ import annotations

from qc_pipeline.config import Config
from qc_pipeline.ingest import chat, orders, roster
from qc_pipeline.ingest.columns import Layout, classify
from qc_pipeline.ingest.damage import mark_damaged
from qc_pipeline.ingest.model import ParsedFile
from qc_pipeline.ingest.results import ignored_file
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table

ITEM_REPORT_WARNING = "a Taobao item report (宝贝报表) names no buyer; it is not loaded (load the order report instead)"


def layout_or_fail(source: Source, names: list[str]) -> Layout:
    layout = classify(names)
    if isinstance(layout, str):
        raise source.fail(f"looks like {layout}")
    if layout is None:
        raise source.fail(f"not a known export layout (header: {', '.join(names)[:120]})")
    return layout


def format_name(layout: Layout, container: str) -> str:
    return {
        "chat": f"canonical-{container}",
        "page-table": f"page-table-{container}",
        "order-report": "taobao-order-report",
        "orders": f"canonical-orders-{container}",
        "roster": f"roster-{container}",
        "item-report": "taobao-item-report",
    }[layout.name]


def read_tables(
    source: Source, tables: list[tuple[Table, Layout]], container: str, config: Config, warnings: list[str]
) -> ParsedFile:
    """The ParsedFile for tables that share one kind (the first table's)."""
    first = tables[0][1]
    fmt = format_name(first, container)
    if first.kind == "ignored":
        return ignored_file(source, fmt, ITEM_REPORT_WARNING)
    if first.kind == "chat":
        return chat.tables_file(source, fmt, tables, config, warnings)
    if source.damage:  # chat records are marked with the rest of their stage (results.chat_file)
        tables = [(marked(source, table), layout) for table, layout in tables]
    if first.kind == "orders":
        return orders.orders_file(source, fmt, tables, config, warnings)
    return roster.roster_file(source, fmt, tables, config, warnings)


def marked(source: Source, table: Table) -> Table:
    frame, _ = mark_damaged(table.frame, source, line=LINE, problem=PROBLEM, raw=RAW, raw_of=table.raw_of)
    return Table(table.columns, frame, table.sheet, table.raw_of)
