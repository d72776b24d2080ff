"""The trainers' case library on hand-made conversations whose classification is known."""
from __future__ import annotations

import json
import re

import pytest

from qc_pipeline.cases import build_cases, write_cases
from qc_pipeline.errors import UserError
from qc_pipeline.ingest.discover import OUTPUT_MARKER
from tests.case_fixtures import A, EXPECTED, PHONE, SCRIPT, build_warehouse, session_of

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The warehouse with W47's cases built once and written in Chinese."""
    folder = tmp_path_factory.mktemp("cases")
    con = build_warehouse(folder / "qc.duckdb")
    frame = build_cases(con, WEEK)
    paths = write_cases(con, WEEK, folder / "out")
    yield con, frame, folder / "out", paths
    con.close()


@pytest.fixture
def fresh(tmp_path):
    con = build_warehouse(tmp_path / "qc.duckdb")
    yield con
    con.close()


def by_buyer(con, frame):
    buyers = dict(con.execute("SELECT session_id, buyer FROM sessions").fetchall())
    return {buyers[r["session_id"]]: r for r in frame.iter_rows(named=True)}


def test_each_conversation_is_filed_where_expected(built):
    con, frame, _, _ = built
    got = {b: (r["kind"], r["category"]) for b, r in by_buyer(con, frame).items()}
    assert got == EXPECTED
    # Clean and fast but no order, or converted after a late first reply: neither good nor bad.
    assert "buyer_plain" not in got and "buyer_late_won" not in got


def test_the_closing_thanks_is_not_an_unanswered_question(built):
    con, frame, _, _ = built
    after = by_buyer(con, frame)["buyer_after"]
    assert after["category"] == "aftersale_resolved" and "unanswered" not in after["matched"]
    assert "为您退款" in after["reason"] and "谢谢" in after["reason"]
    # The outcome of an after-sale talk is the order it is about, with its refund.
    assert (after["order_id"], str(after["order_amount"]), str(after["refund_amount"])) == ("o_after", "89.00", "89.00")


def test_ranking_order_and_its_explanation(built):
    con, frame, _, _ = built
    good = frame.filter(frame["kind"] == "good").sort("rank")
    bad = frame.filter(frame["kind"] == "bad").sort("rank")
    buyers = dict(con.execute("SELECT session_id, buyer FROM sessions").fetchall())
    # good: 100 + 20*(1-8/30) + 20*199/500 = 122.63; span 117.29; fine 109.03; after-sale 75 + 16 + 10 = 101
    assert [buyers[s] for s in good["session_id"]] == ["buyer_fast", "buyer_span", "buyer_fine", "buyer_after"]
    assert good["rank_score"].to_list() == [122.63, 117.29, 109.03, 101.0]
    # bad: critical 100+50+30; arguing 60+30+13; slow 25+30+14; unanswered 50+12.5
    assert [buyers[s] for s in bad["session_id"]] == ["buyer_crit", "buyer_argue", "buyer_slow", "buyer_unans"]
    assert bad["rank_score"].to_list() == [180.0, 103.0, 69.0, 62.5]
    assert good["case_id"].to_list() == [f"{WEEK}-G0{i}" for i in range(1, 5)]
    fast = good.row(0, named=True)
    assert fast["reason"].startswith("售前询单成交：首次响应 8 秒（目标 30 秒）")
    assert "排序分 122.63 = 质检分 100 × 1 + 首响提前量 0.73 × 20 + 成交金额 0.4 × 20" in fast["reason"]
    terms = json.loads(fast["rank_terms"])
    assert round(sum(v * w for _, v, w in terms), 2) == pytest.approx(122.63, abs=0.01)
    assert (fast["order_id"], str(fast["order_amount"]), fast["ordered"]) == ("o_fast", "199.00", True)
    assert f"agent:{A}" in fast["tags"] and "category:presale_converted" in fast["tags"]
    assert any(t.startswith("topic:") for t in fast["tags"]) and fast["topic"]


def test_top_and_per_agent_limit_and_criteria_file(fresh, tmp_path):
    assert build_cases(fresh, WEEK, top=1).height == 2
    assert build_cases(fresh, WEEK, top=0).height == 0
    criteria = tmp_path / "cases.toml"
    criteria.write_text("[select]\nmax_per_agent = 1\n[weights.good]\norder_amount = 200\n", encoding="utf-8")
    frame = build_cases(fresh, WEEK, config=criteria)
    good = by_buyer(fresh, frame.filter(frame["kind"] == "good"))
    # One good case per agent; with the amount weighing ten times as much buyer_fast still leads agent A.
    assert len({r["agent"] for r in good.values()}) == len(good) == 3
    assert set(good) == {"buyer_fast", "buyer_fine", "buyer_after"}
    assert len({r["criteria_version"] for r in frame.iter_rows(named=True)}) == 1


