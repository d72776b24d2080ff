"""Reading and replacing (shop, week) partitions of the warehouse, and their bookkeeping.

Every query takes its keys from registered Arrow frames, never from text formatted into SQL.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from qc_pipeline.store.warehouse import scalar

WEEK_SQL = "strftime({col}, '%G-W%V')"
_ORDER_WEEK = "coalesce(strftime(created_at, '%G-W%V'), strftime(paid_at, '%G-W%V'))"


# Key frames are handed to DuckDB as local Arrow variables it finds by name (replacement scans), not as
# registered views: a view registered and dropped inside a transaction keeps its data until the
# transaction ends, and a rebuild is one transaction over many batches.


def discover_partitions(con: duckdb.DuckDBPyConnection) -> None:
    """Mark every (shop, week) that holds messages or orders but has no bookkeeping row as stale: a
    warehouse from before partitions, or one whose derived tables were recreated by a migration."""
    if scalar(con, "SELECT value FROM meta WHERE key = 'partitions'") == "1":
        return
    con.execute(
        f"""INSERT OR IGNORE INTO partitions (shop, week, stale)
            SELECT DISTINCT shop, {WEEK_SQL.format(col='sent_at')}, true FROM messages
            UNION SELECT DISTINCT shop, {_ORDER_WEEK}, true FROM orders
                  WHERE shop IS NOT NULL AND {_ORDER_WEEK} IS NOT NULL"""
    )
    con.execute("INSERT OR REPLACE INTO meta VALUES ('partitions', '1')")


def mark_stale(con: duckdb.DuckDBPyConnection, touched: set[tuple[str, str]]) -> None:
    """New input changed these partitions; ("*", "*") means every partition (a roster change)."""
    if not touched:
        return
    if ("*", "*") in touched:
        con.execute("UPDATE partitions SET stale = true")
        touched = {t for t in touched if t != ("*", "*")}
    if not touched:
        return
    frame = pl.DataFrame(sorted(touched), schema={"shop": pl.Utf8, "week": pl.Utf8}, orient="row")
    _touched = frame.to_arrow()  # noqa: F841
    con.execute(
        """INSERT INTO partitions (shop, week, stale) SELECT shop, week, true FROM _touched
           ON CONFLICT (shop, week) DO UPDATE SET stale = true"""
    )


def partitions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(
        "SELECT shop, week, stale, config_version, rule_version, scorecard_version FROM partitions ORDER BY shop, week"
    ).pl()


def record_built(con: duckdb.DuckDBPyConnection, built: pl.DataFrame) -> None:
    """`built` has (shop, week, config_version, rule_version, scorecard_version)."""
    if built.is_empty():
        return
    frame = built.with_columns(pl.lit(dt.datetime.now().replace(microsecond=0)).alias("built_at"))
    _built = frame.to_arrow()  # noqa: F841
    con.execute(
        """INSERT INTO partitions (shop, week, stale, config_version, rule_version, scorecard_version, built_at)
           SELECT shop, week, false, config_version, rule_version, scorecard_version, built_at FROM _built
           ON CONFLICT (shop, week) DO UPDATE SET stale = false, config_version = excluded.config_version,
               rule_version = excluded.rule_version, scorecard_version = excluded.scorecard_version,
               built_at = excluded.built_at"""
    )


def target_buyers(con: duckdb.DuckDBPyConnection, weeks: pl.DataFrame) -> pl.DataFrame:
    """(shop, buyer, week) for every buyer with messages, or orders created or paid, in the given
    (shop, week, lo, hi) weeks."""
    _weeks = weeks.to_arrow()  # noqa: F841
    return con.sql(
        """SELECT DISTINCT m.shop, m.buyer, w.week FROM messages m
               JOIN _weeks w ON m.shop = w.shop AND m.sent_at >= w.lo AND m.sent_at < w.hi
           UNION
           SELECT DISTINCT o.shop, o.buyer, w.week FROM orders o
               JOIN _weeks w ON o.shop = w.shop
               AND ((o.created_at >= w.lo AND o.created_at < w.hi) OR (o.paid_at >= w.lo AND o.paid_at < w.hi))
           WHERE o.buyer IS NOT NULL"""
    ).pl()


def messages_in_weeks(con: duckdb.DuckDBPyConnection, weeks: pl.DataFrame) -> dict[str, int]:
    """Messages per shop in the given (shop, week, lo, hi) weeks: what a rebuild batch of them reads and
    holds. (Counting a shop's whole history made each shop of a 13-week warehouse a batch of its own for
    one new week, and the run paid the per-batch reads and writes ten times over.)"""
    _weeks = weeks.to_arrow()  # noqa: F841
    return dict(con.execute(
        """SELECT w.shop, count(*) FROM messages m
               JOIN _weeks w ON m.shop = w.shop AND m.sent_at >= w.lo AND m.sent_at < w.hi
           GROUP BY w.shop""").fetchall())


def buyers_near(con: duckdb.DuckDBPyConnection, bands: pl.DataFrame, with_orders: bool) -> pl.DataFrame:
    """The (shop, buyer, week) of `bands` (shop, buyer, week, lo, hi) that have a message, or an order
    created or paid (with_orders), inside [lo, hi)."""
    _bands = bands.to_arrow()  # noqa: F841
    orders = (
        """UNION SELECT DISTINCT b.shop, b.buyer, b.week FROM _bands b JOIN orders o
               ON o.shop = b.shop AND o.buyer = b.buyer
               AND ((o.created_at >= b.lo AND o.created_at < b.hi) OR (o.paid_at >= b.lo AND o.paid_at < b.hi))"""
        if with_orders else ""
    )
    return con.sql(
        f"""SELECT DISTINCT b.shop, b.buyer, b.week FROM _bands b JOIN messages m
               ON m.shop = b.shop AND m.buyer = b.buyer AND m.sent_at >= b.lo AND m.sent_at < b.hi
            {orders}"""
    ).pl()


def read_inputs(con: duckdb.DuckDBPyConnection, requests: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The stage inputs for `requests` (shop, buyer, lo, hi): the buyers' messages in [lo, hi) without
    text, the texts of those messages, all of the buyers' orders (and every export's 订单备注 of them), and
    which of them chatted with the shop at all."""
    _requests = requests.select("shop", "buyer", "lo", "hi").to_arrow()  # noqa: F841
    messages = con.sql(
        """SELECT m.msg_id, m.shop, m.buyer, m.agent, m.role, m.sent_at, m.source_line FROM messages m
           JOIN _requests r ON m.shop = r.shop AND m.buyer = r.buyer AND m.sent_at >= r.lo AND m.sent_at < r.hi"""
    ).pl()
    texts = con.sql(
        """SELECT m.msg_id, m.role, m.text FROM messages m
           JOIN _requests r ON m.shop = r.shop AND m.buyer = r.buyer AND m.sent_at >= r.lo AND m.sent_at < r.hi
           WHERE m.role IN ('agent', 'auto', 'buyer')"""
    ).pl()
    orders = con.sql(
        """SELECT o.order_id, o.shop, o.buyer, o.created_at, o.paid_at, o.amount, o.refund_amount, o.status,
                  o.items, o.remark
           FROM orders o
           JOIN (SELECT DISTINCT shop, buyer FROM _requests) r ON o.shop = r.shop AND o.buyer = r.buyer"""
    ).pl()
    # Every export's 订单备注 of those orders (order_remarks compares them).
    remark_versions = con.sql(
        """SELECT DISTINCT v.order_id, v.remark FROM order_versions v
           JOIN orders o ON o.order_id = v.order_id
           JOIN (SELECT DISTINCT shop, buyer FROM _requests) r ON o.shop = r.shop AND o.buyer = r.buyer
           WHERE v.remark IS NOT NULL"""
    ).pl()
    chat_buyers = con.sql(
        """SELECT DISTINCT o.shop, o.buyer FROM orders o
           JOIN (SELECT DISTINCT shop, buyer FROM _requests) r ON o.shop = r.shop AND o.buyer = r.buyer
           WHERE EXISTS (SELECT 1 FROM messages m WHERE m.shop = o.shop AND m.buyer = o.buyer)"""
    ).pl()
    return {"messages": messages, "texts": texts, "orders": orders, "chat_buyers": chat_buyers,
            "remark_versions": remark_versions}


