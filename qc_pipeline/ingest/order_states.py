"""Which export of an order is the furthest forward: the one rule both engines apply.

An order's state (created → paid → shipped → success / closed / refunded) only moves forward, whatever
order its export files are read in; every export's version is kept in ``order_versions`` and ``orders``
holds the greatest version by ``order_key()``:

1. the state's rank (order_states.toml; a row with a payment time is at least paid);
2. the refund amount (refunds only grow, so a later export of a final order refunds at least as much);
3. the row's latest timestamp (greatest of created_at and paid_at);
4. the file name (source_path);
5. then the remaining fields (amount, paid_at, created_at, status, buyer, shop, items, remark), so that the
   order is total: two versions equal on every key are the same row.

Within one file, an order's furthest-forward row is the file's version (the last of equal rows). The
SQL is written for both DuckDB and Spark SQL; the statuses are the project's own data, never input.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("order_states.toml")
# A time before any order, standing in for NULL so that every key compares the same way everywhere.
_NO_TIME = "TIMESTAMP '1900-01-01 00:00:00'"


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, int], dict[str, str]]:
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    ranks = {str(k): int(v) for k, v in data["ranks"].items()}
    statuses = {str(k): str(v) for k, v in data["statuses"].items()}
    unknown = sorted(set(statuses.values()) - set(ranks))
    if unknown:
        raise ValueError(f"{_DATA}: statuses map to states without a rank: {', '.join(unknown)}")
    return ranks, statuses


def ranks() -> dict[str, int]:
    return dict(_data()[0])


def statuses() -> dict[str, str]:
    return dict(_data()[1])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def state_sql(status: str = "status", paid_at: str = "paid_at") -> str:
    """The state of an order row as SQL (DuckDB and Spark SQL) over its status and paid_at columns."""
    whens = " ".join(f"WHEN {_literal(s)} THEN {_literal(state)}" for s, state in _data()[1].items())
    mapped = f"(CASE trim({status}) {whens} END)"
    return (
        f"(CASE WHEN {mapped} IS NOT NULL AND NOT ({mapped} = 'created' AND {paid_at} IS NOT NULL) THEN {mapped} "
        f"WHEN {paid_at} IS NOT NULL THEN 'paid' ELSE 'created' END)"
    )


def rank_sql(state: str = "state") -> str:
    """The rank of a state column as SQL."""
    whens = " ".join(f"WHEN {_literal(s)} THEN {r}" for s, r in _data()[0].items())
    return f"(CASE {state} {whens} ELSE 0 END)"


def order_key(prefix: str = "") -> list[str]:
    """The comparison keys as SQL expressions over a row with columns state_rank and the orders columns
    (``prefix`` such as ``"v."``), greatest = furthest forward; none of them is ever NULL."""
    p = prefix
    return [
        f"{p}state_rank",
        f"{p}refund_amount",
        f"coalesce(greatest({p}created_at, {p}paid_at), {_NO_TIME})",
        f"{p}source_path",
        f"{p}amount",
        f"coalesce({p}paid_at, {_NO_TIME})",
        f"coalesce({p}created_at, {_NO_TIME})",
        f"coalesce({p}status, '')",
        f"coalesce({p}buyer, '')",
        f"coalesce({p}shop, '')",
        f"coalesce({p}items, -1)",
        f"coalesce({p}remark, '')",
    ]


def key_desc(prefix: str = "") -> str:
    """ORDER BY clause text putting the furthest-forward version first."""
    return ", ".join(f"{k} DESC" for k in order_key(prefix))
