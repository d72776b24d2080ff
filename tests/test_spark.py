"""The Spark engine against the local engine: the same inputs give the same rows in every shared table.

One SparkSession (local[2]) for the module, small data: the shipped sample through `qc run --engine
spark`, and a generated multi-shop fortnight loaded in several runs (an overlapping export among them),
with a run that fails on purpose in between. Skipped, saying why, where pyspark or Java 17 is missing.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from qc_pipeline.spark.session import missing

REASON = missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

from qc_pipeline.cli import app  # noqa: E402
from qc_pipeline.config import load_config  # noqa: E402
from qc_pipeline.lake import Lake, connect  # noqa: E402
from qc_pipeline.lake.staging import STAGING  # noqa: E402
from qc_pipeline.pipeline import ingest_paths, rebuild  # noqa: E402
from qc_pipeline.sample.bulk import shop_names, write_workload  # noqa: E402
from qc_pipeline.store.warehouse import open_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_logs"
runner = CliRunner()
SHOPS = 4
# Every table both engines write. `meta` is left out: the warehouse keeps bookkeeping keys of its own.
SHARED = ("messages", "orders", "agents", "quarantine", "ingested_files", "sessions", "rounds", "flags",
          "inquiries", "order_attribution", "session_scores", "score_deductions", "agent_week",
          "agent_week_flags", "shop_week", "partitions", "promises", "payment_reminders", "handovers",
          "shift_week", "stale_auto_replies", "agent_month")
# Engine-specific columns: when a file was loaded and when a partition was built (wall-clock times).
WHEN = {"ingested_at", "built_at"}


@pytest.fixture(scope="module")
def spark():
    from qc_pipeline.spark.session import spark_session

    session = spark_session("local[2]", "chat-qc tests")
    yield session
    session.stop()


def qc(*args):
    return runner.invoke(app, [str(a) for a in args])


def tables(con, names=SHARED) -> dict[str, pl.DataFrame]:
    out = {}
    for name in names:
        frame = con.sql(f'SELECT * FROM "{name}"').pl()
        frame = frame.drop([c for c in frame.columns if c in WHEN])
        out[name] = frame.sort(frame.columns, nulls_last=True)
    return out


def assert_same(local: dict[str, pl.DataFrame], lake: dict[str, pl.DataFrame]) -> None:
    for name, want in local.items():
        got = lake[name]
        assert got.schema == want.schema, name
        assert got.height == want.height, (name, got.height, want.height)
        assert got.equals(want), name


def test_the_sample_through_the_cli_equals_the_local_engine(spark, tmp_path):
    args = [SAMPLE, "--orders", SAMPLE / "orders_report.csv", "--roster", SAMPLE / "roster.csv"]
    # the reports alone: the Spark engine's run writes no case library or topics (docs/spark.md)
    local = qc("run", *args, "--db", tmp_path / "qc.duckdb", "--out", tmp_path / "local", "--skip", "cases",
               "--skip", "topics")
    assert local.exit_code == 0, local.output
    lake = tmp_path / "lake"
    result = qc("run", *args, "--engine", "spark", "--lake", lake, "--spark-master", "local[2]",
                "--out", tmp_path / "spark")
    assert result.exit_code == 0, result.output
    con = open_warehouse(tmp_path / "qc.duckdb", read_only=True)
    assert_same(tables(con), tables(connect(Lake.at(lake))))
    con.close()
    # The reports the run wrote, and `qc report --lake`, read the lake as the local reports read the warehouse.
    for week in ("2026-W46", "2026-W47"):
        csv = "agent_week.csv"
        assert (tmp_path / "spark" / week / csv).read_bytes() == (tmp_path / "local" / week / csv).read_bytes()
    assert qc("report", "--week", "2026-W47", "--lake", lake, "--out", tmp_path / "again").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "again" / "2026-W47").iterdir()) == \
        sorted(p.name for p in (tmp_path / "local" / "2026-W47").iterdir())
    # (`qc lake attach` with `qc cases` and `qc topics` over it: tests/test_lake.py.)


def _fortnight(folder: Path) -> dict[str, list[Path]]:
    """Four shops over two weeks, as the runs of a fortnight receive them: week one; week two of the
    first two shops with a re-sent export overlapping week one; week two of the other shops."""
    w1 = write_workload(folder / "w1", 2400, seed=11, weeks=1, first_week=0, shops=SHOPS, agents=16, tag="w1")
    w2 = write_workload(folder / "w2", 2400, seed=11, weeks=1, first_week=1, shops=SHOPS, agents=16, tag="w2")
    first = shop_names(SHOPS)[:2]
    chats = pl.read_csv(w2["chats"], infer_schema=False)
    week1 = pl.read_csv(w1["chats"], infer_schema=False)
    early = chats.filter(pl.col("shop").is_in(first))
    late = chats.filter(~pl.col("shop").is_in(first))
    (folder / "run2").mkdir()
    (folder / "run3").mkdir()
    pl.concat([early, week1.head(700)]).write_csv(folder / "run2" / "chats_first_shops.csv")
    late.write_csv(folder / "run3" / "chats_other_shops.csv")
    shutil.copy(w2["orders"], folder / "run3" / "orders_w2.csv")
    return {"roster": [w1["roster"]], "run1": [w1["chats"], w1["orders"]],
            "run2": [folder / "run2" / "chats_first_shops.csv"],
            "run3": [folder / "run3" / "chats_other_shops.csv", folder / "run3" / "orders_w2.csv"]}


def _spark_run(spark, lake: Path, paths: list[Path], roster: Path | None = None, **kw):
    from qc_pipeline.spark.job import run_spark

    orders = [p for p in paths if p.name.startswith("orders")]
    chats = [p for p in paths if p not in orders]
    return run_spark(spark, chats, str(lake), load_config(), orders=orders, roster=roster, **kw)


def _files(lake: Path, shop: str) -> dict[str, float]:
    """Every data file of a shop in the lake, with its modification time."""
    return {str(p.relative_to(lake)): p.stat().st_mtime for p in lake.glob(f"*/shop={shop}/**/*.parquet")}


def test_a_fortnight_in_runs_equals_the_local_engine(spark, tmp_path):
    data = _fortnight(tmp_path / "data")
    lake = tmp_path / "lake"
    con = open_warehouse(tmp_path / "qc.duckdb")
    config = load_config()
    roster = data["roster"][0]
    ingest_paths(con, [], config, roster=roster)
    for run in ("run1", "run2", "run3"):
        orders = [p for p in data[run] if p.name.startswith("orders")]
        ingest_paths(con, [p for p in data[run] if p not in orders], config, orders=orders)
        rebuild(con, config)
    local = tables(con)
    con.close()

    first = _spark_run(spark, lake, data["run1"], roster=roster)
    assert first.shops == sorted(shop_names(SHOPS))
    others = {s: _files(lake, s) for s in shop_names(SHOPS)[2:]}
    second = _spark_run(spark, lake, data["run2"])
    # Only the shops with new messages were recomputed; the others' files were not touched.
    assert second.shops == sorted(shop_names(SHOPS)[:2])
    assert second.total("rows_duplicate") == 700
    assert {s: _files(lake, s) for s in others} == others

    before = tables(connect(Lake.at(lake)))
    with pytest.raises(Exception, match="on purpose"):
        _spark_run(spark, lake, data["run3"], fail_shop=shop_names(SHOPS)[3])
    # The failed job left the lake as it was, and no staging behind.
    assert_same(before, tables(connect(Lake.at(lake))))
    assert not any((lake / STAGING).iterdir())

    third = _spark_run(spark, lake, data["run3"])
    assert third.shops == sorted(shop_names(SHOPS))
    assert_same(local, tables(connect(Lake.at(lake))))

    # The same inputs again add nothing: no shop recomputed, every row a duplicate.
    after = tables(connect(Lake.at(lake)))
    again = _spark_run(spark, lake, data["run3"])
    assert again.shops == [] and again.total("rows_loaded") == 0
    now = tables(connect(Lake.at(lake)))
    for name in SHARED:
        if name != "ingested_files":  # records every load, as the warehouse does
            assert now[name].equals(after[name]), name
    assert now["ingested_files"].height == after["ingested_files"].height + 2


def test_exporter_id_clashes_and_forward_orders_equal_the_local_engine(spark, tmp_path):
    """Exporter ids are attributes (docs/formats.md) and orders only move forward, on both engines: a
    repeated id with another text in one file, the same id on another message in a later run, and a
    newer order export read before an older one."""
    shop, agent = "店A", "店A:小雅"
    header = "msg_id,shop,buyer,agent,role,sent_at,text"
    order_header = "order_id,buyer,shop,created_at,paid_at,amount,refund_amount,status"
    files = {
        "a.csv": f"{header}\nm1,{shop},b1,{agent},buyer,2026-11-09 09:00:00,在吗\n"
                 f"m2,{shop},b1,{agent},agent,2026-11-09 09:00:10,在的\n"
                 f"m2,{shop},b1,{agent},agent,2026-11-09 09:00:20,亲这是全网第一好的\n",
        "b.csv": f"{header}\nm1,{shop},b2,{agent},buyer,2026-11-10 10:00:00,发货了吗\nm1,{shop},b1,{agent},buyer,2026-11-09 09:00:00,在吗\n",
        "orders_new.csv": f"{order_header}\n9001,b1,{shop},2026-11-09 09:05:00,2026-11-09 09:06:00,259.00,50.00,交易成功\n"
                          f"9002,b2,{shop},2026-11-10 10:05:00,,0,0,等待买家付款\n",
        "orders_old.csv": f"{order_header}\n9001,b1,{shop},2026-11-09 09:05:00,,0,0,等待买家付款\n"
                          f"9002,b2,{shop},2026-11-10 10:05:00,2026-11-10 10:06:00,88.00,0,买家已付款，等待卖家发货\n",
    }
    folder = tmp_path / "data"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    runs = [[folder / "a.csv", folder / "orders_new.csv"], [folder / "b.csv", folder / "orders_old.csv"]]
    con = open_warehouse(tmp_path / "qc.duckdb")
    config = load_config()
    for paths in runs:
        orders = [p for p in paths if p.name.startswith("orders")]
        ingest_paths(con, [p for p in paths if p not in orders], config, orders=orders)
        rebuild(con, config)
    local = tables(con)
    con.close()
    lake = tmp_path / "lake"
    for paths in runs:
        _spark_run(spark, lake, paths)
    got = tables(connect(Lake.at(lake)))
    assert_same(local, got)
    assert got["messages"].height == 4
    assert sorted(got["ingested_files"]["id_clashes"].to_list()) == [0, 0, 1, 1]
    assert got["orders"].select("order_id", "status").rows() == [("9001", "交易成功"), ("9002", "买家已付款，等待卖家发货")]
