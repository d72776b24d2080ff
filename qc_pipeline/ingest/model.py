"""What a reader hands to the warehouse: normalised frames, quarantined rows and counts.

Every reader (one per export layout) returns a :class:`ParsedFile`. The warehouse loads it in one
transaction and works out duplicates; ``rows_read`` must equal ``len(messages) + len(quarantine)``
for chat files (and likewise for orders) so that ``rows_read = rows_loaded + rows_duplicate +
rows_quarantined`` holds after loading.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from qc_pipeline.ingest.stream import ChatStream

MESSAGE_SCHEMA = {
    "msg_id": pl.Utf8,
    "shop": pl.Utf8,
    "buyer": pl.Utf8,
    "agent": pl.Utf8,
    "role": pl.Utf8,
    "sent_at": pl.Datetime("us"),
    "text": pl.Utf8,
    "source_path": pl.Utf8,
    "source_line": pl.Int64,
    # The exporter's own message id, kept as an attribute; identity (msg_id) is always content-based.
    "source_msg_id": pl.Utf8,
}

QUARANTINE_SCHEMA = {
    "source_path": pl.Utf8,
    "source_line": pl.Int64,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}

ORDER_SCHEMA = {
    "order_id": pl.Utf8,
    "shop": pl.Utf8,
    "buyer": pl.Utf8,
    "created_at": pl.Datetime("us"),
    "paid_at": pl.Datetime("us"),
    "amount": pl.Decimal(18, 2),
    "refund_amount": pl.Decimal(18, 2),
    "status": pl.Utf8,
    "source_path": pl.Utf8,
    "items": pl.Int64,  # 宝贝总数量; null when the export has no such column
    "remark": pl.Utf8,  # 订单备注, one remark per line (qc_pipeline/standard/remarks.py); null when empty
}

ROSTER_SCHEMA = {
    "agent": pl.Utf8,
    "name": pl.Utf8,
    "team": pl.Utf8,
    "role": pl.Utf8,
    "source_path": pl.Utf8,
}


@dataclass
class ParsedFile:
    path: str
    sha256: str
    kind: str  # "chat" | "orders" | "roster"
    format: str  # e.g. "canonical-csv", "qianniu-web-text", "taobao-order-report"
    encoding: str | None
    rows_read: int
    messages: pl.DataFrame | None = None  # MESSAGE_SCHEMA, for kind == "chat"
    orders: pl.DataFrame | None = None  # ORDER_SCHEMA, for kind == "orders"
    roster: pl.DataFrame | None = None  # ROSTER_SCHEMA, for kind == "roster"
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))
    noise_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    # A big chat table read piece by piece while it is loaded (messages is then None, and sha256,
    # rows_read and quarantine are known only once the warehouse has read it all).
    stream: "ChatStream | None" = None
    # Whether the file gives exporter message ids (source_msg_id); only then can ids clash.
    ids_given: bool = True