def read_messages(con: duckdb.DuckDBPyConnection, requests: pl.DataFrame) -> pl.DataFrame:
    """The messages of `requests` (shop, buyer, lo, hi) sent in [lo, hi), with their text."""
    if requests.is_empty():
        return con.sql("SELECT msg_id, shop, buyer, agent, role, sent_at, source_line, text FROM messages LIMIT 0").pl()
    _requests = requests.select("shop", "buyer", "lo", "hi").to_arrow()  # noqa: F841
    # The overall bounds let DuckDB skip the row groups outside them before the join.
    return con.sql(
        """SELECT m.msg_id, m.shop, m.buyer, m.agent, m.role, m.sent_at, m.source_line, m.text FROM messages m
           JOIN _requests r ON m.shop = r.shop AND m.buyer = r.buyer AND m.sent_at >= r.lo AND m.sent_at < r.hi
           WHERE m.sent_at >= ? AND m.sent_at < ?""",
        params=[requests["lo"].min(), requests["hi"].max()],
    ).pl()


def crossing_sessions(con: duckdb.DuckDBPyConnection, shops: list[str]) -> pl.DataFrame:
    """The sessions of these shops that end in a later ISO week than the one they started in."""
    _shops = pl.DataFrame({"shop": shops}, schema={"shop": pl.Utf8}).to_arrow()  # noqa: F841
    return con.sql(
        """SELECT s.* FROM sessions s SEMI JOIN _shops x ON s.shop = x.shop
           WHERE date_trunc('week', s.started_at) <> date_trunc('week', s.ended_at)"""
    ).pl()


