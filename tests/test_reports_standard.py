"""The service-standard section of the weekly reports (agent pages, summary, the 服务规范 sheet, summary.md),
checked against the warehouse tables promises, handovers, shift_week, payment_reminders and
stale_auto_replies read here in plain SQL and Python: on the sample (whatever it plants), and on a small
hand-built warehouse that has every list non-empty, hostile text and personal data included."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import statistics
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import rebuild
from qc_pipeline.reports import limits, write_reports
from qc_pipeline.reports.masking import mask_nick, mask_text
from qc_pipeline.reports.standard import SHEET_COLUMNS
from qc_pipeline.store.partitions import mark_stale
from qc_pipeline.store.warehouse import open_warehouse
from tests.builders import A, B, SHOP, load_messages, message_frame
from tests.report_fixtures import read_page
from tests.test_sample_truth import run_pipeline

REPO = Path(__file__).resolve().parents[1]
GENERATED = dt.datetime(2026, 12, 1, 9, 0)


class Standard(HTMLParser):
    """A page's service-standard lists: each promise block (status, every transcript line, the marked ones),
    each ``data-list`` table's ``data-row`` keys and text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.promises: dict[str, dict] = {}
        self.lists: dict[str, list[str]] = {}
        self.row_text: dict[tuple[str, str], str] = {}
        self._promise: dict | None = None
        self._line: dict | None = None
        self._list: str | None = None
        self._row: str | None = None
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "data-promise" in attrs:
            self._promise = {"status": attrs["data-status"], "lines": [], "marked": []}
            self.promises[attrs["data-promise"]] = self._promise
            self._depth = 1
        elif tag == "div" and self._promise is not None:
            self._depth += 1
        if tag == "li" and self._promise is not None and "omitted" not in (attrs.get("class") or ""):
            self._line = {"text": "", "who": "", "marked": "data-marked" in attrs, "in_who": False}
        if tag == "span" and self._line is not None and attrs.get("class") == "who":
            self._line["in_who"] = True
        if tag in ("table", "ul") and "data-list" in attrs:
            self._list = attrs["data-list"]
            self.lists.setdefault(self._list, [])
        if tag in ("tr", "li") and "data-row" in attrs:
            key = self._list
            self.lists.setdefault(key, []).append(attrs["data-row"])
            self._row = (key, attrs["data-row"])
            self.row_text[self._row] = ""

    def handle_endtag(self, tag):
        if tag == "span" and self._line is not None:
            self._line["in_who"] = False
        if tag == "li" and self._line is not None:
            self._promise["lines"].append(self._line)
            if self._line["marked"]:
                self._promise["marked"].append(self._line["text"])
            self._line = None
        if tag == "div" and self._promise is not None:
            self._depth -= 1
            if self._depth == 0:
                self._promise = None
        if tag in ("table", "ul"):
            self._list = None
        if tag in ("tr", "li"):
            self._row = None

    def handle_data(self, data):
        if self._line is not None:
            self._line["who" if self._line["in_who"] else "text"] += data
        if self._row is not None:
            self.row_text[self._row] += data


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _pages(folder: Path) -> dict[str, Path]:
    out = {}
    for path in (folder / "agents").glob("*.html"):
        found = re.search(r'<h1 data-agent="([^"]*)">', path.read_text(encoding="utf-8"))
        out[html.unescape(found.group(1))] = path
    return out


def _num(value: str) -> float | None:
    return None if value in ("", None) else float(value)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- ground truth: the warehouse tables, read plainly -----------------------------------------------------

def truth(con, week: str) -> dict:
    promises = _rows(con, "SELECT p.*, m.text, m.buyer AS nick FROM promises p LEFT JOIN messages m USING (msg_id) "
                          "WHERE p.week = ?", [week])
    handovers = _rows(con, "SELECT * FROM handovers WHERE week = ?", [week])
    orders = _rows(con, "SELECT * FROM payment_reminders WHERE week = ?", [week])
    texts = {m: (t, b) for m, t, b in con.execute("SELECT msg_id, text, buyer FROM messages").fetchall()}
    return {"promises": promises, "handovers": handovers, "orders": orders, "texts": texts}


