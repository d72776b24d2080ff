"""agent_month (docs/metrics.md "Monthly agent figures") on hand-built conversations around the October /
November 2026 edge, whose ISO week 2026-W44 (Mon 26 Oct to Sun 1 Nov) straddles both months; checked against
plain-Python computations from the stored rows, through the real warehouse, conductor and CLI."""
from __future__ import annotations

import datetime as dt
import statistics

import openpyxl
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.conductor.scope import month_weeks, months_of_weeks, week_months
from qc_pipeline.config import load_config
from qc_pipeline.pipeline import rebuild
from qc_pipeline.store.partitions import mark_stale
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, SHOP, load_messages, message_frame

runner = CliRunner()
PHONE = "13812345678"
# A roster name a spreadsheet would run as a formula.
FORMULA_NAME = "=1+1"

OCTOBER = [
    ("b1", "buyer", "2026-10-30 10:00:00", A, "在吗"),
    ("b1", "agent", "2026-10-30 10:00:10", A, "在的亲"),                        # first 10 s
    ("b2", "buyer", "2026-10-31 11:00:00", A, "这件有货吗"),
    ("b2", "agent", "2026-10-31 11:05:00", A, "有货的，这是全网最低价"),        # first 300 s, flagged
]
NOVEMBER = [
    ("b3", "buyer", "2026-11-01 10:00:00", A, "在吗"),                        # W44, but November
    ("b3", "agent", "2026-11-01 10:00:40", A, "在的"),                          # first 40 s
    ("b3", "buyer", "2026-11-01 10:02:00", A, "尺码偏大吗"),
    ("b3", "agent", "2026-11-01 10:02:30", A, "标准尺码"),                      # follow 30 s
    ("b4", "buyer", "2026-11-01 12:00:00", A, "能便宜点吗"),
    ("b4", "agent", "2026-11-01 12:00:50", A, f"全网最低价了，有问题打我电话{PHONE}"),  # first 50 s, flagged
    ("b5", "buyer", "2026-11-03 10:00:00", A, "在吗"),                         # W45
    ("b5", "agent", "2026-11-03 10:00:20", A, "在的亲"),                        # first 20 s (within 30)
    ("b6", "buyer", "2026-11-12 10:00:00", A, "发什么快递"),                    # W46
    ("b6", "agent", "2026-11-12 10:01:10", A, "默认中通"),                      # first 70 s
    ("b8", "buyer", "2026-11-12 15:00:00", A, "还在吗"),                        # unanswered
]
LATER_IN_NOVEMBER = [
    ("b7", "buyer", "2026-11-12 14:00:00", A, "可以开发票吗"),                  # W46
    ("b7", "agent", "2026-11-12 14:03:20", A, "可以的"),                        # first 200 s
]
DECEMBER = [
    ("b9", "buyer", "2026-12-01 10:00:00", A, "在吗"),
    ("b9", "agent", "2026-12-01 10:00:20", A, "在的"),
]


def _orders(con):
    # b5 orders and pays on 3 Nov: November's one paying buyer.
    con.execute("INSERT INTO orders VALUES ('o5', ?, 'b5', ?, ?, 99, 0, '交易成功', 't', 1, NULL)",
                [SHOP, dt.datetime(2026, 11, 3, 10, 30), dt.datetime(2026, 11, 3, 10, 40)])


def _open(path, rows):
    con = open_warehouse(path)
    con.execute("INSERT INTO agents VALUES (?, ?, NULL, 'presale', 't')", [A, FORMULA_NAME])
    load_messages(con, message_frame(rows))
    _orders(con)
    rebuild(con, load_config())
    return con


@pytest.fixture
def con(tmp_path):
    con = _open(tmp_path / "qc.duckdb", OCTOBER + NOVEMBER + LATER_IN_NOVEMBER + DECEMBER)
    yield con
    con.close()


def month_row(con, month, agent=A):
    cur = con.execute("SELECT * FROM agent_month WHERE month = ? AND agent = ?", [month, agent])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def rows_of(con, sql, params=()):
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def plain_month(con, month, agent=A) -> dict:
    """The month's figures computed here, in plain Python, from the stored per-buyer rows."""
    rounds = [r for r in rows_of(con, "SELECT * FROM rounds WHERE agent = ?", [agent])
              if r["started_at"].strftime("%Y-%m") == month]
    first = [r for r in rounds if r["is_first"]]
    follow = [r for r in rounds if not r["is_first"]]
    answered_first = [r["wait_seconds"] for r in first if not r["unanswered"]]
    inquiries = [r for r in rows_of(con, "SELECT * FROM inquiries WHERE agent = ?", [agent])
                 if r["first_reply_at"].strftime("%Y-%m") == month]
    scores = [r["score"] for r in rows_of(
        con, "SELECT s.score, t.started_at FROM session_scores s JOIN sessions t USING (session_id) "
             "WHERE s.agent = ?", [agent]) if r["started_at"].strftime("%Y-%m") == month]
    # a violation is a flagged message per category (CLARIFICATIONS "Flags (counting)")
    flagged = {(r["msg_id"], r["category"]) for r in rows_of(con, "SELECT * FROM flags WHERE agent = ? AND role = 'agent'", [agent])
               if r["sent_at"].strftime("%Y-%m") == month}
    paying = sum(r["converted"] for r in inquiries)
    return {
        "sessions": len({r["session_id"] for r in rounds}),
        "rounds": len(rounds),
        "first_rounds": len(first),
        "first_median_s": statistics.median(answered_first),
        "first_within_target_pct": 100.0 * sum(r["met_target"] for r in first) / len(first),
        "follow_median_s": statistics.median([r["wait_seconds"] for r in follow if not r["unanswered"]])
        if follow else None,
        "unanswered_rounds": sum(r["unanswered"] for r in rounds),
        "inquiries": len(inquiries),
        "paying_buyers": paying,
        "conversion_rate": paying / len(inquiries),
        "qc_score_avg": round(statistics.mean(scores), 2),
        "flags_total": len(flagged),
        "consulted_buyers": len({r["buyer"] for r in rounds}),
    }


