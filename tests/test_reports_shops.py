"""One warehouse, two shops, an agent of the same bare name in each (exports that write 小鹿, not
店铺名:小鹿): each shop's agent has its own page, sheet, lists and figures, and neither shows the other's
sessions."""
from __future__ import annotations

import csv
import re

import duckdb
import openpyxl
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import run_week
from qc_pipeline.reports.naming import account, account_expr, account_sql, shown_agent
from qc_pipeline.store.warehouse import open_warehouse

WEEK = "2026-W47"
# 甲店's 小鹿 answers within seconds; 乙店's 小鹿 leaves one buyer unanswered and uses an extreme word.
ROWS = [
    ("甲店", "买家甲一", "", "buyer", "2026-11-16 10:00:00", "这件有黑色吗"),
    ("甲店", "买家甲一", "小鹿", "agent", "2026-11-16 10:00:10", "有的亲，黑色有货"),
    ("甲店", "买家甲二", "", "buyer", "2026-11-16 11:00:00", "什么时候发货"),
    ("甲店", "买家甲二", "小鹿", "agent", "2026-11-16 11:00:08", "今天下午五点前发出"),
    ("乙店", "买家乙一", "", "buyer", "2026-11-16 10:00:00", "这个面料怎么样"),
    ("乙店", "买家乙一", "小鹿", "agent", "2026-11-16 10:00:20", "这是全网最好的面料"),
    ("乙店", "买家乙二", "", "buyer", "2026-11-16 14:00:00", "在吗"),
    ("乙店", "买家乙二", "小鹿", "agent", "2026-11-16 14:00:20", "在的亲"),
    ("乙店", "买家乙二", "", "buyer", "2026-11-16 14:01:00", "能便宜点吗"),
]


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-shops")
    chats = root / "chats.csv"
    with open(chats, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["shop", "buyer", "agent", "role", "sent_at", "text"])
        out.writerows(ROWS)
    con = open_warehouse(root / "qc.duckdb")
    run_week(con, [chats], load_config(), root / "reports", week=WEEK, parts=())
    yield con, root / "reports" / WEEK
    con.close()


def session_shops(con) -> dict[str, str]:
    return dict(con.execute("SELECT session_id, shop FROM sessions").fetchall())


def test_the_account_names_the_shop_once():
    assert account("甲店", "小鹿") == "甲店:小鹿"
    assert account("星河服饰旗舰店", "星河服饰旗舰店:小雅") == "星河服饰旗舰店:小雅"
    assert account("甲店", "乙店:小鹿") == "甲店:乙店:小鹿"
    assert account("甲店", None) is None
    assert shown_agent("甲店", "小鹿") == "小鹿（甲店）"
    assert shown_agent("星河服饰旗舰店", "星河服饰旗舰店:小雅") == "星河服饰旗舰店:小雅"
    cases = [("甲店", "小鹿"), ("星河服饰旗舰店", "星河服饰旗舰店:小雅"), ("甲店", "乙店:小鹿"), ("甲店", None)]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INT, shop VARCHAR, agent VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, s, a) for i, (s, a) in enumerate(cases)])
    sql = [r[0] for r in con.execute(f"SELECT {account_sql()} FROM t ORDER BY i").fetchall()]
    frame = con.sql("SELECT shop, agent FROM t ORDER BY i").pl()
    assert sql == frame.select(account_expr().alias("a"))["a"].to_list() == [account(s, a) for s, a in cases]


def test_each_shop_agent_has_its_own_page_with_only_its_sessions(pack):
    con, folder = pack
    pages = sorted(p.name for p in (folder / "agents").glob("*.html"))
    assert pages == ["乙店_小鹿.html", "甲店_小鹿.html"]
    shops = session_shops(con)
    for page in pages:
        html = (folder / "agents" / page).read_text(encoding="utf-8")
        shop = page.split("_")[0]
        assert f"<h1 data-agent=\"小鹿\">小鹿（{shop}）</h1>" in html
        shown = set(re.findall(r'data-session="([^"]+)"', html))
        assert shown and {shops[s] for s in shown} == {shop}


def test_the_lists_follow_each_shop_agent(pack):
    con, folder = pack
    unanswered = sorted(p.name for p in (folder / "lists" / "unanswered").glob("*.html"))
    assert unanswered == ["乙店_小鹿.html"]
    violations = sorted(p.name for p in (folder / "lists" / "violations").glob("*.html"))
    assert violations == ["乙店_小鹿.html"]
    shops = session_shops(con)
    listed = set(re.findall(r'data-session="([^"]+)"',
                            (folder / "lists" / "violations" / "乙店_小鹿.html").read_text(encoding="utf-8")))
    assert listed and {shops[s] for s in listed} == {"乙店"}


def test_the_summary_and_workbook_tell_the_two_apart(pack):
    con, folder = pack
    figures = dict(con.execute("SELECT shop, unanswered_rounds FROM agent_week WHERE week = ?", [WEEK]).fetchall())
    assert figures == {"甲店": 0, "乙店": 1}
    md = (folder / "summary.md").read_text(encoding="utf-8")
    assert "小鹿（甲店）" in md and "小鹿（乙店）" in md
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert 'href="agents/%E7%94%B2%E5%BA%97_%E5%B0%8F%E9%B9%BF.html"' in summary
    assert 'href="agents/%E4%B9%99%E5%BA%97_%E5%B0%8F%E9%B9%BF.html"' in summary
    book = openpyxl.load_workbook(folder / f"qc-{WEEK}.xlsx", read_only=True)
    mine = [n for n in book.sheetnames if n.startswith("小鹿")]
    assert sorted(mine) == ["小鹿_乙店", "小鹿_甲店"]
    titles = {n: next(book[n].iter_rows(max_row=1, values_only=True))[0] for n in mine}
    assert titles == {"小鹿_乙店": f"小鹿（乙店） · {WEEK}", "小鹿_甲店": f"小鹿（甲店） · {WEEK}"}
