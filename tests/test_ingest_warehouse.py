"""Parsed files load into the warehouse with rows_read = rows_loaded + rows_duplicate + rows_quarantined."""
from qc_pipeline.store.warehouse import load_parsed, open_warehouse
from tests.conftest_ingest import BUYER, CANONICAL_HEADER, SHOP, XIAOYA, parse, write


def test_loading_the_same_export_twice_adds_nothing(tmp_path):
    content = CANONICAL_HEADER + "\n" + "\n".join([
        f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗",
        f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗",
        f"{SHOP},{BUYER},{XIAOYA},boss,2026-11-16 09:12:04,?",
    ]) + "\n"
    con = open_warehouse(tmp_path / "qc.duckdb")
    first = load_parsed(con, parse(write(tmp_path, "a.csv", content)))
    assert (first.rows_read, first.rows_loaded, first.rows_duplicate, first.rows_quarantined) == (3, 2, 0, 1)
    again = load_parsed(con, parse(write(tmp_path, "copy.csv", content)))
    assert (again.rows_read, again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (3, 0, 2, 1)
    assert con.sql("SELECT count(*) FROM messages").fetchall() == [(2,)]


def test_an_overlapping_export_in_another_layout_adds_only_what_is_new(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    csv = CANONICAL_HEADER + "\n" + f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗\n"
    load_parsed(con, parse(write(tmp_path, "a.csv", csv)))
    web = f"2026-11-16\n09:12:03\n在吗\n{BUYER}\n\n09:12:40\n在的\n{XIAOYA}\n"
    counts = load_parsed(con, parse(write(tmp_path, "b.txt", web)))
    assert (counts.rows_read, counts.rows_loaded, counts.rows_duplicate) == (2, 1, 1)
