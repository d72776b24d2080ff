"""The rules stage recovers the violations the sample generator planted, and nothing else."""
from __future__ import annotations

import datetime as dt

import pytest

from qc_pipeline.config import load_config
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.sample import generate_sample
from qc_pipeline.store.warehouse import open_warehouse


@pytest.fixture(scope="module")
def flagged_sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("flagged")
    truth = generate_sample(root / "logs", seed=7, violations=True)
    con = open_warehouse(root / "qc.duckdb")
    ingest_paths(con, [root / "logs"], load_config())
    rebuild(con, load_config())
    yield truth, con
    con.close()


def _flags_by_message(con):
    rows = con.execute(
        """SELECT m.shop, m.buyer, m.agent, m.sent_at, m.text, f.category, f.start, f."end", f.matched
           FROM flags f JOIN messages m USING (msg_id)"""
    ).fetchall()
    out: dict[tuple, list] = {}
    for shop, buyer, agent, sent_at, text, category, start, end, matched in rows:
        assert text[start:end] == matched
        out.setdefault((shop, buyer, agent, sent_at, text), []).append((category, start, end))
    return out


def test_every_planted_violation_is_flagged_in_its_category_at_its_words(flagged_sample):
    truth, con = flagged_sample
    assert len(truth["violations"]) >= 20
    flags = _flags_by_message(con)
    for planted in truth["violations"]:
        key = (planted["shop"], planted["buyer"], planted["agent"],
               dt.datetime.strptime(planted["sent_at"], "%Y-%m-%d %H:%M:%S"), planted["text"])
        assert key in flags, f"not flagged: {planted}"
        for word in planted["words"]:
            lo = planted["text"].index(word)
            hi = lo + len(word)
            assert any(c == planted["category"] and s < hi and e > lo for c, s, e in flags[key]), (
                f"{planted['category']} {word!r} not covered in {planted['text']!r}: {flags[key]}")


def test_nothing_but_the_planted_violations_is_flagged(flagged_sample):
    truth, con = flagged_sample
    planted = {(v["shop"], v["buyer"], v["agent"], v["sent_at"], v["text"]) for v in truth["violations"]}
    flagged = {(s, b, a, t.strftime("%Y-%m-%d %H:%M:%S"), x) for s, b, a, t, x in _flags_by_message(con)}
    assert flagged - planted == set()


def test_flag_figures_reach_agent_week_and_scores(flagged_sample):
    truth, con = flagged_sample
    # Weekly figures count violations: one per planted message and category, however many hits
    # (最好 and 全网最低价 in one message are one extreme_word violation).
    planted = {(v["agent"], v["sent_at"], v["text"], v["category"]) for v in truth["violations"]}
    per_agent: dict[str, int] = {}
    for agent, *_ in planted:
        per_agent[agent] = per_agent.get(agent, 0) + 1
    rows = con.execute("SELECT agent, sum(flags_total) FROM agent_week GROUP BY agent").fetchall()
    got = {a: n for a, n in rows if n}
    assert got == per_agent
    hits = dict(con.execute("SELECT agent, count(*) FROM flags WHERE role = 'agent' GROUP BY agent").fetchall())
    assert all(hits[a] >= n for a, n in per_agent.items())
    critical = con.execute(
        """SELECT count(DISTINCT session_id) FROM flags WHERE severity = 'critical' AND role = 'agent'"""
    ).fetchall()[0][0]
    failed = con.execute("SELECT count(*) FROM session_scores WHERE auto_failed").fetchall()[0][0]
    assert critical == failed > 0
