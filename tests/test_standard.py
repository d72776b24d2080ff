"""The service-standard clauses (docs/metrics.md "Service-standard clauses"): look-up promises and payment
reminders on hand-built conversations, through the real warehouse and conductor; every status and
boundary, the agent-week figures, `qc reminders` and the one-line errors of the settings and lexicons."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.config import load_config
from qc_pipeline.errors import UserError
from qc_pipeline.pipeline import rebuild
from qc_pipeline.standard import parse_standard_lexicons, standard_lexicons
from qc_pipeline.store.partitions import mark_stale
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, B, SHOP, load_messages, message_frame

T = dt.datetime.fromisoformat
runner = CliRunner()


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path / "qc.duckdb")
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't'), (?, '阿杰', NULL, 'presale', 't')",
                [A, B])
    yield con
    con.close()


def add_orders(con, *rows):
    """rows: (order_id, buyer, created_at, paid_at or None, amount, status)."""
    for oid, buyer, created, paid, amount, status in rows:
        con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, 0, ?, 't', 1, NULL)",
                    [oid, SHOP, buyer, T(created), T(paid) if paid else None, amount, status])


def _week(moment: dt.datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def build(con, rows, orders=(), config=None):
    """Load the rows and orders as a file would (marking the partitions they touch stale), then rebuild."""
    load_messages(con, message_frame(rows))
    add_orders(con, *orders)
    touched = {(SHOP, _week(T(r[2]))) for r in rows}
    touched |= {(SHOP, _week(T(at))) for o in orders for at in (o[2], o[3]) if at}
    mark_stale(con, touched)
    rebuild(con, config or load_config())


def promises(con) -> dict[str, dict]:
    """The promises by buyer (one promise per buyer in these tests, unless told)."""
    cur = con.execute("SELECT * FROM promises ORDER BY buyer, promised_at")
    names = [d[0] for d in cur.description]
    return {row[names.index("buyer")]: dict(zip(names, row)) for row in cur.fetchall()}


def reminders(con) -> dict[str, dict]:
    cur = con.execute("SELECT * FROM payment_reminders ORDER BY order_id")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def week_row(con, agent, week="2026-W47"):
    cur = con.execute("SELECT * FROM agent_week WHERE agent = ? AND week = ?", [agent, week])
    names = [d[0] for d in cur.description]
    found = cur.fetchall()
    assert len(found) == 1, found
    return dict(zip(names, found[0]))


ASK = "我的快递怎么还没到"
PROMISE = "亲，我帮您查一下物流，稍后给您答复"
ANSWER = "亲，查到了，包裹在杭州中转，明天派送"


def _promise(buyer, at, answer_at=None, answerer=A, answer=ANSWER, role="agent"):
    rows = [(buyer, "buyer", at, A, ASK), (buyer, "agent", (T(at) + dt.timedelta(seconds=30)).isoformat(" "), A, PROMISE)]
    if answer_at:
        rows.append((buyer, role, answer_at, answerer, answer))
    return rows


# --- promises -----------------------------------------------------------------------------------------------

def test_exactly_24_hours_is_kept_and_one_second_more_is_late(con):
    rows = [
        *_promise("b_exact", "2026-11-16 10:00:00", "2026-11-17 10:00:30"),   # promise at 10:00:30
        *_promise("b_late", "2026-11-16 11:00:00", "2026-11-17 11:00:31"),
        ("b_last", "buyer", "2026-11-20 12:00:00", A, "在吗"),                  # the shop's latest message
    ]
    build(con, rows)
    got = promises(con)
    exact, late = got["b_exact"], got["b_late"]
    assert exact["promised_at"] == T("2026-11-16 10:00:30") and exact["due"] == T("2026-11-17 10:00:30")
    assert (exact["status"], exact["kept_at"], exact["kept_by"], exact["keep_seconds"]) == (
        "kept", T("2026-11-17 10:00:30"), A, 86400.0)
    assert (late["status"], late["keep_seconds"]) == ("late", 86401.0)
    assert exact["lexicon_id"] == "promise.look_up" and exact["week"] == "2026-W47"


def test_a_colleague_keeps_the_promise_and_is_recorded(con):
    build(con, [*_promise("b1", "2026-11-16 16:20:00", "2026-11-16 18:00:00", answerer=B),
                ("b9", "buyer", "2026-11-20 12:00:00", A, "在吗")])
    p = promises(con)["b1"]
    assert (p["agent"], p["status"], p["kept_by"]) == (A, "kept", B)


def test_pleasantries_holding_lines_auto_replies_and_further_promises_do_not_keep(con):
    rows = [
        *_promise("b1", "2026-11-16 10:00:00"),
        ("b1", "agent", "2026-11-16 10:05:00", A, "好的亲~"),
        ("b1", "agent", "2026-11-16 10:06:00", A, "嗯嗯，在的呢！"),
        ("b1", "agent", "2026-11-16 10:07:00", A, "请稍等，还在查哦 😊"),
        ("b1", "auto", "2026-11-16 10:08:00", A, "[自动回复]您好，物流信息请在订单详情查看"),
        ("b1", "agent", "2026-11-16 10:09:00", B, "核实后回复您"),            # another promise
        ("b1", "agent", "2026-11-17 09:00:00", B, ANSWER),
        ("b9", "buyer", "2026-11-20 12:00:00", A, "在吗"),
    ]
    build(con, rows)
    got = con.execute("SELECT agent, kept_at, kept_by, status FROM promises WHERE buyer = 'b1' "
                      "ORDER BY promised_at").fetchall()
    # Both promises are kept by the one substantive answer, the next morning.
    assert got == [(A, T("2026-11-17 09:00:00"), B, "kept"), (B, T("2026-11-17 09:00:00"), B, "kept")]


def test_a_pleasantry_alone_never_keeps_so_the_promise_breaks(con):
    rows = [*_promise("b1", "2026-11-16 10:00:00"), ("b1", "agent", "2026-11-16 12:00:00", A, "好的，收到"),
            ("b9", "buyer", "2026-11-20 12:00:00", A, "在吗")]
    build(con, rows)
    p = promises(con)["b1"]
    assert (p["status"], p["kept_at"], p["kept_by"]) == ("broken", None, None)


def test_open_until_the_shops_latest_message_passes_the_due_time_then_broken(con):
    # The promise is due 2026-11-17 10:00:30; the shop's latest message is earlier: open.
    build(con, [*_promise("b1", "2026-11-16 10:00:00"), ("b2", "buyer", "2026-11-17 10:00:29", A, "在吗")])
    assert promises(con)["b1"]["status"] == "open"
    # Another buyer's message exactly at the due time: the due time has come without an answer.
    build(con, [("b3", "buyer", "2026-11-17 10:00:30", A, "在吗")])
    assert promises(con)["b1"]["status"] == "broken"


def test_a_message_weeks_later_breaks_an_open_promise_of_an_untouched_week(con):
    build(con, [*_promise("b1", "2026-11-16 10:00:00")])
    assert promises(con)["b1"]["status"] == "open"
    # Another buyer, three weeks on: only 2026-W50 is rebuilt, yet the shop's latest message has moved.
    build(con, [("b4", "buyer", "2026-12-10 10:00:00", A, "在吗")])
    assert promises(con)["b1"]["status"] == "broken"


def test_an_answer_after_the_follow_horizon_is_not_a_follow_up(con):
    build(con, [*_promise("b1", "2026-11-16 10:00:00", "2026-11-19 10:00:30"),
                *_promise("b2", "2026-11-16 10:00:00", "2026-11-19 10:00:31")])
    got = promises(con)
    assert (got["b1"]["status"], got["b1"]["kept_at"]) == ("late", T("2026-11-19 10:00:30"))  # exactly 72 h
    assert (got["b2"]["status"], got["b2"]["kept_at"]) == ("broken", None)


def test_a_promise_across_sunday_midnight_is_kept_in_its_own_week_when_the_answer_comes_later(con, tmp_path):
    """Sunday 23:50 (2026-W47) promise, answered Monday 09:00 (2026-W48): loaded in two runs, the
    second touching only W48, the W47 promise must come out as a single build gives it."""
    first = _promise("b1", "2026-11-22 23:50:00")
    build(con, first)
    assert promises(con)["b1"]["status"] == "open"
    build(con, [("b1", "agent", "2026-11-23 09:00:00", B, ANSWER)])
    p = promises(con)["b1"]
    assert (p["week"], p["status"], p["kept_by"], p["keep_seconds"]) == ("2026-W47", "kept", B, 32970.0)
    assert week_row(con, A)["promises_kept"] == 1
    # Same tables as loading both at once (the answer's msg_id differs: the builder hashes its line number).
    once = open_warehouse(tmp_path / "once.duckdb")
    try:
        build(once, [*first, ("b1", "agent", "2026-11-23 09:00:00", B, ANSWER)])
        for sql in ("SELECT * EXCLUDE (kept_msg_id) FROM promises ORDER BY ALL",
                    "SELECT * EXCLUDE (agent_name, agent_role) FROM agent_week ORDER BY ALL"):
            assert con.sql(sql).fetchall() == once.sql(sql).fetchall()
    finally:
        once.close()


def test_a_longer_follow_horizon_widens_what_a_later_week_recomputes(con, tmp_path):
    """With promise_follow_hours = 120, a Thursday promise answered 93 h later, on the next Monday, in a
    later run: the conductor must look that far back from the new week (scope.Reach)."""
    path = tmp_path / "c.toml"
    path.write_text("[standard]\npromise_follow_hours = 120\n", encoding="utf-8")
    config = load_config(path)
    build(con, _promise("b1", "2026-11-19 11:59:30"), config=config)
    build(con, [("b9", "buyer", "2026-11-21 12:00:00", A, "在吗")], config=config)
    assert promises(con)["b1"]["status"] == "broken"
    build(con, [("b1", "agent", "2026-11-23 09:00:00", B, ANSWER)], config=config)
    p = promises(con)["b1"]
    assert (p["status"], p["kept_by"], p["keep_seconds"]) == ("late", B, 93 * 3600.0)


def test_agent_week_promise_figures(con):
    rows = [
        *_promise("b1", "2026-11-16 10:00:00", "2026-11-16 10:10:30"),       # kept, 600 s
        *_promise("b2", "2026-11-16 11:00:00", "2026-11-16 12:00:30", answerer=B),  # kept, 3600 s, by B
        *_promise("b3", "2026-11-16 12:00:00", "2026-11-17 13:00:30"),       # late, 90000 s
        *_promise("b4", "2026-11-16 13:00:00"),                              # broken
        ("b9", "buyer", "2026-11-20 12:00:00", B, "在吗"),
    ]
    build(con, rows)
    a = week_row(con, A)
    assert (a["promises"], a["promises_kept"]) == (4, 2)
    assert a["promises_kept_pct"] == 50.0
    assert a["promise_keep_median_s"] == 3600.0           # of 600, 3600, 90000
    b = week_row(con, B)                                  # B kept a colleague's promise but made none
    assert (b["promises"], b["promises_kept"], b["promises_kept_pct"], b["promise_keep_median_s"]) == (0, 0, None, None)


# --- payment reminders --------------------------------------------------------------------------------------

REMIND = "亲，您的订单还没付款哦，库存紧张，记得尽快付款"


def test_reminded_and_paid_reminded_and_closed_and_never_reminded(con):
    rows = [
        ("p1", "agent", "2026-11-16 10:30:00", A, REMIND),
        ("p2", "agent", "2026-11-16 10:30:00", A, REMIND),
        ("p2", "agent", "2026-11-17 10:30:00", A, "亲，订单即将关闭，记得付款"),
        ("p3", "agent", "2026-11-16 10:30:00", A, "亲，这款有货的"),
    ]
    build(con, rows, orders=[
        ("o1", "p1", "2026-11-16 10:00:00", "2026-11-16 11:00:00", 199, "交易成功"),
        ("o2", "p2", "2026-11-16 10:00:00", None, 0, "交易关闭"),
        ("o3", "p3", "2026-11-16 10:00:00", "2026-11-16 12:00:00", 59, "交易成功"),
    ])
    got = reminders(con)
    assert got["o1"]["close_deadline"] == T("2026-11-19 10:00:00")
    assert (got["o1"]["reminded_at"], got["o1"]["reminded_by"], got["o1"]["reminders"], got["o1"]["paid_after_reminder"]) == (
        T("2026-11-16 10:30:00"), A, 1, True)
    assert (got["o2"]["reminders"], got["o2"]["paid_after_reminder"], got["o2"]["status"]) == (2, False, "交易关闭")
    assert (got["o3"]["reminded_at"], got["o3"]["reminders"], got["o3"]["paid_after_reminder"]) == (None, 0, False)
    a = week_row(con, A)
    assert (a["reminders_sent"], a["reminded_paid"], a["reminder_success_pct"]) == (2, 1, 50.0)
    assert float(a["reminder_recovered_amount"]) == 199.0


def test_a_buyer_chased_by_two_agents_is_visible_and_credited_to_the_first(con):
    rows = [("d1", "agent", "2026-11-16 10:10:00", B, REMIND), ("d1", "buyer", "2026-11-16 14:59:00", A, "我再看看"),
            ("d1", "agent", "2026-11-16 15:00:00", A, "记得付款哦亲")]
    build(con, rows, orders=[("o1", "d1", "2026-11-16 10:00:00", "2026-11-16 16:00:00", 88, "交易成功")])
    o = reminders(con)["o1"]
    assert (o["reminding_agents"], o["reminders"], o["reminded_by"]) == (2, 2, B)
    assert week_row(con, B)["reminders_sent"] == 1 and week_row(con, A)["reminders_sent"] == 0


def test_reminders_before_creation_after_payment_or_after_the_deadline_do_not_count(con):
    rows = [
        ("r1", "agent", "2026-11-16 09:59:59", A, REMIND),          # before the order existed
        ("r1", "agent", "2026-11-16 11:00:00", A, REMIND),          # the same second it was paid
        ("r1", "agent", "2026-11-16 12:00:00", A, REMIND),          # after payment
        ("r2", "agent", "2026-11-19 10:00:00", A, REMIND),          # exactly 72 h: in time
        ("r3", "agent", "2026-11-19 10:00:01", A, REMIND),          # 72 h + 1 s: the order had closed
        ("r4", "auto", "2026-11-16 10:05:00", A, REMIND),           # an auto-reply is not an agent's reminder
    ]
    build(con, rows, orders=[
        ("o1", "r1", "2026-11-16 10:00:00", "2026-11-16 11:00:00", 10, "交易成功"),
        ("o2", "r2", "2026-11-16 10:00:00", None, 0, "交易关闭"),
        ("o3", "r3", "2026-11-16 10:00:00", None, 0, "交易关闭"),
        ("o4", "r4", "2026-11-16 10:00:00", None, 0, "等待买家付款"),
        ("o5", "r4", "2026-11-16 10:00:00", "2026-11-16 10:00:00", 10, "交易成功"),  # paid on creation: no row
    ])
    got = reminders(con)
    assert set(got) == {"o1", "o2", "o3", "o4"}
    assert (got["o1"]["reminders"], got["o1"]["paid_after_reminder"]) == (0, False)
    assert (got["o2"]["reminded_at"], got["o2"]["reminders"]) == (T("2026-11-19 10:00:00"), 1)
    assert got["o3"]["reminders"] == 0 and got["o4"]["reminders"] == 0


def test_a_reminder_in_the_next_week_is_found_when_loaded_later(con):
    """Order created Sunday 2026-11-22 20:00 (W47), reminded Monday (W48) in a later run."""
    build(con, [("w1", "buyer", "2026-11-22 19:50:00", A, "拍了")],
          orders=[("o1", "w1", "2026-11-22 20:00:00", None, 0, "等待买家付款")])
    assert reminders(con)["o1"]["reminders"] == 0
    build(con, [("w1", "agent", "2026-11-23 09:00:00", B, REMIND)])
    o = reminders(con)["o1"]
    assert (o["week"], o["reminded_by"], o["reminders"]) == ("2026-W47", B, 1)
    assert week_row(con, B)["reminders_sent"] == 1


def test_the_close_deadline_is_configurable(con, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[standard]\npayment_close_hours = 24\npromise_due_hours = 2\n", encoding="utf-8")
    config = load_config(path)
    build(con, [("c1", "agent", "2026-11-17 10:00:01", A, REMIND), *_promise("c2", "2026-11-16 10:00:00", "2026-11-16 12:00:31")],
          orders=[("o1", "c1", "2026-11-16 10:00:00", None, 0, "交易关闭")], config=config)
    o = reminders(con)["o1"]
    assert (o["close_deadline"], o["reminders"]) == (T("2026-11-17 10:00:00"), 0)
    assert promises(con)["c2"]["status"] == "late"


# --- qc reminders -------------------------------------------------------------------------------------------

def _reminder_db(tmp_path):
    db = tmp_path / "qc.duckdb"
    con = open_warehouse(db)
    try:
        build(con, [
            ("13812345678", "agent", "2026-11-18 09:00:00", A, "亲，这款有货"),
            ("13812345678", "agent", "2026-11-18 10:30:00", A, REMIND),
            ("=HYPERLINK(\"x\")", "agent", "2026-11-19 09:00:00", B, "在的亲，尺码偏大"),
            ("tom1", "agent", "2026-11-17 09:00:00", A, "好的"),
        ], orders=[
            ("o_phone", "13812345678", "2026-11-18 10:00:00", None, 0, "等待买家付款"),     # deadline 11-21 10:00
            ("=1+1", "=HYPERLINK(\"x\")", "2026-11-19 11:00:00", None, 0, "等待买家付款"),  # deadline 11-22 11:00
            ("o_old", "tom1", "2026-11-17 12:00:00", None, 0, "等待买家付款"),             # deadline 11-20 12:00
            ("o_gone", "tom1", "2026-11-16 12:00:00", None, 0, "等待买家付款"),            # closed 11-19 12:00
            ("o_paid", "tom1", "2026-11-19 12:00:00", "2026-11-20 08:00:00", 50, "交易成功"),
            ("o_closed", "tom1", "2026-11-19 13:00:00", None, 0, "交易关闭"),
            ("o_later", "tom1", "2026-11-21 13:00:00", None, 0, "等待买家付款"),            # created the next day
        ])
    finally:
        con.close()
    return db


def test_qc_reminders_lists_open_unpaid_orders_oldest_deadline_first_masked_and_neutralised(tmp_path):
    db = _reminder_db(tmp_path)
    out = tmp_path / "list.csv"
    result = runner.invoke(app, ["reminders", "--date", "2026-11-20", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["order_id"] for r in rows] == ["o_old", "o_phone", "'=1+1"]
    assert [r["buyer"] for r in rows] == ["t***1", "1***8", "'=***)"]
    assert [r["served_by"] for r in rows] == [A, A, B]
    assert rows[1]["reminded_by"] == A and rows[1]["reminders"] == "1" and rows[0]["reminders"] == "0"
    assert rows[0]["close_deadline"] == "2026-11-20 12:00:00"
    assert "13812345678" not in result.output and "1***8" in result.output


def test_qc_reminders_unmasked_and_as_a_workbook(tmp_path):
    db = _reminder_db(tmp_path)
    out = tmp_path / "list.xlsx"
    result = runner.invoke(app, ["reminders", "--date", "2026-11-20", "--db", str(db), "--out", str(out), "--no-mask"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    buyers = [row[header.index("buyer")] for row in values[1:]]
    assert buyers == ["tom1", "13812345678", "'=HYPERLINK(\"x\")"]
    assert values[1][header.index("close_deadline")] == T("2026-11-20 12:00:00")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("args, message", [
    (["--date", "20/11/2026"], "--date '20/11/2026': expected a day like 2026-11-20"),
    (["--date", "2026-11-20", "--out", "list.txt"], "expected a .csv or .xlsx file name"),
    (["--date", "2026-11-20", "--db", "missing.duckdb"], "no warehouse here"),
])
def test_qc_reminders_mistakes_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["reminders", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


# --- settings and lexicons ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("[standard]\npromise_due_hours = 0\n", "standard.promise_due_hours must be a positive number of hours"),
    ("[standard]\npayment_close_hours = \"72\"\n", "config key 'standard.payment_close_hours' must be a number"),
    ("[standard]\npromise_due_hours = 100\n", "standard.promise_follow_hours (72) must be at least standard.promise_due_hours (100)"),
    ("[standard]\npromise_hours = 24\n", "unknown config key 'standard.promise_hours'"),
])
def test_standard_settings_are_validated_in_one_line(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_config(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    result = runner.invoke(app, ["rebuild", "--config", str(path), "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and len([x for x in result.output.splitlines() if x.strip()]) == 1, result.output


ENTRY = 'id = "{id}"\npattern = "{pattern}"\nseverity = "info"\nexplanation = "e"\nsource = "s"\n'


def _lexicon(promise="查一下", extra=""):
    return (f"[[promise]]\n{ENTRY.format(id='p', pattern=promise)}[[pleasantry]]\n{ENTRY.format(id='q', pattern='好的')}"
            f"[[reminder]]\n{ENTRY.format(id='r', pattern='付款')}{extra}")


@pytest.mark.parametrize("text, message", [
    (_lexicon(promise="查("), "lexicons.toml: promise[0]: bad regular expression"),
    (_lexicon(promise="(?<=帮)查"), "lexicons.toml: promise[0]: bad regular expression|not supported by the matcher"),
    (_lexicon(extra="[[greeting]]\n" + ENTRY.format(id="g", pattern="你好")), "unknown table 'greeting'"),
    (_lexicon(extra="[[reminder]]\n" + ENTRY.format(id="p", pattern="付")), "reminder[1]: duplicate id 'p'"),
    (_lexicon().replace('source = "s"\n', "", 1), "promise[0]: 'source' must be a non-empty text"),
    ("[[promise]]\n" + ENTRY.format(id="p", pattern="查"), "needs at least one [[pleasantry]] entry"),
])
def test_bad_lexicon_entries_are_one_line_errors(text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        parse_standard_lexicons(text, "lexicons.toml")
    assert "\n" not in str(info.value)


def test_shipped_lexicons_match_the_standards_examples():
    import re

    lex = standard_lexicons()
    promise, pleasantry, reminder = (re.compile(p) for p in (lex.promise_pattern, lex.pleasantry_pattern,
                                                             lex.reminder_pattern))
    for text in ("我帮您查一下", "核实后回复您", "稍后给您答复", "明天给您回复", "我去问一下仓库",
                 "我们这边也同步联系快递员核实", "有消息第一时间通知您"):
        assert promise.search(text), text
    for text in ("好的", "在的", "请稍等", "亲，这款是纯棉的", "您好，现在下单今天发货"):
        assert not promise.search(text), text
    for text in ("亲，您的订单还没付款哦", "记得付款", "尽快付款", "库存紧张"):
        assert reminder.search(text), text
    assert not reminder.search("亲，这款有现货")
    assert all(e.explanation and e.source for e in (*lex.promise, *lex.pleasantry, *lex.reminder))
    assert pleasantry.sub("", "好的亲") == ""
