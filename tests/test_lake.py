"""The Parquet lake without Spark: layout, staging and swap, DuckDB views, and the commands that read it.

A warehouse built by the local engine from the shipped sample is exported to a lake (`qc lake export`);
the views over the lake must give back every table row for row, with the warehouse's column types.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.lake import Lake, connect, export_warehouse
from qc_pipeline.lake.attach import view_sql
from qc_pipeline.lake.layout import NULL_PARTITION, lake_tables, partition_dir, partition_value
from qc_pipeline.lake.staging import STAGING, Staging, new_run_id, recover
from qc_pipeline.lake.writer import stage_shop_table, units
from qc_pipeline.store.warehouse import open_warehouse

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse of the sample and the lake exported from it; the lake path holds a quote and a space."""
    root = tmp_path_factory.mktemp("lake")
    result = qc("run", REPO / "sample_logs", "--orders", REPO / "sample_logs" / "orders_report.csv",
                "--roster", REPO / "sample_logs" / "roster.csv", "--db", root / "qc.duckdb", "--out", root / "r",
                "--skip", "cases", "--skip", "topics")  # the reports alone, as `qc report --lake` writes them
    assert result.exit_code == 0, result.output
    lake = root / "shop's lake"
    result = qc("lake", "export", lake, "--db", root / "qc.duckdb")
    assert result.exit_code == 0, result.output
    return root, lake


def test_views_give_back_every_warehouse_table_with_its_types(built):
    root, lake = built
    con = open_warehouse(root / "qc.duckdb", read_only=True)
    views = connect(Lake.at(lake))
    for name in lake_tables():
        want, got = con.sql(f'SELECT * FROM "{name}"').pl(), views.sql(f'SELECT * FROM "{name}"').pl()
        assert got.schema == want.schema, name
        assert _sorted(got).equals(_sorted(want)), name
    types = dict(views.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'rounds'").fetchall())
    assert types["shop"] == "VARCHAR" and types["week"] == "VARCHAR" and types["round_no"] == "INTEGER"
    con.close()


def test_layout_is_hive_partitioned_by_shop_and_week(built):
    _, lake = built
    weeks = sorted(p.name for p in (lake / "rounds" / "shop=星河服饰旗舰店").iterdir())
    assert weeks == ["week=2026-W46", "week=2026-W47"]
    assert list((lake / "messages" / "shop=星河服饰旗舰店").glob("*.parquet"))
    assert (lake / "ingested_files" / "part-0.parquet").exists()
    assert not (lake / STAGING).exists() or not any((lake / STAGING).iterdir())


def test_partition_names_are_escaped_as_hive_does():
    assert partition_value("a/b=c:d") == "a%2Fb%3Dc%3Ad"
    assert partition_value("星河服饰") == "星河服饰"
    assert partition_value(None) == NULL_PARTITION
    assert partition_dir("sessions", shop="x/y", week="2026-W47") == "sessions/shop=x%2Fy/week=2026-W47"


def test_the_lake_path_is_a_sql_literal_not_sql(tmp_path):
    lake = Lake.at(tmp_path / "x'); DROP TABLE t; --")
    lake.create()  # a table's files are read only once its schema file exists
    sql = view_sql(lake, "messages")
    assert "''); DROP TABLE t; --" in sql
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a INT)")
    assert connect(lake).execute("SELECT count(*) FROM messages").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_run_that_fails_before_its_swap_leaves_the_lake_as_it_was(built, tmp_path):
    _, lake_dir = built
    lake = Lake.at(lake_dir)
    before = connect(lake).sql("SELECT * FROM sessions").pl()
    staging = Staging(lake, new_run_id())
    shop = before["shop"][0]
    stage_shop_table(staging, "sessions", shop, lake_tables()["sessions"].schema.empty_table())
    # The job dies here: nothing was swapped. Readers never see the staging, the next writer drops it.
    assert _sorted(connect(lake).sql("SELECT * FROM sessions").pl()).equals(_sorted(before))
    recover(lake)
    assert not lake.exists(staging.base)
    assert _sorted(connect(lake).sql("SELECT * FROM sessions").pl()).equals(_sorted(before))


def test_a_swap_cut_short_is_finished_by_the_next_writer(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    lake.create()
    spec = lake_tables()["shop_week"]
    row = {c: [None] for c in spec.column_names} | {"shop": ["s"], "week": ["2026-W47"], "inquiries": [3]}
    rows = pa.table(row).cast(spec.schema)
    for n in (1, 2):
        staging = Staging(lake, new_run_id())
        written = [stage_shop_table(staging, "shop_week", "s", rows.set_column(2, "inquiries", pa.array([n])))]
        put, drop = units(written)
        if n == 1:
            staging.swap(put, drop)
        else:
            # Write the commit list and stop, as a driver killed during the moves would.
            staging._finish = lambda plan: None
            staging.swap(put, drop)
    assert connect(lake).execute("SELECT inquiries FROM shop_week").fetchall() == [(1,)]
    recover(lake)
    assert connect(lake).execute("SELECT inquiries FROM shop_week").fetchall() == [(2,)]
    assert not any((tmp_path / "lake" / STAGING).iterdir())


def test_report_cases_and_topics_read_the_lake(built, tmp_path):
    root, lake = built
    result = qc("report", "--week", "2026-W47", "--lake", lake, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    from_lake = sorted(p.name for p in (tmp_path / "r" / "2026-W47").iterdir())
    assert from_lake == sorted(p.name for p in (root / "r" / "2026-W47").iterdir())
    csv = "agent_week.csv"
    assert (tmp_path / "r" / "2026-W47" / csv).read_bytes() == (root / "r" / "2026-W47" / csv).read_bytes()
    db = tmp_path / "analyst.duckdb"
    result = qc("lake", "attach", lake, "--db", db)
    assert result.exit_code == 0, result.output
    result = qc("cases", "--week", "2026-W47", "--db", db, "--out", tmp_path / "cases")
    assert result.exit_code == 0, result.output
    result = qc("topics", "--week", "2026-W47", "--db", db, "--out", tmp_path / "topics")
    assert result.exit_code == 0, result.output
    # Attaching again refreshes the views and keeps the case library.
    assert qc("lake", "attach", lake, "--db", db).exit_code == 0
    assert duckdb.connect(str(db)).execute("SELECT count(*) FROM cases").fetchone()[0] > 0


@pytest.mark.parametrize("args, says", [
    (["lake", "attach", "{tmp}/nowhere", "--db", "{tmp}/a.duckdb"], "not a chat-qc lake"),
    (["report", "--week", "2026-W47", "--lake", "{tmp}/nowhere"], "not a chat-qc lake"),
    (["lake", "attach", "{lake}", "--db", "{root}/qc.duckdb"], "already holds a warehouse table"),
])
def test_lake_mistakes_print_one_line_and_exit_2(built, tmp_path, args, says):
    root, lake = built
    result = qc(*[a.format(tmp=tmp_path, lake=lake, root=root) for a in args])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