def agent_truth(t: dict, agent: str) -> dict:
    mine = [p for p in t["promises"] if p["agent"] == agent]
    answered = [p["keep_seconds"] for p in mine if p["status"] in ("kept", "late")]
    kept = sum(p["status"] == "kept" for p in mine)
    first = [o for o in t["orders"] if o["reminded_by"] == agent]
    paid = [o for o in first if o["paid_after_reminder"]]
    taken = [h for h in t["handovers"] if h["answered_by"] == agent and h["status"] == "answered"]
    return {
        "promises": len(mine),
        "promises_kept_pct": 100.0 * kept / len(mine) if mine else None,
        "promise_keep_median_s": _median(answered),
        **{f"promises_status_{s}": sum(p["status"] == s for p in mine) for s in ("kept", "late", "broken", "open")},
        "handovers_left": sum(h["left_by"] == agent for h in t["handovers"]),
        "handovers_answered": len(taken),
        "handover_answer_median_s": _median([h["wait_after_shift_start_s"] for h in taken]),
        "reminders_sent": len(first),
        "reminded_paid": len(paid),
        "reminder_success_pct": 100.0 * len(paid) / len(first) if first else None,
        "reminder_recovered_amount": float(sum(o["amount"] for o in paid)) if paid else 0.0,
        "listed": sorted((p for p in mine if p["status"] in ("broken", "late")),
                         key=lambda p: (p["promised_at"], p["msg_id"])),
    }


FIGURES = ("promises", "promises_kept_pct", "promise_keep_median_s", "promises_status_kept", "promises_status_late",
           "promises_status_broken", "promises_status_open", "handovers_left", "handovers_answered",
           "handover_answer_median_s", "reminders_sent", "reminded_paid", "reminder_success_pct",
           "reminder_recovered_amount")


def check_agent_pages(con, folder: Path, week: str) -> int:
    """Every agent page against the tables; returns the broken and late promises checked."""
    t = truth(con, week)
    pages = _pages(folder)
    assert pages
    checked = 0
    for agent, path in pages.items():
        want = agent_truth(t, agent)
        page = read_page(path)
        for key in FIGURES:
            got = _num(page.figure(key, None, "standard")["value"])
            assert got == (pytest.approx(want[key]) if want[key] is not None else None), (agent, key)
        shown = Standard(path.read_text(encoding="utf-8"))
        listed = want["listed"]
        assert len(shown.promises) == min(len(listed), limits.STANDARD_PROMISES), agent
        for p in listed[: limits.STANDARD_PROMISES]:
            block = shown.promises[p["msg_id"]]
            assert block["status"] == p["status"]
            # the promise (and, for a late one, the answer) is a marked line, masked as every page masks text
            expected = [mask_text(p["text"], [p["nick"]])]
            if p["kept_msg_id"]:
                text, nick = t["texts"][p["kept_msg_id"]]
                expected.append(mask_text(text, [nick]))
            assert block["marked"] == expected, (agent, p["msg_id"])
            buyer_lines = [line for line in block["lines"] if line["who"].strip().endswith(mask_nick(p["nick"]))]
            assert all(p["nick"] not in line["who"] for line in block["lines"]) or len(p["nick"]) <= 1
            assert buyer_lines or p["status"] == "broken"
            checked += 1
        left = sorted(f"{h['session_id']}/{h['round_no']}" for h in t["handovers"] if h["left_by"] == agent)
        taken = sorted(f"{h['session_id']}/{h['round_no']}" for h in t["handovers"] if h["answered_by"] == agent)
        assert sorted(shown.lists.get("handovers-left", [])) == left, agent
        assert sorted(shown.lists.get("handovers-taken", [])) == taken, agent
        reminded = sorted(o["order_id"] for o in t["orders"] if o["reminded_by"] == agent)
        assert sorted(shown.lists.get("reminders", [])) == reminded, agent
        written, malformed, overwrote = con.execute(
            """SELECT count(*) FILTER (WHERE agent = $a), count(*) FILTER (WHERE agent = $a AND status = 'malformed'),
                      count(*) FILTER (WHERE overwritten_by = $a) FROM order_remarks WHERE week = $w""",
            {"a": agent, "w": week}).fetchone()
        for key, value in (("remarks_written", written), ("remarks_malformed", malformed),
                           ("remarks_overwritten", overwrote)):
            assert _num(page.figure(key, None, "standard")["value"]) == value, (agent, key)
        listed = sorted(o for (o,) in con.execute(
            "SELECT order_id FROM order_remarks WHERE week = $w AND ((agent = $a AND status = 'malformed') "
            "OR overwritten_by = $a)", {"a": agent, "w": week}).fetchall())
        assert sorted(shown.lists.get("remarks", [])) == listed, agent
    return checked


