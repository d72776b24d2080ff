"""Order remarks (备注格式：内容—客服名—时间；不允许修改他人备注; docs/metrics.md "Order remarks"): every way a
remark line is read, the roster check, and overwritten remarks noticed across re-exports whatever order
the exports are loaded in, through real order-report files, the warehouse and the conductor."""
from __future__ import annotations

import datetime as dt
import itertools

import polars as pl
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.metrics.rounds import iso_week
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.standard.remarks import order_remarks_table, parse_remark_format, remark_format
from qc_pipeline.store.warehouse import open_warehouse

SHOP = "星河服饰旗舰店"
ROSTER = pl.DataFrame({"agent": [f"{SHOP}:小雅", f"{SHOP}:阿杰", f"{SHOP}:小鹿"], "name": ["小雅", "阿杰", "鹿鹿"],
                       "role": ["presale"] * 3})
CREATED = dt.datetime(2026, 11, 15, 10, 0)


def read(remark: str, created: dt.datetime = CREATED, shop: str = SHOP, roster: pl.DataFrame = ROSTER) -> dict:
    """The single order_remarks row of one order carrying `remark` (one line)."""
    orders = pl.DataFrame({"order_id": ["1"], "shop": [shop], "buyer": ["b"], "created_at": [created],
                           "paid_at": [None], "remark": [remark]},
                          schema_overrides={"paid_at": pl.Datetime("us"), "created_at": pl.Datetime("us")})
    rows = order_remarks_table(orders, None, roster, remark_format(), iso_week("created_at")).to_dicts()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("line, content, name, written", [
    ("改地址—小雅—11.15 14:30", "改地址", "小雅", "2026-11-15 14:30"),
    ("赠品袜子一双——阿杰——2026-11-16 09:05", "赠品袜子一双", "阿杰", "2026-11-16 09:05"),
    ("改成L码-小雅-11-15", "改成L码", "小雅", "2026-11-15 00:00"),
    ("顺丰发货/小雅/11月16日14点", "顺丰发货", "小雅", "2026-11-16 14:00"),
    ("改地址 小雅 1116", "改地址", "小雅", "2026-11-16 00:00"),
    ("加急 发货|小雅|2026/11/17 8:05", "加急 发货", "小雅", "2026-11-17 08:05"),
    # the roster's name, the sub-account's part after the colon, the whole sub-account
    ("补发赠品—鹿鹿—11.15", "补发赠品", "鹿鹿", "2026-11-15 00:00"),
    ("补发赠品—小鹿—11.15", "补发赠品", "小鹿", "2026-11-15 00:00"),
    (f"补发赠品—{SHOP}:阿杰—11.15", "补发赠品", f"{SHOP}:阿杰", "2026-11-15 00:00"),
    # the content keeps its own dashes and spaces; only the last segment before the time is the name
    ("地址改为 杭州市 西湖区 文三路-5号—小雅—11.15", "地址改为 杭州市 西湖区 文三路-5号", "小雅", "2026-11-15 00:00"),
])
def test_well_formed_remarks_are_read_into_their_parts(line, content, name, written):
    row = read(line)
    assert (row["status"], row["problem"]) == ("ok", None)
    assert (row["content"], row["agent_name"]) == (content, name)
    assert row["written_at"] == dt.datetime.strptime(written, "%Y-%m-%d %H:%M")
    assert row["agent"] == {"鹿鹿": f"{SHOP}:小鹿", "小鹿": f"{SHOP}:小鹿"}.get(name, name if ":" in name else f"{SHOP}:{name}")
    assert row["line"] == line and row["still_on_order"] is True


@pytest.mark.parametrize("line, problem, agent", [
    ("加急发货 小雅", "no time", f"{SHOP}:小雅"),
    ("加急发货—小雅", "no time", f"{SHOP}:小雅"),
    ("顺丰到付—小雅—13.40", "impossible date", f"{SHOP}:小雅"),
    ("顺丰到付—小雅—2月30日", "impossible date", f"{SHOP}:小雅"),
    ("顺丰到付—11.15", "no agent name", None),  # a single segment that names no agent is content
    ("顺丰到付11.15", "no time; no agent name", None),   # no separator before the time: not a time
    ("小雅—11.15", "no content", f"{SHOP}:小雅"),
    ("改地址—小丽—11.15", "agent not in roster", None),
    ("改地址", "no time; no agent name", None),
])
def test_malformed_remarks_say_what_they_lack(line, problem, agent):
    row = read(line)
    assert row["status"] == "malformed"
    assert row["problem"] == problem
    assert row["agent"] == agent