def test_months_and_their_weeks():
    assert week_months("2026-W44") == ["2026-10", "2026-11"]
    assert week_months("2026-W46") == ["2026-11"]
    assert month_weeks("2026-11") == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert month_weeks("2026-02") == ["2026-W05", "2026-W06", "2026-W07", "2026-W08", "2026-W09"]
    # 1 Jan 2027 is a Friday of 2026-W53.
    assert month_weeks("2027-01")[0] == "2026-W53"
    import polars as pl

    parts = months_of_weeks(pl.DataFrame({"shop": ["s"], "week": ["2026-W44"]}))
    assert sorted(set(parts["month"])) == ["2026-10", "2026-11"]
    assert set(parts.filter(pl.col("month") == "2026-10")["week"]) == {
        "2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"}


def test_month_figures_equal_a_plain_computation_from_the_months_rounds(con):
    nov = month_row(con, "2026-11")
    want = plain_month(con, "2026-11")
    for key, value in want.items():
        assert nov[key] == pytest.approx(value), key
    # Ground truth written out: November's answered first waits are 40, 50, 20, 70 and 200 s.
    assert nov["first_rounds"] == 6 and nov["unanswered_rounds"] == 1
    assert nov["first_median_s"] == 50.0
    assert nov["first_within_target_pct"] == pytest.approx(100 / 6)
    assert nov["follow_median_s"] == 30.0
    assert (nov["inquiries"], nov["paying_buyers"]) == (5, 1) and nov["conversion_rate"] == pytest.approx(0.2)
    assert nov["conversion_band"] == "insufficient_data"
    # b4's reply: an extreme word and an off-platform phone number, one violation of each.
    assert nov["flags_total"] == 2 and nov["flags_extreme_word"] == 1 and nov["flags_off_platform"] == 1
    # Not the mean of the weeks' medians (W44 45 s over both months' rounds, W45 20 s, W46 135 s).
    weekly = [r["first_median_s"] for r in rows_of(
        con, "SELECT * FROM agent_week WHERE agent = ? AND week IN ('2026-W44', '2026-W45', '2026-W46') "
             "ORDER BY week", [A])]
    assert weekly == [45.0, 20.0, 135.0]
    assert nov["first_median_s"] != pytest.approx(statistics.mean(weekly))

    oct_ = month_row(con, "2026-10")
    assert oct_ == pytest.approx({**oct_, **plain_month(con, "2026-10")})
    assert (oct_["first_rounds"], oct_["first_median_s"], oct_["flags_total"]) == (2, 155.0, 1)
    assert oct_["inquiries"] == 2 and oct_["paying_buyers"] == 0
    dec = month_row(con, "2026-12")
    assert (dec["first_rounds"], dec["first_median_s"]) == (1, 20.0)
    assert [r["month"] for r in rows_of(con, "SELECT month FROM agent_month ORDER BY month")] == [
        "2026-10", "2026-11", "2026-12"]


def test_rebuilding_one_week_updates_its_month(tmp_path):
    con = _open(tmp_path / "steps.duckdb", OCTOBER + NOVEMBER + DECEMBER)
    try:
        before_oct = month_row(con, "2026-10")
        assert month_row(con, "2026-11")["first_median_s"] == 45.0  # 20, 40, 50, 70
        load_messages(con, message_frame(LATER_IN_NOVEMBER))        # W46 only
        mark_stale(con, {(SHOP, "2026-W46")})                       # as ingest marks what it touched
        result = rebuild(con, load_config())
        assert result.weeks == ["2026-W46"]
        assert result.written["agent_month"] == 1                   # November alone
        nov = month_row(con, "2026-11")
        assert nov["first_median_s"] == 50.0 and nov["first_rounds"] == 6
        assert month_row(con, "2026-10") == before_oct
        # A rebuild of the straddling week recomputes both of its months.
        mark_stale(con, {(SHOP, "2026-W44")})
        result = rebuild(con, load_config())
        assert result.weeks == ["2026-W44"] and result.written["agent_month"] == 2
        stepwise = con.sql("SELECT * FROM agent_month ORDER BY month, agent").fetchall()
    finally:
        con.close()
    whole = _open(tmp_path / "whole.duckdb", OCTOBER + NOVEMBER + LATER_IN_NOVEMBER + DECEMBER)
    try:
        assert whole.sql("SELECT * FROM agent_month ORDER BY month, agent").fetchall() == stepwise
    finally:
        whole.close()


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _report(db, out, *extra):
    return runner.invoke(app, ["report", "--month", "2026-11", "--db", str(db), "--out", str(out), *extra])