def check_summary(con, folder: Path, week: str) -> None:
    t = truth(con, week)
    page = read_page(folder / "summary.html")
    promises, handovers = t["promises"], t["handovers"]
    kept = sum(p["status"] == "kept" for p in promises)
    first = [o for o in t["orders"] if o["reminded_by"] is not None]
    paid = [o for o in first if o["paid_after_reminder"]]
    chased = [o for o in t["orders"] if o["reminding_agents"] > 1]
    answered = [h["wait_after_shift_start_s"] for h in handovers if h["status"] == "answered"]
    stale = con.execute("SELECT count(*) FROM stale_auto_replies WHERE week = ?", [week]).fetchone()[0]
    want = {
        "promises": len(promises), "promises_kept_pct": 100.0 * kept / len(promises) if promises else None,
        "promises_late": sum(p["status"] == "late" for p in promises),
        "promises_broken": sum(p["status"] == "broken" for p in promises),
        "promises_open": sum(p["status"] == "open" for p in promises),
        "promise_keep_median_s": _median([p["keep_seconds"] for p in promises if p["status"] in ("kept", "late")]),
        "handovers_left": len(handovers), "handovers_unanswered": sum(h["status"] == "unanswered" for h in handovers),
        "handovers_answered": len(answered), "handover_answer_median_s": _median(answered),
        "reminders_sent": len(first), "reminded_paid": len(paid),
        "reminder_success_pct": 100.0 * len(paid) / len(first) if first else None,
        "reminder_recovered_amount": float(sum(o["amount"] for o in paid)),
        "double_chased_buyers": len({(o["shop"], o["buyer"]) for o in chased}), "stale_auto_replies": stale,
    }
    remarks = con.execute("SELECT status, agent, overwritten_by, order_id FROM order_remarks WHERE week = ?",
                          [week]).fetchall()
    want.update({
        "remarks_written": len(remarks), "remarks_malformed": sum(r[0] == "malformed" for r in remarks),
        "remarks_overwritten": sum(r[2] is not None for r in remarks),
        "remarks_unnamed": sum(r[1] is None for r in remarks),
    })
    for key, value in want.items():
        got = _num(page.figure(key, None, "standard")["value"])
        assert got == (pytest.approx(value) if value is not None else None), key
    for agent in {p["agent"] for p in promises if p["agent"]}:
        assert _num(page.figure("promises", agent, "standard")["value"]) == agent_truth(t, agent)["promises"]
    shown = Standard((folder / "summary.html").read_text(encoding="utf-8"))
    assert sorted(shown.lists.get("chased", [])) == sorted(o["order_id"] for o in chased)
    listed = sorted(r[3] for r in remarks if r[0] == "malformed" or r[2] is not None)
    assert sorted(shown.lists.get("remarks", [])) == listed[: limits.STANDARD_REMARKS]
    groups = con.execute("SELECT count(DISTINCT (shop, text, lexicon_id, announced_end)) FROM stale_auto_replies "
                         "WHERE week = ?", [week]).fetchone()[0]
    assert len(shown.lists.get("stale", [])) == groups
    shifts = con.execute("SELECT shop, shift, handovers_left, handovers_received FROM shift_week WHERE week = ?",
                         [week]).fetchall()
    text = (folder / "summary.html").read_text(encoding="utf-8")
    for shop, shift, left, received in shifts:
        row = re.search(rf'<tr data-shift="{re.escape(html.escape(f"{shop}/{shift}"))}">(.*?)</tr>', text, re.S)
        assert row, (shop, shift)
        assert f'data-col="handovers_left" data-value="{left}"' in row.group(1)
        assert f'data-col="handovers_received" data-value="{received}"' in row.group(1)