def test_a_shop_without_roster_entries_is_judged_on_the_rest():
    row = read("改地址—小丽—11.15", shop="云朵母婴专营店")
    assert (row["status"], row["agent"], row["agent_name"]) == ("ok", None, "小丽")
    assert read("改地址—小丽", shop="云朵母婴专营店")["problem"] == "no time"


@pytest.mark.parametrize("created, line, written", [
    (dt.datetime(2026, 12, 30, 22, 0), "改成L码—小雅—1.2", dt.datetime(2027, 1, 2)),     # the next year
    (dt.datetime(2027, 1, 2, 9, 0), "改成L码—小雅—12.30", dt.datetime(2026, 12, 30)),    # the year before
    (dt.datetime(2026, 11, 15, 9, 0), "改成L码—小雅—2025-11-15", dt.datetime(2025, 11, 15)),  # as written
])
def test_a_date_without_a_year_is_taken_nearest_the_order(created, line, written):
    assert read(line, created=created)["written_at"] == written


def test_several_lines_are_several_remarks_and_blank_lines_none():
    orders = pl.DataFrame({"order_id": ["1"], "shop": [SHOP], "buyer": ["b"], "created_at": [CREATED],
                           "paid_at": [CREATED], "remark": ["改地址—小雅—11.15\r\n\n  \n补发—阿杰—11.16 \n加急"]})
    rows = order_remarks_table(orders, None, ROSTER, remark_format(), iso_week("created_at"))
    assert rows["line"].to_list() == ["改地址—小雅—11.15", "补发—阿杰—11.16", "加急"]
    assert rows["status"].to_list() == ["ok", "ok", "malformed"]


@pytest.mark.parametrize("line, content, written", [
    # full-width digits and colons are read as their ASCII forms; the line and its content stay as written
    ("改地址—小雅—１１.１５ １４：３０", "改地址", "2026-11-15 14:30"),
    ("送１双袜子—小雅—１１月１６日", "送１双袜子", "2026-11-16 00:00"),
    # closing punctuation after the time, and seconds after it
    ("改地址—小雅—11.15 14:30。", "改地址", "2026-11-15 14:30"),
    ("改地址—小雅—11-15 14:30:05", "改地址", "2026-11-15 14:30"),
    ("改地址—小雅—11月15日14点30分！", "改地址", "2026-11-15 14:30"),
])
def test_remarks_typed_on_a_phone_or_with_a_full_width_keyboard_are_read(line, content, written):
    row = read(line)
    assert (row["status"], row["problem"], row["agent"]) == ("ok", None, f"{SHOP}:小雅")
    assert (row["line"], row["content"]) == (line, content)
    assert row["written_at"] == dt.datetime.strptime(written, "%Y-%m-%d %H:%M")


def test_every_kind_of_line_break_separates_remarks():
    orders = pl.DataFrame({"order_id": ["1"], "shop": [SHOP], "buyer": ["b"], "created_at": [CREATED],
                           "paid_at": [CREATED], "remark": ["改地址—小雅—11.15\r补发—阿杰—11.16\u2028加急—小雅—11.17"
                                                            "\u2029送袜子—阿杰—11.18"]})
    rows = order_remarks_table(orders, None, ROSTER, remark_format(), iso_week("created_at"))
    assert rows["line"].to_list() == ["改地址—小雅—11.15", "补发—阿杰—11.16", "加急—小雅—11.17", "送袜子—阿杰—11.18"]
    assert set(rows["status"]) == {"ok"}


def overwritten(*versions: str) -> dict[str, str | None]:
    """{line: overwritten_by} for one order exported with each of `versions` (the last is the order now)."""
    orders = pl.DataFrame({"order_id": ["1"], "shop": [SHOP], "buyer": ["b"], "created_at": [CREATED],
                           "paid_at": [None], "remark": [versions[-1]]},
                          schema_overrides={"paid_at": pl.Datetime("us"), "created_at": pl.Datetime("us")})
    earlier = pl.DataFrame({"order_id": ["1"] * len(versions), "remark": list(versions)})
    rows = order_remarks_table(orders, earlier, ROSTER, remark_format(), iso_week("created_at"))
    return dict(zip(rows["line"], rows["overwritten_by"]))