def test_qc_report_month_writes_the_pack_masked(con, tmp_path):
    db = tmp_path / "qc.duckdb"
    con.close()
    result = _report(db, tmp_path / "reports")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "reports" / "2026-11"
    names = {p.relative_to(folder).as_posix() for p in _files(folder)}
    assert {"summary.html", "summary.md", "qc-2026-11.xlsx", "agent_month.csv",
            "agents/星河服饰旗舰店_小雅.html"} <= names
    page = (folder / "agents" / "星河服饰旗舰店_小雅.html").read_text(encoding="utf-8")
    assert 'data-key="first_median_s" data-value="50.0"' in page
    assert 'data-week="2026-W44"' in page and 'data-week="2026-W46"' in page
    assert "全网最低价" in page
    for path in _files(folder):
        data = path.read_bytes()
        assert PHONE.encode() not in data, path
    # The payroll workbook: a header row of agent_month's columns, one row per agent, real numbers, no
    # merged cells, the formula-like name kept as text.
    wb = openpyxl.load_workbook(folder / "qc-2026-11.xlsx")
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    check = open_warehouse(db, read_only=True)
    try:
        columns = [d[0] for d in check.execute("SELECT * FROM agent_month LIMIT 0").description]
        assert header == columns
        assert ws.max_row == 1 + check.execute("SELECT count(*) FROM agent_month WHERE month = '2026-11'").fetchone()[0]
    finally:
        check.close()
    row = dict(zip(header, [c.value for c in ws[2]]))
    assert row["agent"] == A and row["first_median_s"] == 50.0 and row["sessions"] == 6
    assert isinstance(row["first_within_target_pct"], float)
    assert row["agent_name"] == "'" + FORMULA_NAME
    assert not ws.merged_cells.ranges
    csv = (folder / "agent_month.csv").read_text(encoding="utf-8-sig")
    assert "'" + FORMULA_NAME in csv
    unmasked = _report(db, tmp_path / "audit", "--no-mask")
    assert unmasked.exit_code == 0, unmasked.output
    assert PHONE in (tmp_path / "audit" / "2026-11" / "agents" / "星河服饰旗舰店_小雅.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, named", [
    (["--month", "2026-13"], "--month"),
    (["--month", "2026/11"], "--month"),
    (["--month", "2026-09"], "2026-09"),
    (["--month", "2026-11", "--week", "2026-W46"], "--week and --month"),
    ([], "--week or --month"),
])
def test_month_mistakes_are_one_line(con, tmp_path, args, named):
    con.close()
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "qc.duckdb"), "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_the_weekly_agent_page_shows_the_last_four_weeks(con, tmp_path):
    con.close()
    result = runner.invoke(app, ["report", "--week", "2026-W46", "--db", str(tmp_path / "qc.duckdb"),
                                 "--out", str(tmp_path / "weekly")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "weekly" / "2026-W46" / "agents" / "星河服饰旗舰店_小雅.html").read_text(encoding="utf-8")
    trend = page[page.index('<section id="trend4">'):]
    trend = trend[:trend.index("</section>")]
    rows = {}
    for week in ("2026-W43", "2026-W44", "2026-W45", "2026-W46"):
        start = trend.index(f'<tr data-week="{week}">')
        rows[week] = trend[start:trend.index("</tr>", start)]
    # W43: no rounds; W44: 1 of 4 first replies within 30 s; W45: 1 of 1; W46: 0 of 3 (one unanswered).
    within = 'data-key="first_within_target_pct" data-value="{}"'
    assert within.format("") in rows["2026-W43"]
    assert within.format("25.0") in rows["2026-W44"]
    assert within.format("100.0") in rows["2026-W45"]
    assert within.format("0.0") in rows["2026-W46"]
    assert 'data-week="2026-W47"' not in trend and 'data-week="2026-W42"' not in trend
    assert 'data-key="conversion_rate" data-value="1.0"' in rows["2026-W45"]
    assert 'data-key="qc_score_avg"' in rows["2026-W46"]


def test_a_schema_6_warehouse_gains_agent_month_on_the_next_run(tmp_path):
    db = tmp_path / "old.duckdb"
    con = _open(db, OCTOBER + NOVEMBER)
    con.execute("DROP TABLE agent_month")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    con.close()
    con = open_warehouse(db)
    try:
        assert con.execute("SELECT count(*) FROM agent_month").fetchone()[0] == 0
        assert con.execute("SELECT bool_and(stale) FROM partitions").fetchone()[0] is True
        rebuild(con, load_config())
        assert month_row(con, "2026-11")["first_median_s"] == 45.0
        assert month_row(con, "2026-10")["first_rounds"] == 2
    finally:
        con.close()