def test_bad_criteria_file_names_the_key(fresh, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[weights.good]\nspeed = 3\n", encoding="utf-8")
    with pytest.raises(UserError, match="weights.good.speed"):
        build_cases(fresh, WEEK, config=bad)
    bad.write_text('[good]\ncategories = ["presale_converted", "nice"]\n', encoding="utf-8")
    with pytest.raises(UserError, match="nice"):
        build_cases(fresh, WEEK, config=bad)


def test_no_case_repeats_across_weeks_unless_allowed(fresh):
    span = session_of(fresh, "buyer_span")
    first = build_cases(fresh, WEEK)
    assert span in first["session_id"].to_list()
    # The conversation runs into 2026-W48 as well, but W47 already holds it.
    assert span not in build_cases(fresh, "2026-W48")["session_id"].to_list()
    # Re-building a week replaces its own selection rather than counting it as a repeat.
    assert build_cases(fresh, WEEK)["session_id"].to_list() == first["session_id"].to_list()
    assert span in build_cases(fresh, "2026-W48", allow_repeats=True)["session_id"].to_list()
    weeks = fresh.execute("SELECT week, count(*) FROM cases GROUP BY week ORDER BY week").fetchall()
    assert weeks == [(WEEK, first.height), ("2026-W48", 1)]
    # Now W48 holds it too, a W47 re-build without repeats gives it up.
    assert span not in build_cases(fresh, WEEK)["session_id"].to_list()


@pytest.mark.parametrize("week", ["2026-W30", "2026-47", "W47"])
def test_unknown_week_is_a_user_error(fresh, tmp_path, week):
    with pytest.raises(UserError, match="week"):
        build_cases(fresh, week)
    with pytest.raises(UserError, match="week"):
        write_cases(fresh, week, tmp_path / "out")


def test_files_match_the_cases_table(built):
    con, frame, out, paths = built
    rows = con.execute("SELECT case_id, kind, category, reason, rank_score FROM cases WHERE week = ? ORDER BY case_id",
                       [WEEK]).fetchall()
    assert [r[0] for r in rows] == sorted(frame["case_id"].to_list())
    case_files = sorted(p.name for p in out.iterdir() if not p.name.startswith("index.") and p.name != OUTPUT_MARKER)
    assert case_files == sorted(f"{r[0]}.{ext}" for r in rows for ext in ("html", "md"))
    index = (out / "index.html").read_text(encoding="utf-8")
    listed = [r[0] for r in sorted(rows, key=lambda r: (r[1] != "good", r[0]))]
    assert re.findall(r'data-case="([^"]+)"', index) == listed
    for case_id, kind, category, reason, rank_score in rows:
        html = (out / f"{case_id}.html").read_text(encoding="utf-8")
        assert f'data-case="{case_id}" data-kind="{kind}" data-category="{category}"' in html
        assert reason in html and reason in (out / f"{case_id}.md").read_text(encoding="utf-8").replace("\\", "")
        assert f'data-field="rank_score">{rank_score:g}<' in html
    assert set(paths) == set(out.iterdir()) - {out / OUTPUT_MARKER}


def test_transcript_is_masked_escaped_and_annotated(built):
    con, frame, out, _ = built
    crit = by_buyer(con, frame)["buyer_crit"]["case_id"]
    html = (out / f"{crit}.html").read_text(encoding="utf-8")
    md = (out / f"{crit}.md").read_text(encoding="utf-8")
    assert PHONE not in html and "138****5678" in html and "文三路" not in html
    assert "buyer_crit" not in html and "b***t" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert PHONE not in md and "\\<script\\>" in md
    # The flag's span is highlighted where it sits in the agent's message, with its rule.
    assert '全网<mark title="AD-EXTREME-01 极限词 (严重)">最好</mark>的' in html
    assert "第 1 轮 · 响应 10 秒（目标 30 秒）· 达标" in html
    slow = (out / f"{by_buyer(con, frame)['buyer_slow']['case_id']}.html").read_text(encoding="utf-8")
    assert "第 1 轮 · 响应 180 秒（目标 30 秒）· 超时" in slow and "未下单" in slow
    unans = (out / f"{by_buyer(con, frame)['buyer_unans']['case_id']}.html").read_text(encoding="utf-8")
    assert "第 1 轮 · 未获人工回复" in unans


def test_unmasked_english_pages(built, tmp_path):
    con, frame, _, _ = built
    paths = write_cases(con, WEEK, tmp_path / "en", lang="en", mask=False)
    crit = by_buyer(con, frame)["buyer_crit"]["case_id"]
    html = (tmp_path / "en" / f"{crit}.html").read_text(encoding="utf-8")
    assert PHONE in html and "Unmasked" in html and "Critical flag: AD-EXTREME-01" in html
    assert "&lt;script&gt;" in html and SCRIPT not in html
    assert len(paths) == 2 + 2 * frame.height


def test_rewriting_removes_pages_of_cases_no_longer_selected(fresh, tmp_path):
    out = tmp_path / "out"
    build_cases(fresh, WEEK)
    write_cases(fresh, WEEK, out)
    build_cases(fresh, WEEK, top=1)
    write_cases(fresh, WEEK, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [OUTPUT_MARKER, "index.html", "index.md", f"{WEEK}-G01.html", f"{WEEK}-G01.md", f"{WEEK}-B01.html", f"{WEEK}-B01.md"])


def test_write_cases_builds_a_week_not_built_yet(fresh, tmp_path):
    paths = write_cases(fresh, WEEK, tmp_path / "out")
    stored = fresh.execute("SELECT count(*) FROM cases WHERE week = ?", [WEEK]).fetchall()[0][0]
    assert stored == (len(paths) - 2) // 2 > 0


def test_a_week_read_in_parts_gives_the_same_cases(fresh, monkeypatch):
    from qc_pipeline.cases import facts
    from qc_pipeline.cases.settings import load_criteria

    whole = facts.text_facts(fresh, WEEK, load_criteria(None)).sort("session_id")
    cases = build_cases(fresh, WEEK, allow_repeats=True).drop("selected_at")
    monkeypatch.setattr(facts, "SESSIONS_PER_PART", 3)
    parts = facts.text_facts(fresh, WEEK, load_criteria(None)).sort("session_id")
    assert whole.height > 3 and parts.equals(whole)
    assert build_cases(fresh, WEEK, allow_repeats=True).drop("selected_at").equals(cases)


def test_text_facts_of_hand_made_sessions():
    """Complaint, resolution, thanks after it and a trailing sign-off, read from each session's messages in
    order; a session without a buyer message and one ending on the buyer's question."""
    import duckdb

    from qc_pipeline.cases import facts
    from qc_pipeline.cases.settings import load_criteria

    con = duckdb.connect()
    con.execute("CREATE TABLE sessions (session_id VARCHAR, shop VARCHAR, buyer VARCHAR, started_at TIMESTAMP, "
                "ended_at TIMESTAMP)")
    con.execute("CREATE TABLE rounds (session_id VARCHAR, week VARCHAR)")
    con.execute("CREATE TABLE messages (shop VARCHAR, buyer VARCHAR, sent_at TIMESTAMP, role VARCHAR, text VARCHAR, "
                "source_path VARCHAR, source_line BIGINT, msg_id VARCHAR)")
    chats = {
        "s_a": ["buyer:谢谢在吗", "buyer:衣服坏了要退款", "agent:亲，已为您退款", "buyer:好的谢谢"],
        "s_b": ["agent:亲，上新了哦"],
        "s_c": ["buyer:有问题", "agent:您好", "buyer:还有货吗？"],
    }
    for sid, lines in chats.items():
        buyer = f"买家{sid}"
        con.execute("INSERT INTO sessions VALUES (?, '店', ?, TIMESTAMP '2026-11-16 10:00:00', ?)",
                    [sid, buyer, f"2026-11-16 10:00:{len(lines) - 1:02d}"])
        con.execute("INSERT INTO rounds VALUES (?, ?)", [sid, WEEK])
        for i, line in enumerate(lines):
            role, text = line.split(":", 1)
            con.execute("INSERT INTO messages VALUES ('店', ?, ?, ?, ?, 'x.csv', ?, ?)",
                        [buyer, f"2026-11-16 10:00:{i:02d}", role, text, i, f"{sid}-{i}"])
    got = {r["session_id"]: r for r in facts.text_facts(con, WEEK, load_criteria(None)).iter_rows(named=True)}
    assert got["s_a"] == {"session_id": "s_a", "complaint": "坏了", "resolve_phrase": "为您退款",
                          "thanks_phrase": "谢谢", "any_thanks": "谢谢", "trailing_sign_off": True}
    assert got["s_b"] == {"session_id": "s_b", "complaint": None, "resolve_phrase": None, "thanks_phrase": None,
                          "any_thanks": None, "trailing_sign_off": False}
    assert got["s_c"] == {"session_id": "s_c", "complaint": "有问题", "resolve_phrase": None, "thanks_phrase": None,
                          "any_thanks": None, "trailing_sign_off": False}