def test_a_date_only_remark_is_compared_at_the_day_it_names():
    """A time without its hour says only the day: on that day it is not earlier than 10:00."""
    # 小雅 replaced 阿杰's 10:00 remark with a date-only one the same day: hers is still on the order.
    assert overwritten("已改—阿杰—11.15 10:00", "改地址—小雅—11.15") == {
        "已改—阿杰—11.15 10:00": f"{SHOP}:小雅", "改地址—小雅—11.15": None}
    # Both date-only, the same day: the one still on the order replaced the other.
    assert overwritten("改地址—小雅—11.15", "改到付—阿杰—11.15") == {
        "改地址—小雅—11.15": f"{SHOP}:阿杰", "改到付—阿杰—11.15": None}
    # A later day still wins against an earlier one, whatever their precisions.
    assert overwritten("改地址—小雅—11.15 18:00", "改到付—阿杰—11.16") == {
        "改地址—小雅—11.15 18:00": f"{SHOP}:阿杰", "改到付—阿杰—11.16": None}


def test_a_remark_added_beside_another_did_not_replace_it():
    """阿杰 appended to 小雅's remark, then an export lacks hers: his remark was not written in its place."""
    assert overwritten("改地址—小雅—11.15 10:00", "改地址—小雅—11.15 10:00\n加急—阿杰—11.15 11:00",
                       "加急—阿杰—11.15 11:00") == {"改地址—小雅—11.15 10:00": None, "加急—阿杰—11.15 11:00": None}


def test_the_remark_format_is_validated_in_one_line():
    with pytest.raises(UserError, match=r"remarks.toml: time\[0\]: the pattern needs the named groups month and day"):
        parse_remark_format('[[separator]]\nid="s"\npattern="-"\nseverity="info"\nexplanation="x"\nsource="y"\n'
                            '[[time]]\nid="t"\npattern="(?P<month>\\\\d+)"\nseverity="info"\nexplanation="x"\n'
                            'source="y"\n', "remarks.toml")
    with pytest.raises(UserError, match=r"remarks.toml: time\[0\]: unknown named group 'second'"):
        parse_remark_format('[[separator]]\nid="s"\npattern="-"\nseverity="info"\nexplanation="x"\nsource="y"\n'
                            '[[time]]\nid="t"\npattern="(?P<month>\\\\d+)-(?P<day>\\\\d+)-(?P<second>\\\\d+)"\n'
                            'severity="info"\nexplanation="x"\nsource="y"\n', "remarks.toml")


# Through the order report, the warehouse and the conductor.

HEADER = "订单编号,买家会员名,店铺名称,订单创建时间,订单付款时间 ,买家实际支付金额,订单状态,订单备注"


def export(path, *rows):
    """An order report (the 46-column report's names, the columns this needs) with rows
    (order id, buyer, status, paid_at, remark)."""
    lines = [HEADER] + [
        f'="{oid}","{buyer}","{SHOP}","2026-11-15 10:00:00","{paid}","{99 if paid else 0}","{status}","{remark}"'
        for oid, buyer, status, paid, remark in rows
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def load(db, *files):
    con = open_warehouse(db)
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't'), (?, '阿杰', NULL, 'presale', 't')",
                [f"{SHOP}:小雅", f"{SHOP}:阿杰"])
    config = load_config()
    for f in files:
        ingest_paths(con, [f], config)
        rebuild(con, config)
    return con


REMARKS = "SELECT * EXCLUDE (week) FROM order_remarks ORDER BY order_id, line"


@pytest.fixture
def exports(tmp_path):
    """Three exports of the same two orders over three days: 小雅's remark on o1, which 阿杰's later remark
    replaced on re-export (and 小雅 then added one of her own); on o2 阿杰 appends to 小雅's (allowed)."""
    first = export(tmp_path / "day1.csv",
                   ("o1", "buyer1", "等待买家付款", "", "改地址—小雅—11.15 10:30"),
                   ("o2", "buyer2", "等待买家付款", "", "送袜子—小雅—11.15 11:00"))
    second = export(tmp_path / "day2.csv",
                    ("o1", "buyer1", "买家已付款，等待卖家发货", "2026-11-15 12:00:00", "改成到付—阿杰—11.16 09:00"),
                    ("o2", "buyer2", "买家已付款，等待卖家发货", "2026-11-15 12:00:00",
                     "送袜子—小雅—11.15 11:00\n加急—阿杰—11.16 9:30"))
    third = export(tmp_path / "day3.csv",
                   ("o1", "buyer1", "买家已付款，等待卖家发货", "2026-11-15 12:00:00",
                    "改成到付—阿杰—11.16 09:00\n已核实—小雅—11.17 10:00"))
    return tmp_path, [first, second, third]