def check_sheet(con, folder: Path, week: str, lang_kinds=("查询承诺", "下班交接", "催付", "订单备注")) -> list[tuple]:
    t = truth(con, week)
    wb = openpyxl.load_workbook(folder / f"qc-{week}.xlsx")
    ws = wb["服务规范"]
    rows = list(ws.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert head[0] == "类型" and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(head))}{max(len(body), 1) + 1}"
    ref, kind = head.index("消息/会话"), head.index("类型")
    promise, handover, reminder, remark = lang_kinds
    assert sorted(r[ref] for r in body if r[kind] == promise) == sorted(p["msg_id"] for p in t["promises"])
    assert sorted(r[ref] for r in body if r[kind] == handover) == sorted(h["session_id"] for h in t["handovers"])
    assert sorted(r[ref] for r in body if r[kind] == reminder) == sorted(
        o["order_id"] for o in t["orders"] if o["reminders"] > 0)
    assert sorted(r[ref] for r in body if r[kind] == remark) == sorted(o for (o,) in con.execute(
        "SELECT order_id FROM order_remarks WHERE week = ? AND (status = 'malformed' OR overwritten_by IS NOT NULL)",
        [week]).fetchall())
    # real numbers and times, not text
    wait, at = head.index("等待（秒）"), head.index("时间")
    by_msg = {p["msg_id"]: p for p in t["promises"]}
    for r in body:
        assert isinstance(r[at], dt.datetime)
        if r[kind] == promise:
            p = by_msg[r[ref]]
            assert r[wait] == (pytest.approx(p["keep_seconds"]) if p["keep_seconds"] is not None else None)
            assert r[at] == p["promised_at"]
    return body


# --- the sample ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample_standard")
    shutil.copytree(REPO / "sample_logs", root / "logs")
    con, _ = run_pipeline([root / "logs"], root / "qc.duckdb")
    weeks = [w for (w,) in con.execute("SELECT DISTINCT week FROM agent_week ORDER BY week").fetchall()]
    for week in weeks:
        write_reports(con, week, root / "reports", generated_at=GENERATED)
    yield con, root / "reports", weeks
    con.close()


def test_sample_agent_pages_list_every_broken_and_late_promise_with_the_tables_counts(sample):
    con, reports, weeks = sample
    checked = sum(check_agent_pages(con, reports / week, week) for week in weeks)
    listed = con.execute("SELECT count(*) FROM promises WHERE status IN ('broken', 'late')").fetchone()[0]
    assert listed > 0 and checked == listed  # the sample plants broken promises, each listed once


def test_sample_summary_totals_lists_and_shifts_are_the_tables(sample):
    con, reports, weeks = sample
    for week in weeks:
        check_summary(con, reports / week, week)


def test_sample_standard_sheet_rows_are_the_tables_rows(sample):
    con, reports, weeks = sample
    assert sum(len(check_sheet(con, reports / week, week)) for week in weeks) > 0


def test_sample_summary_md_carries_the_team_figures(sample):
    con, reports, weeks = sample
    for week in weeks:
        md = (reports / week / "summary.md").read_text(encoding="utf-8")
        n, broken, late = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'broken'), count(*) FILTER (WHERE status = 'late') "
            "FROM promises WHERE week = ?", [week]).fetchone()
        left = con.execute("SELECT count(*) FROM handovers WHERE week = ?", [week]).fetchone()[0]
        assert f"查询承诺 {n} 个" in md and f"逾期 {late}，未兑现 {broken}" in md
        assert f"下班遗留 {left} 轮" in md


# --- a small warehouse where every list has rows ------------------------------------------------------------

NICK = "tb_secret_nick_77"
PHONE, PHONE_MASKED = "13912345678", "139****5678"
SCRIPT = "<script>alert(1)</script>"
HOSTILE_PROMISE = f'=HYPERLINK("http://x")亲，我帮您查一下物流{SCRIPT}，有消息打{PHONE}'
# An order remark: malformed (no time), a formula, a script and a phone number.
HOSTILE_REMARK = f'=HYPERLINK("http://x")改地址{SCRIPT}，电话{PHONE}—小雅'
PROMISE = "亲，我帮您查一下物流，稍后给您答复"
ANSWER = "亲，查到了，包裹在杭州中转，明天派送"
REMIND = "亲，您的订单还没付款哦，库存紧张，记得尽快付款"
PROMO = "双11狂欢，全场五折！客服小雅稍后为您服务"
WEEK = "2026-W47"

