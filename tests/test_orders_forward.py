"""An order's state only moves forward whatever order its exports are read in (docs/formats.md, "Orders").

Every export's version is kept in `order_versions`; `orders` holds the furthest-forward one by the rule of
qc_pipeline/ingest/order_states.py. A newer export (paid, ¥50 refunded) read before an older one (unpaid)
leaves the order paid with its refund, and any order of the files gives the same `orders` table.
"""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc_pipeline.ingest import read_file
from qc_pipeline.ingest.order_states import ranks, statuses
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import BUYER, CONFIG, SHOP, write

HEADER = "order_id,buyer,shop,created_at,paid_at,amount,refund_amount,status"
CREATED = "2026-11-10 10:00:00"
PAID = "2026-11-10 10:05:00"
OLDER = HEADER + f"\n9001,{BUYER},{SHOP},{CREATED},,0,0,等待买家付款\n"
NEWER = HEADER + f"\n9001,{BUYER},{SHOP},{CREATED},{PAID},259.00,50.00,交易成功\n"
ORDERS = "SELECT * FROM orders ORDER BY order_id"


def load(con, tmp_path, name: str, content: str):
    return load_parsed(con, read_file(write(tmp_path, name, content), CONFIG))


def test_newer_then_older_keeps_the_order_paid(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    first = load(con, tmp_path, "orders_new.csv", NEWER)
    second = load(con, tmp_path, "orders_old.csv", OLDER)
    assert (first.rows_loaded, second.rows_loaded, second.rows_duplicate) == (1, 0, 1)
    # Nothing changed for the week's tables: the older export moves no partition.
    assert second.touched == set()
    row = con.execute("SELECT paid_at, amount, refund_amount, status FROM orders WHERE order_id = '9001'").fetchone()
    assert row == (dt.datetime(2026, 11, 10, 10, 5), Decimal("259.00"), Decimal("50.00"), "交易成功")
    versions = con.execute(
        "SELECT split_part(source_path, '/', -1), state, state_rank FROM order_versions ORDER BY state_rank").fetchall()
    assert versions == [("orders_old.csv", "created", 0), ("orders_new.csv", "success", 3)]


def test_older_then_newer_gives_the_same_orders_row(tmp_path):
    a = open_warehouse(tmp_path / "a.duckdb")
    load(a, tmp_path, "orders_new.csv", NEWER)
    load(a, tmp_path, "orders_old.csv", OLDER)
    b = open_warehouse(tmp_path / "b.duckdb")
    old = load(b, tmp_path, "orders_old.csv", OLDER)
    new = load(b, tmp_path, "orders_new.csv", NEWER)
    assert (old.rows_loaded, new.rows_loaded) == (1, 1)
    assert a.execute(ORDERS).fetchall() == b.execute(ORDERS).fetchall()
    assert b.execute("SELECT status, refund_amount FROM orders").fetchone() == ("交易成功", Decimal("50.00"))


def test_loading_an_export_again_keeps_one_version(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    load(con, tmp_path, "orders_new.csv", NEWER)
    again = load(con, tmp_path, "orders_new.csv", NEWER)
    assert (again.rows_loaded, again.rows_duplicate) == (0, 1)
    assert con.execute("SELECT count(*) FROM order_versions").fetchone()[0] == 1


def test_within_one_file_the_furthest_forward_row_is_its_version(tmp_path):
    content = NEWER + OLDER.split("\n", 1)[1]  # the paid row first, then the unpaid one
    con = open_warehouse(tmp_path / "qc.duckdb")
    load(con, tmp_path, "mixed.csv", content)
    assert con.execute("SELECT status FROM orders").fetchone() == ("交易成功",)


def test_an_unknown_status_is_read_from_the_payment_time(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    load(con, tmp_path, "paid.csv", HEADER + f"\n9001,{BUYER},{SHOP},{CREATED},{PAID},259.00,0,某种新状态\n")
    load(con, tmp_path, "old.csv", OLDER)
    assert con.execute("SELECT status FROM orders").fetchone() == ("某种新状态",)
    assert con.execute("SELECT state FROM order_versions WHERE status = '某种新状态'").fetchone() == ("paid",)


def test_every_status_maps_to_a_ranked_state():
    rank = ranks()
    assert set(statuses().values()) <= set(rank)
    assert rank["created"] < rank["paid"] < rank["shipped"] < rank["success"] == rank["closed"] == rank["refunded"]


# Versions of three orders, as successive exports would show them (a refund only grows).
_LIFE = {
    "7001": [(None, "0", "0", "等待买家付款"), (PAID, "99.00", "0", "买家已付款，等待卖家发货"),
             (PAID, "99.00", "0", "卖家已发货，等待买家确认"), (PAID, "99.00", "0", "交易成功"),
             (PAID, "99.00", "30.00", "交易成功")],
    "7002": [(None, "0", "0", "等待买家付款"), (None, "0", "0", "交易关闭")],
    "7003": [(PAID, "45.50", "0", "买家已付款，等待卖家发货"), (PAID, "45.50", "45.50", "交易关闭")],
}


def _exports() -> list[tuple[str, str]]:
    """Five export files; export k shows each order at its k-th stage (its last once it has no more)."""
    files = []
    for k in range(5):
        lines = [HEADER]
        for oid, life in _LIFE.items():
            paid, amount, refund, status = life[min(k, len(life) - 1)]
            lines.append(f"{oid},{BUYER},{SHOP},{CREATED},{paid or ''},{amount},{refund},{status}")
        files.append((f"orders_{k}.csv", "\n".join(lines) + "\n"))
    return files


def _orders_after(tmp_path, files, db: str):
    con = open_warehouse(tmp_path / db)
    for name, content in files:
        load(con, tmp_path, name, content)
    rows = con.execute("SELECT * EXCLUDE (source_path), split_part(source_path, '/', -1) FROM orders ORDER BY order_id").fetchall()
    con.close()
    return rows


def test_the_final_state_is_the_last_stage_of_each_order(tmp_path):
    rows = _orders_after(tmp_path, list(reversed(_exports())), "r.duckdb")
    assert [(r[0], r[7], r[6]) for r in rows] == [
        ("7001", "交易成功", Decimal("30.00")), ("7002", "交易关闭", Decimal("0.00")), ("7003", "交易关闭", Decimal("45.50"))]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(5)), repeat=st.lists(st.integers(0, 4), max_size=2))
def test_any_order_of_the_files_gives_the_same_orders_table(tmp_path_factory, order, repeat):
    tmp_path = tmp_path_factory.mktemp("perm")
    files = _exports()
    expected = _orders_after(tmp_path, files, "in_order.duckdb")
    shuffled = [files[i] for i in order] + [files[i] for i in repeat]
    assert _orders_after(tmp_path, shuffled, "shuffled.duckdb") == expected


def test_every_permutation_of_three_files_agrees(tmp_path):
    files = _exports()[1:4]
    results = {tuple(_orders_after(tmp_path, list(p), f"p{i}.duckdb"))
               for i, p in enumerate(itertools.permutations(files))}
    assert len(results) == 1
