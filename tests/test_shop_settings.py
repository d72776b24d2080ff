"""Per-shop settings: a [shops."…"] table changes that shop's figures only, and a change of one shop's
settings rebuilds only that shop's partitions."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.store.warehouse import open_warehouse

SHOPS = ("甲店", "乙店")


def _chats(path: Path) -> Path:
    """Each shop: a buyer at 08:50 answered 25 s later, and one at 20:00 answered at 20:00:40."""
    rows = []
    for shop in SHOPS:
        for buyer, asked, answered in (("早鸟", "2026-11-16 08:50:00", "2026-11-16 08:50:25"),
                                       ("夜猫", "2026-11-16 20:00:00", "2026-11-16 20:00:40")):
            rows.append([shop, buyer, f"{shop}:小雅", "buyer", asked, "在吗"])
            rows.append([shop, buyer, f"{shop}:小雅", "agent", answered, "在的亲"])
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["shop", "buyer", "agent", "role", "sent_at", "text"])
        writer.writerows(rows)
    return path


def _config(path: Path, first_seconds: int) -> Path:
    path.write_text(
        f'[shops."甲店".targets]\nfirst_response_seconds = {first_seconds}\n'
        '[[shops."甲店".shifts]]\nstart = "09:00"\nend = "21:00"\n',
        encoding="utf-8",
    )
    return path


def _rounds(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute("SELECT shop, buyer, target_seconds, wait_seconds, met_target FROM rounds").fetchall()
    return {(s, b): (t, w, m) for s, b, t, w, m in rows}


def test_a_shop_table_overrides_targets_and_shifts_of_that_shop_only(tmp_path):
    config = load_config(_config(tmp_path / "shops.toml", 20))
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [_chats(tmp_path / "chats.csv")], config)
    rebuild(con, config)
    rounds = _rounds(con)
    # 甲店 opens at 09:00: the 08:50 question waits from 09:00, so 0 s against a 20 s target.
    assert rounds[("甲店", "早鸟")] == (20, 0.0, True)
    assert rounds[("甲店", "夜猫")] == (20, 40.0, False)
    # 乙店 keeps the shipped shifts (on duty from 08:30) and the 30 s target.
    assert rounds[("乙店", "早鸟")] == (30, 25.0, True)
    assert rounds[("乙店", "夜猫")] == (30, 40.0, False)


def test_changing_one_shops_settings_rebuilds_that_shop_only(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    first = load_config(_config(tmp_path / "a.toml", 20))
    ingest_paths(con, [_chats(tmp_path / "chats.csv")], first)
    rebuild(con, first)
    built = dict(((s, w), (v, b)) for s, w, v, b in con.execute(
        "SELECT shop, week, config_version, built_at FROM partitions").fetchall())
    other_rows = con.execute("SELECT * FROM rounds WHERE shop = '乙店' ORDER BY ALL").fetchall()

    second = load_config(_config(tmp_path / "b.toml", 45))
    result = rebuild(con, second)
    assert result.partitions == 1
    after = dict(((s, w), (v, b)) for s, w, v, b in con.execute(
        "SELECT shop, week, config_version, built_at FROM partitions").fetchall())
    assert after[("乙店", "2026-W47")] == built[("乙店", "2026-W47")]
    assert after[("甲店", "2026-W47")][0] != built[("甲店", "2026-W47")][0]
    assert _rounds(con)[("甲店", "夜猫")] == (45, 40.0, True)
    assert con.execute("SELECT * FROM rounds WHERE shop = '乙店' ORDER BY ALL").fetchall() == other_rows


def test_a_shop_table_is_validated_like_the_config(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[shops."甲店"]\nidle = 3\n', encoding="utf-8")
    with pytest.raises(UserError, match=r'shops\."甲店".*idle'):
        load_config(bad)
    bad.write_text('[[shops."甲店".shifts]]\nstart = "9点"\nend = "21:00"\n', encoding="utf-8")
    with pytest.raises(UserError, match=r'shops\."甲店".*shifts\[0\]\.start'):
        load_config(bad)


def test_exporter_ids_sharing_long_prefixes_give_distinct_sessions(tmp_path):
    """Session ids hash shop, buyer and the first message id whole: exporter ids that share their first
    16 characters (shopA-20261116-000001…) still give one session id per session."""
    path = tmp_path / "ids.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["msg_id", "shop", "buyer", "agent", "role", "sent_at", "text"])
        for i, buyer in enumerate(("买家一", "买家二", "买家三")):
            writer.writerow([f"shopA-20261116-00000{i}1", "甲店", buyer, "甲店:小雅", "buyer",
                             f"2026-11-16 10:0{i}:00", "在吗"])
            writer.writerow([f"shopA-20261116-00000{i}2", "甲店", buyer, "甲店:小雅", "agent",
                             f"2026-11-16 10:0{i}:20", "在的"])
    config = load_config()
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [path], config)
    rebuild(con, config)
    sessions = con.execute("SELECT session_id FROM sessions").fetchall()
    assert len(sessions) == len(set(sessions)) == 3