ROWS = [
    (NICK, "buyer", "2026-11-16 10:00:00", A, "我的快递怎么还没到"),
    (NICK, "agent", "2026-11-16 10:00:30", A, HOSTILE_PROMISE),                 # never answered: broken
    ("b_late", "buyer", "2026-11-16 11:00:00", A, "我的快递怎么还没到"),
    ("b_late", "agent", "2026-11-16 11:00:30", A, PROMISE),
    ("b_late", "agent", "2026-11-17 12:00:00", B, ANSWER),                      # a colleague, late
    ("b_kept", "buyer", "2026-11-16 12:00:00", A, "我的快递怎么还没到"),
    ("b_kept", "agent", "2026-11-16 12:00:30", A, PROMISE),
    ("b_kept", "agent", "2026-11-16 12:30:00", A, ANSWER),                      # kept
    ("d1", "agent", "2026-11-16 10:10:00", B, REMIND),                          # chased by B, then A
    ("d1", "buyer", "2026-11-16 14:59:00", A, "我再看看"),
    ("d1", "agent", "2026-11-16 15:00:00", A, "记得付款哦亲"),
    ("p2", "agent", "2026-11-18 10:30:00", A, REMIND),                          # reminded, then closed
    ("s1", "buyer", "2026-11-18 10:00:00", A, "在吗"),
    ("s1", "auto", "2026-11-18 10:00:01", A, PROMO),                            # a stale auto-reply
    ("h1", "buyer", "2026-11-19 00:29:00", A, "还在吗"),                         # waiting at the 00:30 shift end
    ("h1", "agent", "2026-11-19 08:40:00", B, "早上好亲，在的"),
    ("zz", "buyer", "2026-11-21 12:00:00", A, "在吗"),                           # the shop's latest message
]
ORDERS = [("o1", "d1", "2026-11-16 10:00:00", "2026-11-16 16:00:00", 88, "交易成功", HOSTILE_REMARK),
          ("o2", "p2", "2026-11-18 10:00:00", None, 59, "交易关闭", "备注发票—阿杰—11.18 10:20"),
          # a phone number where the agent's name belongs: a name not in the roster, shown masked
          ("o3", "b_kept", "2026-11-19 10:00:00", "2026-11-19 11:00:00", 20, "交易成功", f"改地址—{PHONE}—11.19 10:00")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("built_standard")
    con = open_warehouse(root / "qc.duckdb")
    con.execute("INSERT INTO agents VALUES (?, '小雅', NULL, 'presale', 't'), (?, '阿杰', NULL, 'presale', 't')",
                [A, B])
    load_messages(con, message_frame(ROWS))
    for oid, buyer, created, paid, amount, status, remark in ORDERS:
        con.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, 0, ?, 't', 1, ?)",
                    [oid, SHOP, buyer, dt.datetime.fromisoformat(created),
                     dt.datetime.fromisoformat(paid) if paid else None, amount, status, remark])
    mark_stale(con, {(SHOP, WEEK)})
    rebuild(con, load_config())
    write_reports(con, WEEK, root / "reports", generated_at=GENERATED)
    yield con, root / "reports" / WEEK
    con.close()


def test_built_warehouse_has_every_list(built):
    con, _ = built
    statuses = {s for (s,) in con.execute("SELECT status FROM promises").fetchall()}
    assert {"kept", "late", "broken"} <= statuses
    assert con.execute("SELECT count(*) FROM handovers").fetchone()[0] >= 1
    assert con.execute("SELECT count(*) FROM payment_reminders WHERE reminding_agents > 1").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM stale_auto_replies").fetchone()[0] == 1
    assert con.execute("SELECT order_id, status, problem FROM order_remarks ORDER BY 1").fetchall() == [
        ("o1", "malformed", "no time"), ("o2", "ok", None), ("o3", "malformed", "agent not in roster")]


def test_built_pages_summary_and_sheet_are_the_tables(built):
    con, folder = built
    assert check_agent_pages(con, folder, WEEK) == 2
    check_summary(con, folder, WEEK)
    body = check_sheet(con, folder, WEEK)
    assert len(body) == 3 + 1 + 2 + 2