def read_buyer_partitions(con: duckdb.DuckDBPyConnection, table: str, keys: pl.DataFrame) -> pl.DataFrame:
    """Every row of `table` in the (shop, week, buyer) keys."""
    _keys = keys.select("shop", "week", "buyer").to_arrow()  # noqa: F841
    return con.sql(
        f'SELECT t.* FROM "{table}" t SEMI JOIN _keys k ON t.shop = k.shop AND t.week = k.week AND t.buyer = k.buyer'
    ).pl()


def rows_of_sessions(con: duckdb.DuckDBPyConnection, table: str, sessions: pl.DataFrame, at: str) -> pl.DataFrame:
    """The rows of `table` (rounds, flags) that belong to `sessions`; every such row's `at` lies between
    its session's start and end, which bounds the scan."""
    if sessions.is_empty():
        return con.sql(f'SELECT * FROM "{table}" LIMIT 0').pl()
    _sessions = sessions.select("session_id").to_arrow()  # noqa: F841
    return con.sql(
        f'SELECT t.* FROM "{table}" t SEMI JOIN _sessions s ON t.session_id = s.session_id '
        f'WHERE t."{at}" >= ? AND t."{at}" <= ?',
        params=[sessions["started_at"].min(), sessions["ended_at"].max()],
    ).pl()


def inquiries_of(con: duckdb.DuckDBPyConnection, sessions: pl.DataFrame) -> pl.DataFrame:
    """The inquiries of the sessions' buyers on the days the sessions span."""
    if sessions.is_empty():
        return con.sql("SELECT * FROM inquiries LIMIT 0").pl()
    spans = sessions.group_by("shop", "buyer").agg(
        pl.col("started_at").min().dt.date().alias("first_day"), pl.col("ended_at").max().dt.date().alias("last_day"))
    _spans = spans.to_arrow()  # noqa: F841
    return con.sql(
        """SELECT i.* FROM inquiries i JOIN _spans s ON i.shop = s.shop AND i.buyer = s.buyer
           AND i.day >= s.first_day AND i.day <= s.last_day WHERE i.day >= ? AND i.day <= ?""",
        params=[spans["first_day"].min(), spans["last_day"].max()],
    ).pl()