def test_a_remark_another_agent_replaced_on_re_export_is_noticed(exports):
    tmp_path, files = exports
    con = load(tmp_path / "qc.duckdb", *files)
    rows = {(r[0], r[1]): r for r in con.execute(
        "SELECT order_id, line, agent, status, still_on_order, overwritten_by, overwritten_at FROM order_remarks"
    ).fetchall()}
    assert rows[("o1", "改地址—小雅—11.15 10:30")][2:] == (
        f"{SHOP}:小雅", "ok", False, f"{SHOP}:阿杰", dt.datetime(2026, 11, 16, 9, 0))
    # 小雅 adding a line after 阿杰's, and 阿杰 appending to 小雅's on o2, replace nothing.
    assert {k: v[5] for k, v in rows.items() if k != ("o1", "改地址—小雅—11.15 10:30")} == {
        ("o1", "改成到付—阿杰—11.16 09:00"): None, ("o1", "已核实—小雅—11.17 10:00"): None,
        ("o2", "送袜子—小雅—11.15 11:00"): None, ("o2", "加急—阿杰—11.16 9:30"): None,
    }
    assert con.execute("SELECT remark FROM orders WHERE order_id = 'o1'").fetchall() == [
        ("改成到付—阿杰—11.16 09:00\n已核实—小雅—11.17 10:00",)]
    week = {r[0]: r[1:] for r in con.execute(
        "SELECT agent, remarks_written, remarks_malformed, remarks_overwritten FROM agent_week").fetchall()}
    assert week == {f"{SHOP}:小雅": (3, 0, 0), f"{SHOP}:阿杰": (2, 0, 1)}
    con.close()


def test_any_load_order_gives_the_same_remarks(exports):
    tmp_path, files = exports
    seen = []
    for i, order in enumerate(itertools.permutations(files)):
        con = load(tmp_path / f"qc{i}.duckdb", *order)
        seen.append((con.execute(REMARKS).fetchall(),
                     con.execute("SELECT agent, remarks_written, remarks_overwritten FROM agent_week ORDER BY agent")
                     .fetchall()))
        con.close()
    assert all(s == seen[0] for s in seen)
    assert len(seen) == 6 and len(seen[0][0]) == 5


def test_loading_an_export_again_adds_nothing(exports):
    tmp_path, files = exports
    con = load(tmp_path / "qc.duckdb", *files, files[0], files[2])
    assert con.execute("SELECT count(*) FROM order_remarks").fetchall() == [(5,)]
    assert con.execute("SELECT count(*) FROM order_versions").fetchall() == [(5,)]
    con.close()


def test_a_remark_change_alone_is_a_new_version_and_rebuilds_the_week(tmp_path):
    """Two exports equal but for the remark: the second is loaded (its rows count) and order_remarks
    follows it."""
    a = export(tmp_path / "a.csv", ("o1", "buyer1", "交易成功", "2026-11-15 12:00:00", "改地址—小雅—11.15 10:30"))
    b = export(tmp_path / "b.csv", ("o1", "buyer1", "交易成功", "2026-11-15 12:00:00", "改地址—阿杰—11.16 10:30"))
    con = load(tmp_path / "qc.duckdb", a, b)
    assert con.execute("SELECT rows_loaded FROM ingested_files ORDER BY path").fetchall() == [(1,), (1,)]
    got = con.execute("SELECT line, overwritten_by FROM order_remarks ORDER BY line").fetchall()
    assert got == [("改地址—小雅—11.15 10:30", f"{SHOP}:阿杰"), ("改地址—阿杰—11.16 10:30", None)]
    con.close()


def test_exports_loaded_before_remarks_were_kept_get_them_when_loaded_again(tmp_path):
    """A warehouse from before schema 8 holds its order versions without remarks: loading the same
    exports again fills them in, so the overwrite between them is noticed."""
    a = export(tmp_path / "a.csv", ("o1", "buyer1", "交易成功", "2026-11-15 12:00:00", "改地址—小雅—11.15 10:30"))
    b = export(tmp_path / "b.csv", ("o1", "buyer1", "交易成功", "2026-11-15 12:00:00", "改地址—阿杰—11.16 10:30"))
    con = load(tmp_path / "qc.duckdb", a, b)
    con.execute("UPDATE orders SET remark = NULL")
    con.execute("UPDATE order_versions SET remark = NULL")
    con.execute("DELETE FROM order_remarks")
    config = load_config()
    for f in (a, b):
        ingest_paths(con, [f], config)
    rebuild(con, config)
    assert con.execute("SELECT remark FROM order_versions ORDER BY remark").fetchall() == [
        ("改地址—小雅—11.15 10:30",), ("改地址—阿杰—11.16 10:30",)]
    assert con.execute("SELECT line, overwritten_by FROM order_remarks ORDER BY line").fetchall() == [
        ("改地址—小雅—11.15 10:30", f"{SHOP}:阿杰"), ("改地址—阿杰—11.16 10:30", None)]
    con.close()