def test_built_reminders_chased_buyers_and_stale_replies_are_listed(built):
    con, folder = built
    summary = Standard((folder / "summary.html").read_text(encoding="utf-8"))
    assert summary.lists["chased"] == ["o1"]
    assert "2" in summary.row_text[("chased", "o1")] and mask_nick("d1") in summary.row_text[("chased", "o1")]
    first, last = con.execute("SELECT min(sent_at), max(sent_at) FROM stale_auto_replies").fetchone()
    stale_text = summary.row_text[("stale", SHOP)]
    assert PROMO in stale_text and str(first) in stale_text and str(last) in stale_text
    pages = _pages(folder)
    b_page = Standard(pages[B].read_text(encoding="utf-8"))
    assert b_page.lists["reminders"] == ["o1"] and b_page.lists["chased"] == ["o1"]
    a_page = Standard(pages[A].read_text(encoding="utf-8"))
    assert a_page.lists["reminders"] == ["o2"] and "chased" not in a_page.lists
    outcomes = dict(re.findall(r'<tr data-row="(o\d)">.*?data-outcome="([a-z_]+)"', pages[A].read_text(encoding="utf-8")
                               + pages[B].read_text(encoding="utf-8"), re.S))
    assert outcomes == {"o1": "paid_after_reminder", "o2": "closed"}


def _xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