def shop_latest(con: duckdb.DuckDBPyConnection, shops: list[str]) -> pl.DataFrame:
    """(shop, latest_at): each shop's latest loaded message."""
    _shops = pl.DataFrame({"shop": shops}, schema={"shop": pl.Utf8}).to_arrow()  # noqa: F841
    return con.sql(
        """SELECT m.shop, max(m.sent_at) AS latest_at FROM messages m SEMI JOIN _shops s ON m.shop = s.shop
           GROUP BY m.shop"""
    ).pl()


def settle_open_promises(con: duckdb.DuckDBPyConnection, shops: list[str]) -> None:
    """Unanswered promises of these shops: `open` while their due time lies after the shop's latest
    loaded message, `broken` once it does not (the rule promises_table applies, over every stored week)."""
    _latest = shop_latest(con, shops).to_arrow()  # noqa: F841
    con.execute(
        """UPDATE promises p SET status = CASE WHEN p.due > l.latest_at THEN 'open' ELSE 'broken' END
           FROM _latest l
           WHERE p.shop = l.shop AND p.kept_at IS NULL AND p.status <> (CASE WHEN p.due > l.latest_at
                 THEN 'open' ELSE 'broken' END)"""
    )


def order_span(con: duckdb.DuckDBPyConnection, shops: list[str]) -> pl.DataFrame:
    _shops = pl.DataFrame({"shop": shops}, schema={"shop": pl.Utf8}).to_arrow()  # noqa: F841
    return con.sql(
        """SELECT o.shop, CAST(min(o.created_at) AS DATE) AS first_day, CAST(max(o.created_at) AS DATE) AS last_day
           FROM orders o JOIN _shops s ON o.shop = s.shop WHERE o.created_at IS NOT NULL GROUP BY o.shop"""
    ).pl()


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, full: pl.DataFrame, partial: pl.DataFrame | None
) -> None:
    """Delete the table's rows of the `full` (shop, week) partitions and of the `partial` (shop, week,
    buyer) keys, then insert `rows`, which must lie inside them. Partitions never built before hold no
    rows, so `full` need only list those that were."""
    if not full.is_empty():
        _full = full.select("shop", "week").to_arrow()  # noqa: F841
        con.execute(f'DELETE FROM "{table}" t USING _full f WHERE t.shop = f.shop AND t.week = f.week')
    if partial is not None and not partial.is_empty():
        _partial = partial.select("shop", "week", "buyer").to_arrow()  # noqa: F841
        con.execute(
            f'DELETE FROM "{table}" t USING _partial p WHERE t.shop = p.shop AND t.week = p.week AND t.buyer = p.buyer'
        )
    if not rows.is_empty():
        _rows = rows.to_arrow()  # noqa: F841
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _rows')


def replace_months(con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, months: pl.DataFrame) -> None:
    """Delete the table's rows of the (shop, month) keys `months`, then insert `rows` (inside them)."""
    if not months.is_empty():
        _months = months.select("shop", "month").to_arrow()  # noqa: F841
        con.execute(f'DELETE FROM "{table}" t USING _months m WHERE t.shop = m.shop AND t.month = m.month')
    if not rows.is_empty():
        _rows = rows.to_arrow()  # noqa: F841
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _rows')


def read_partitions(con: duckdb.DuckDBPyConnection, table: str, keys: pl.DataFrame, where: str = "") -> pl.DataFrame:
    """Every row of `table` in the (shop, week) partitions `keys`."""
    _keys = keys.select("shop", "week").to_arrow()  # noqa: F841
    return con.sql(
        f'SELECT t.* FROM "{table}" t JOIN _keys k ON t.shop = k.shop AND t.week = k.week {where}'
    ).pl()
