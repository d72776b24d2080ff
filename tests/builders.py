"""Small hand-built message tables for the definition tests."""
from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from qc_pipeline.ingest.model import MESSAGE_SCHEMA

SHOP = "星河服饰旗舰店"
A = f"{SHOP}:小雅"
B = f"{SHOP}:阿杰"


def message_frame(rows: list[tuple], shop: str = SHOP) -> pl.DataFrame:
    """rows: (buyer, role, "YYYY-MM-DD HH:MM:SS", agent, text). Line numbers follow list order."""
    records = []
    for line, (buyer, role, sent_at, agent, text) in enumerate(rows, start=2):
        key = f"{shop}|{buyer}|{role}|{sent_at}|{text}|{line}"
        records.append(
            {
                "msg_id": hashlib.md5(key.encode()).hexdigest(),
                "shop": shop,
                "buyer": buyer,
                "agent": agent,
                "role": role,
                "sent_at": dt.datetime.fromisoformat(sent_at),
                "text": text,
                "source_path": "hand-built",
                "source_line": line,
            }
        )
    return pl.DataFrame(records, schema=MESSAGE_SCHEMA)


def load_messages(con, frame: pl.DataFrame) -> None:
    con.register("_m", frame.to_arrow())
    con.execute("INSERT INTO messages BY NAME SELECT * FROM _m")
    con.unregister("_m")