def test_built_chat_text_is_escaped_masked_and_neutralised_everywhere(built):
    con, folder = built
    files = [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        text = _xlsx_text(path) if path.suffix == ".xlsx" else path.read_bytes().decode("utf-8", "replace")
        if path.suffix in (".html", ".md", ".csv", ".xlsx"):
            assert PHONE not in text, path
            assert NICK not in text, path
        if path.suffix == ".html":
            assert SCRIPT not in text, path
    page = _pages(folder)[A].read_text(encoding="utf-8")
    promise_id = con.execute("SELECT msg_id FROM promises WHERE status = 'broken'").fetchone()[0]
    block = Standard(page).promises[promise_id]
    assert block["marked"] == [mask_text(HOSTILE_PROMISE, [NICK])]
    assert PHONE_MASKED in block["marked"][0] and SCRIPT in block["marked"][0]  # shown as text, escaped in the HTML
    assert html.escape(SCRIPT, quote=False) in page
    ws = openpyxl.load_workbook(folder / f"qc-{WEEK}.xlsx")["服务规范"]
    head = [c.value for c in ws[1]]
    texts = [r[head.index("内容（脱敏）")] for r in ws.iter_rows(min_row=2, values_only=True) if r[head.index("内容（脱敏）")]]
    hostile = [t for t in texts if "HYPERLINK" in t]
    assert sorted(hostile) == sorted(["'" + mask_text(HOSTILE_PROMISE, [NICK]), "'" + mask_text(HOSTILE_REMARK, ["d1"])])
    remark = re.search(r'<tr data-row="o1" data-status="malformed">(.*?)</tr>', page, re.S).group(1)
    assert SCRIPT not in remark and html.escape(SCRIPT, quote=False) in remark
    assert mask_text(HOSTILE_REMARK, ["d1"]) in html.unescape(remark) and PHONE_MASKED in remark
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    named = re.search(r'<tr data-row="o3" data-status="malformed">(.*?)</tr>', summary, re.S).group(1)
    assert named.count(PHONE_MASKED) == 2  # the line and the name read from it


def test_remark_names_outside_the_roster_are_masked_where_they_are_shown():
    """Whoever a remark names, in its name or as the agent whose later remark replaced it, is shown as
    written only when it is an agent of the roster."""
    from qc_pipeline.reports.labels import Labels
    from qc_pipeline.reports.standard import _remark_rows
    from qc_pipeline.standard.remarks import REMARK_SCHEMA
    row = dict.fromkeys(REMARK_SCHEMA) | {
        "order_id": "o9", "shop": SHOP, "buyer": NICK, "line": "改地址—小雅—11.15", "status": "ok",
        "agent_name": "小雅", "agent": A, "overwritten_by": PHONE, "overwritten_at": dt.datetime(2026, 11, 16)}
    other = row | {"order_id": "o8", "agent_name": f"{PHONE}", "agent": None, "status": "malformed",
                   "problem": "agent not in roster", "overwritten_by": B}
    remarks = pl.DataFrame([row, other], schema=REMARK_SCHEMA)
    masked = {r["order_id"]: r for r in _remark_rows(remarks, Labels("zh"), mask=True)}
    assert masked["o9"]["overwritten_by"] == PHONE_MASKED and masked["o9"]["agent_name"] == "小雅"
    assert masked["o8"]["agent_name"] == PHONE_MASKED and masked["o8"]["overwritten_by"] == B
    assert masked["o9"]["_overwritten_by"] == PHONE   # the pages still find whose it is
    shown = {r["order_id"]: r for r in _remark_rows(remarks, Labels("zh"), mask=False)}
    assert shown["o9"]["overwritten_by"] == PHONE and shown["o8"]["agent_name"] == PHONE


def test_built_unmasked_report_shows_the_phone_with_its_banner(built, tmp_path):
    con, _ = built
    write_reports(con, WEEK, tmp_path, mask=False, generated_at=GENERATED)
    page = _pages(tmp_path / WEEK)[A].read_text(encoding="utf-8")
    assert PHONE in page and NICK in page and SCRIPT not in page


def test_an_agent_with_more_broken_promises_than_shown_gets_the_first_and_a_pointer_to_the_sheet(built, tmp_path,
                                                                                               monkeypatch):
    con, _ = built
    monkeypatch.setattr(limits, "STANDARD_PROMISES", 1)
    write_reports(con, WEEK, tmp_path, generated_at=GENERATED)
    page = _pages(tmp_path / WEEK)[A].read_text(encoding="utf-8")
    listed = con.execute("SELECT msg_id FROM promises WHERE agent = ? AND status IN ('broken', 'late') "
                         "ORDER BY promised_at, msg_id", [A]).fetchall()
    assert len(listed) == 2
    assert list(Standard(page).promises) == [listed[0][0]]
    assert "显示 1 个，共 2 个" in page and f"qc-{WEEK}.xlsx" in page and "standard.csv" in page


def _standard_csv(folder: Path) -> list[dict]:
    import csv

    with open(folder / "standard.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _sheet_rows(folder: Path) -> tuple[list, list[tuple]]:
    ws = openpyxl.load_workbook(folder / f"qc-{WEEK}.xlsx")["服务规范"]
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def test_standard_csv_lists_every_row_of_the_sheet_neutralised_and_masked(built):
    con, folder = built
    listed = _standard_csv(folder)
    head, body = _sheet_rows(folder)
    ref, kind = head.index("消息/会话"), head.index("类型")
    assert [(r["ref"], r["kind"]) for r in listed] == [(row[ref], row[kind]) for row in body]
    assert len(listed) == 3 + 1 + 2 + 2 and list(listed[0]) == list(SHEET_COLUMNS)
    hostile = sorted(r["text"] for r in listed if "HYPERLINK" in r["text"])
    assert hostile == sorted(["'" + mask_text(HOSTILE_PROMISE, [NICK]), "'" + mask_text(HOSTILE_REMARK, ["d1"])])
    assert all(r["buyer"] != NICK for r in listed) and mask_nick(NICK) in {r["buyer"] for r in listed}


def test_a_sheet_over_its_limit_shows_what_needs_attention_first_and_points_to_standard_csv(built, tmp_path,
                                                                                           monkeypatch):
    con, _ = built
    monkeypatch.setattr(limits, "SHEET_STANDARD", 3)
    write_reports(con, WEEK, tmp_path, generated_at=GENERATED)
    folder = tmp_path / WEEK
    listed = _standard_csv(folder)
    head, body = _sheet_rows(folder)
    ref, status, kind = head.index("消息/会话"), head.index("状态"), head.index("类型")
    rows, note = [r for r in body if r[ref] is not None], [r[0] for r in body if r[ref] is None]
    # broken and late promises, buyers left at a shift's end and remarks, in the list's order
    needs = [r for r in listed if r["status"] in ("未兑现", "逾期答复", "未回复") or r["kind"] == "订单备注"]
    assert len(listed) == 8 and len(needs) == 4
    assert [(r[ref], r[status]) for r in rows] == [(r["ref"], r["status"]) for r in needs[:3]]
    assert note == ["列出 3 行（需关注的在前），共 8 行；完整列表见 standard.csv。"]
    assert {r[kind] for r in rows} == {"查询承诺", "订单备注"}
