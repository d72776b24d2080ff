"""A small warehouse for the report tests, filled table by table (no ingest, no rebuild).

Two ISO weeks (2026-W46, 2026-W47), three agents of one shop, sessions with known waits, flags with known
spans, chat text that tries HTML/script and spreadsheet-formula injection, and buyers' personal data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from qc_pipeline.weekly import agent_week_response, reception_kpis, weekly_flag_counts
from qc_pipeline.store.schema import FLAG_CATEGORIES
from qc_pipeline.store.warehouse import open_warehouse

SHOP = "星河服饰旗舰店"
XIAOYA = f"{SHOP}:小雅"
AJIE = f"{SHOP}:阿杰"
XIAOMEI = f"{SHOP}:小美"
AGENTS = {XIAOYA: ("小雅", "presale"), AJIE: ("阿杰", "presale"), XIAOMEI: ("小美", "aftersale")}
WEEKS = ("2026-W46", "2026-W47")
MONDAYS = {"2026-W46": dt.date(2026, 11, 9), "2026-W47": dt.date(2026, 11, 16)}

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PHONE, PHONE_MASKED = "13912345678", "139****5678"
ID_NUMBER, ID_MASKED = "110101199003071234", "110***********1234"
EMAIL, EMAIL_MASKED = "zhangsan@example.com", "z***@example.com"
ADDRESS_DETAIL = "文三路100号5幢301室"
ADDRESS = f"浙江省杭州市西湖区{ADDRESS_DETAIL}"
AGENT_PHONE = "13812345678"

BUYERS = ["tb_88123", "星星买家", "momo_2026", "快乐小羊"]

# Buyer messages, in turn: hostile markup, personal data, plain questions.
BUYER_TEXTS = [
    f"在吗 {SCRIPT}",
    f"我的手机{PHONE}，地址{ADDRESS}，麻烦尽快发",
    f"这件有货吗 {IMG}",
    f"发票抬头用身份证{ID_NUMBER}，邮箱 {EMAIL}",
    "M码偏大吗",
]


@dataclass
class Flagged:
    """An agent (or auto-reply) message carrying a flag over ``matched``."""
    text: str
    matched: str
    rule_id: str
    category: str
    severity: str
    role: str = "agent"
    also: tuple[str, ...] = ()  # more hits of the same rule in the same message: one violation, several spans

    @property
    def start(self) -> int:
        return self.text.index(self.matched)

    @property
    def end(self) -> int:
        return self.start + len(self.matched)


# (week, agent, session number) -> the reply that carries a flag. Texts open with formula characters on
# purpose: they reach the workbook's flag sheets.
FLAGGED = {
    ("2026-W47", XIAOYA, 0): Flagged('=HYPERLINK("http://x")亲，这是最好的面料', "最好", "AD-EXTREME-001",
                                     "extreme_word", "critical"),
    ("2026-W47", XIAOYA, 1): Flagged(f"+1 亲加我微信{AGENT_PHONE}发你链接", f"加我微信{AGENT_PHONE}", "OFF-PLATFORM-001",
                                     "off_platform", "critical"),
    ("2026-W47", AJIE, 0): Flagged("@SUM(1) 卧槽这也太快了", "卧槽", "SLANG-001", "slang", "minor"),
    ("2026-W47", AJIE, 2): Flagged(f"{SCRIPT}绝对是全网第一", "全网第一", "AD-EXTREME-002", "extreme_word", "critical",
                                  also=("绝对",)),
    ("2026-W47", XIAOMEI, 1): Flagged("-这个可能要等等吧", "可能", "HEDGE-001", "hedging", "minor"),
    ("2026-W46", AJIE, 1): Flagged("应该明天能到吧", "应该", "HEDGE-001", "hedging", "minor"),
    # Auto-replies are shown, not counted.
    ("2026-W47", XIAOYA, 3): Flagged("【自动回复】本店最便宜", "最便宜", "AD-EXTREME-003", "extreme_word", "critical",
                                     role="auto"),
}

# First and follow-up waits (seconds) per (week, agent): one entry per session; None = unanswered follow-up.
WAITS = {
    ("2026-W46", XIAOYA): [(12, 60), (25, 200), (40, 90), (8, 30), (18, None)],
    ("2026-W46", AJIE): [(35, 100), (50, 150), (20, 400), (70, 60), (28, 45)],
    ("2026-W46", XIAOMEI): [(120, 100), (250, 300), (400, 60), (90, None), (60, 30)],
    ("2026-W47", XIAOYA): [(10, 50), (15, 120), (22, 70), (5, 20), (31, 190)],
    ("2026-W47", AJIE): [(45, 300), (33, 80), (29, 100), (90, None), (12, 60)],
    ("2026-W47", XIAOMEI): [(200, 100), (310, 90), (150, 200), (80, 40), (600, None)],
}

# (week, agent) -> (inquiries, ordering_buyers, paying_buyers, sales_amount, refund_amount, refund_orders, assists)
CONVERSION = {
    ("2026-W46", XIAOYA): (38, 24, 20, "5230.50", "199.00", 1, 2),
    ("2026-W46", AJIE): (25, 17, 15, "3100.00", "0.00", 0, 1),
    ("2026-W47", XIAOYA): (40, 28, 25, "6480.00", "299.00", 2, 1),
    ("2026-W47", AJIE): (30, 16, 14, "2890.40", "89.90", 1, 0),
}
SHOP_WEEK = {
    "2026-W46": (63, 35, "8330.50", 4, "812.00"),
    "2026-W47": (70, 39, "9370.40", 6, "1024.50"),
}
BANDS = ((70, "excellent"), (60, "good"), (50, "pass"), (0, "fail"))
MIN_INQUIRIES = 20


@dataclass
class Built:
    path: Path
    con: duckdb.DuckDBPyConnection
    messages: list[dict] = field(default_factory=list)


def _id(*parts) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def _band(paying: int, inquiries: int) -> str | None:
    if not inquiries:
        return None
    if inquiries < MIN_INQUIRIES:
        return "insufficient_data"
    return next(name for pct, name in BANDS if paying * 100 >= pct * inquiries)


def _target(role: str, first: bool) -> int:
    if first:
        return 300 if role == "aftersale" else 30
    return 180


def build(path: Path, weeks: tuple[str, ...] = WEEKS) -> Built:
    con = open_warehouse(path)
    built = Built(path, con)
    for agent, (name, role) in AGENTS.items():
        con.execute("INSERT INTO agents VALUES (?, ?, ?, ?, 'roster.csv')", [agent, name, "一组", role])
    line = 0
    for week in weeks:
        for a_index, (agent, (_, role)) in enumerate(AGENTS.items()):
            for k, (first_wait, follow_wait) in enumerate(WAITS[(week, agent)]):
                day = MONDAYS[week] + dt.timedelta(days=k + a_index)
                start = dt.datetime.combine(day, dt.time(9 + 3 * a_index, 10 * k))
                buyer = BUYERS[(k + a_index) % len(BUYERS)]
                line = _session(con, built, week, agent, role, k, start, buyer, first_wait, follow_wait, line)
    _agent_week(con, weeks)
    for week in weeks:
        inquiries, paying, sales, silent, silent_amount = SHOP_WEEK[week]
        con.execute(
            "INSERT INTO shop_week VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            [week, SHOP, inquiries, paying, paying / inquiries, sales, silent, silent_amount],
        )
    con.execute("INSERT OR REPLACE INTO meta VALUES ('rule_version', 'rules-2026.11'), "
                "('scorecard_version', 'scorecard-1')")
    return built


def _session(con, built, week, agent, role, k, start, buyer, first_wait, follow_wait, line) -> int:
    session_id = "s_" + _id(week, agent, k)[:16]
    flagged = FLAGGED.get((week, agent, k))
    t = start
    msgs = []

    def add(role_: str, when: dt.datetime, text: str) -> dict:
        nonlocal line
        line += 1
        m = {"msg_id": _id(session_id, line), "shop": SHOP, "buyer": buyer, "agent": agent, "role": role_,
             "sent_at": when, "text": text, "source_path": "chat.csv", "source_line": line}
        msgs.append(m)
        return m

    first_buyer = add("buyer", t, BUYER_TEXTS[k % len(BUYER_TEXTS)])
    if flagged is not None and flagged.role == "auto":
        add("auto", t + dt.timedelta(seconds=1), flagged.text)
    first_reply = add("agent", t + dt.timedelta(seconds=first_wait),
                      flagged.text if flagged is not None and flagged.role == "agent" else "亲，在的，有什么可以帮您")
    t2 = first_reply["sent_at"] + dt.timedelta(seconds=40)
    follow_buyer = add("buyer", t2, BUYER_TEXTS[(k + 2) % len(BUYER_TEXTS)])
    follow_reply = None
    if follow_wait is not None:
        follow_reply = add("agent", t2 + dt.timedelta(seconds=follow_wait), "好的亲，已为您备注")
    for m in msgs:
        con.execute(f"INSERT INTO messages ({', '.join(m)}) VALUES ({', '.join('?' * len(m))})", list(m.values()))
    built.messages.extend(msgs)

    con.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, strftime(?::TIMESTAMP, '%G-W%V'), false, NULL)",
        [session_id, SHOP, buyer, msgs[0]["sent_at"], msgs[-1]["sent_at"], agent, [agent], 2,
         sum(1 for m in msgs if m["role"] == "agent"), msgs[0]["sent_at"]],
    )
    rounds = [(1, True, first_buyer, first_reply, first_wait), (2, False, follow_buyer, follow_reply, follow_wait)]
    for no, is_first, opener, reply, wait in rounds:
        target = _target(role, is_first)
        con.execute(
            "INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [session_id, SHOP, buyer, agent, no, is_first, opener["sent_at"], opener["sent_at"],
             reply["sent_at"] if reply else None, float(wait) if wait is not None else None, target,
             wait is not None and wait <= target, reply is None, role, opener["msg_id"],
             reply["msg_id"] if reply else None, week, 1 if reply else 0],
        )

    deductions = []
    if first_wait > _target(role, True):
        deductions.append(("responsiveness", 40.0, f"首轮响应 {first_wait} 秒，超过目标 {_target(role, True)} 秒",
                           first_buyer["msg_id"]))
    if follow_wait is None:
        deductions.append(("responsiveness", 50.0, f"买家未获人工回复：「{follow_buyer['text']}」",
                           follow_buyer["msg_id"]))
    elif follow_wait > 180:
        deductions.append(("responsiveness", 15.0, f"后续响应 {follow_wait} 秒", follow_buyer["msg_id"]))
    auto_failed = False
    if flagged is not None:
        flag_msg = next(m for m in msgs if m["text"] == flagged.text)
        for matched in (flagged.matched, *flagged.also):
            start = flagged.text.index(matched)
            con.execute(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                [flag_msg["msg_id"], session_id, SHOP, agent, flagged.role, flag_msg["sent_at"], week,
                 flagged.rule_id, flagged.category, flagged.severity, start, start + len(matched), matched,
                 "rules-2026.11"],
            )
        if flagged.role == "agent":
            points = {"critical": 100.0, "major": 35.0, "minor": 10.0}[flagged.severity]
            deductions.append(("compliance", points,
                               f"{flagged.rule_id} {flagged.category}（{flagged.severity}）：「{flagged.matched}」",
                               flag_msg["msg_id"]))
            auto_failed = flagged.severity == "critical"
    responsiveness = max(0.0, 100 - sum(p for c, p, _, _ in deductions if c == "responsiveness"))
    compliance = max(0.0, 100 - sum(p for c, p, _, _ in deductions if c == "compliance"))
    outcome = (100.0 if k % 2 == 0 else 40.0) if role == "presale" else None
    if auto_failed:
        deductions.append(("auto_fail", 0.0, f"严重违规 {flagged.rule_id}「{flagged.matched}」，整通会话判 0 分",
                           None))
        score = 0.0
    elif outcome is None:
        score = (40 * responsiveness + 40 * compliance) / 80
    else:
        score = (40 * responsiveness + 40 * compliance + 20 * outcome) / 100
    con.execute(
        "INSERT INTO session_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scorecard-1', NULL)",
        [session_id, SHOP, agent, week, score, auto_failed, responsiveness, compliance, outcome],
    )
    for category, points, reason, msg_id in deductions:
        con.execute("INSERT INTO score_deductions VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                    [session_id, category, points, reason, msg_id, SHOP, week])
    return line


def _agent_week(con: duckdb.DuckDBPyConnection, weeks: tuple[str, ...]) -> None:
    con.register("_response", agent_week_response(con.sql("SELECT * FROM rounds").pl(), 600).to_arrow())
    con.execute("INSERT INTO agent_week BY NAME SELECT * FROM _response")
    con.unregister("_response")
    con.execute("UPDATE agent_week SET agent_role = a.role FROM agents a WHERE a.agent = agent_week.agent")
    # The pipeline's own functions: flag figures count violations (flagged messages), not spans, and
    # 平均响应时长 (avg_response_s) is the mean capped wait of answered rounds.
    rounds = con.sql("SELECT * FROM rounds").pl()
    flags = con.sql("SELECT * FROM flags").pl()
    for part in (reception_kpis(rounds, 600), weekly_flag_counts(flags)):
        con.register("_part", part.to_arrow())
        columns = [c for c in part.columns if c not in ("week", "shop", "agent")]
        con.execute(f"UPDATE agent_week SET {', '.join(f'{c} = p.{c}' for c in columns)} FROM _part p "
                    "WHERE p.week = agent_week.week AND p.shop = agent_week.shop AND p.agent = agent_week.agent")
        con.unregister("_part")
    zero = [f"flags_{c}" for c in ("total", "critical", "major", "minor", *FLAG_CATEGORIES)] + ["violation_sessions"]
    con.execute(f"UPDATE agent_week SET {', '.join(f'{c} = coalesce({c}, 0)' for c in zero)}")
    con.execute("UPDATE agent_week SET violation_session_pct = 100.0 * violation_sessions / sessions WHERE sessions > 0")
    con.execute(
        """UPDATE agent_week SET scored_sessions = s.n, qc_score_avg = s.avg, auto_failed_sessions = s.failed
           FROM (SELECT week, agent, count(*) AS n, round(avg(score), 2) AS avg,
                        count(*) FILTER (WHERE auto_failed) AS failed
                 FROM session_scores GROUP BY week, agent) s
           WHERE s.week = agent_week.week AND s.agent = agent_week.agent"""
    )
    for (week, agent), (inq, ordering, paying, sales, refund, refund_orders, assists) in CONVERSION.items():
        if week not in weeks:
            continue
        con.execute(
            """UPDATE agent_week SET inquiries = ?, ordering_buyers = ?, paying_buyers = ?, conversion_rate = ?,
                      conversion_band = ?, sales_amount = ?, aov = ?, refund_amount = ?, refund_orders = ?, assists = ?
               WHERE week = ? AND agent = ?""",
            [inq, ordering, paying, paying / inq, _band(paying, inq), sales, float(sales) / paying, refund,
             refund_orders, assists, week, agent],
        )


def agent_week_rows(con: duckdb.DuckDBPyConnection, week: str) -> list[dict]:
    cur = con.execute("SELECT * FROM agent_week WHERE week = ? ORDER BY agent", [week])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


class PageCells(HTMLParser):
    """Reads a report page: every ``data-figure`` cell keyed by (section id, row's ``data-agent``/``data-shop``,
    figure) with its text and ``data-delta``; the text of every ``<mark>``; every tag and attribute seen."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.cells: dict[tuple[str | None, str | None, str], dict] = {}
        self.marks: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._row: str | None = None
        self._section: str | None = None
        self._cell: dict | None = None
        self._in_delta = False
        self._in_mark = False
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("style", "title"):
            self._skip += 1
        if tag == "section":
            self._section = attrs.get("id")
        if tag == "tr":
            self._row = attrs.get("data-agent") or attrs.get("data-shop")
        if "data-figure" in attrs:
            self._cell = {"value": attrs.get("data-value"), "text": "", "delta": None, "delta_text": ""}
            self.cells[(self._section, self._row, attrs["data-figure"])] = self._cell
        if tag == "span" and "data-delta" in attrs and self._cell is not None:
            self._cell["delta"] = attrs["data-delta"]
            self._in_delta = True
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag in ("style", "title"):
            self._skip -= 1
        if tag == "td":
            self._cell = None
        if tag == "span":
            self._in_delta = False
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)
        if self._cell is not None:
            self._cell["delta_text" if self._in_delta else "text"] += data
        if self._in_mark:
            self.marks[-1] += data


    def figure(self, key: str, row: str | None = None, section: str | None = None) -> dict:
        """The one cell showing ``key`` (for ``row``, in ``section`` when given)."""
        found = [c for (sec, r, k), c in self.cells.items()
                 if k == key and r == row and (section is None or sec == section)]
        assert len(found) == 1, (key, row, section, len(found))
        return found[0]


def read_page(path: Path) -> PageCells:
    return PageCells(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The report tests' warehouse, built once per test module that uses it."""
    built = build(tmp_path_factory.mktemp("warehouse") / "qc.duckdb")
    yield built
    built.con.close()
