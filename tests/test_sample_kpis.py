"""The seller-tool KPIs of agent_week on the generated sample, against figures computed here in plain Python
from the generator's planted truth (its sessions and rounds), not from anything the pipeline produced."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from qc_pipeline.config import load_config
from tests.test_sample_truth import run_pipeline, ts
from qc_pipeline.sample import generate_sample

CONFIG = load_config()
CAP = CONFIG.wait_cap_seconds
FIRST_WITHIN = CONFIG.aftersale_first_reply_seconds
REOPEN = dt.timedelta(hours=CONFIG.reopen_hours)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    truth = generate_sample(root / "logs", seed=11)
    con, _ = run_pipeline([root / "logs"], root / "qc.duckdb")
    yield truth, con
    con.close()


def iso_week(when: str) -> str:
    year, week, _ = ts(when).isocalendar()
    return f"{year}-W{week:02d}"


def agent_week(con, columns):
    rows = con.execute(f"SELECT week, shop, agent, {', '.join(columns)} FROM agent_week").fetchall()
    return {(w, s, a): dict(zip(columns, rest)) for w, s, a, *rest in rows}


def test_reception_kpis_match_the_planted_rounds(sample):
    truth, con = sample
    consulted, received = defaultdict(set), defaultdict(set)
    buyer_msgs, waits = defaultdict(int), defaultdict(list)
    for r in truth["rounds"]:
        if r["agent"] is None:
            continue
        key = (r["week"], r["shop"], r["agent"])
        consulted[key].add(r["buyer"])
        buyer_msgs[key] += r["n_buyer_msgs"]
        if not r["unanswered"]:
            received[key].add(r["buyer"])
            waits[key].append(min(r["wait_seconds"], CAP))
    got = agent_week(con, ["consulted_buyers", "received_buyers", "reply_rate_pct", "buyer_msgs",
                           "avg_response_s"])
    assert set(consulted) <= set(got)
    assert len(consulted) >= 10
    for key, buyers in consulted.items():
        row = got[key]
        assert row["consulted_buyers"] == len(buyers), key
        assert row["received_buyers"] == len(received[key]), key
        assert row["reply_rate_pct"] == pytest.approx(100 * len(received[key]) / len(buyers)), key
        assert row["buyer_msgs"] == buyer_msgs[key], key
        if waits[key]:
            assert row["avg_response_s"] == pytest.approx(sum(waits[key]) / len(waits[key])), key
        else:
            assert row["avg_response_s"] is None, key
    # The sample plants unanswered buyers, so the two head counts differ somewhere.
    assert any(len(received[k]) < len(b) for k, b in consulted.items())


def test_aftersale_first_reply_rate_matches_the_planted_first_rounds(sample):
    truth, con = sample
    first, within = defaultdict(int), defaultdict(int)
    for r in truth["rounds"]:
        if r["is_first"] and r["agent"] is not None and r["agent_role"] == "aftersale":
            key = (r["week"], r["shop"], r["agent"])
            first[key] += 1
            within[key] += (not r["unanswered"]) and r["wait_seconds"] <= FIRST_WITHIN
    assert first, "the sample plants after-sale conversations"
    got = agent_week(con, ["aftersale_first_rounds", "aftersale_first_5min_pct"])
    for key, n in first.items():
        assert got[key]["aftersale_first_rounds"] == n, key
        assert got[key]["aftersale_first_5min_pct"] == pytest.approx(100 * within[key] / n), key
    assert any(within[k] < n for k, n in first.items()), "the sample plants a missed after-sale first reply"


def test_aftersale_sessions_and_reopened_cases_match_the_planted_sessions(sample):
    truth, con = sample
    roles = {a["agent"]: a["role"] for a in truth["agents"]}
    by_buyer = defaultdict(list)
    for s in truth["sessions"]:
        by_buyer[(s["shop"], s["buyer"])].append(s)
    sessions, reopened = defaultdict(int), defaultdict(int)
    for chain in by_buyer.values():
        chain.sort(key=lambda s: s["started_at"])
        for i, s in enumerate(chain):
            handlers = s["agents"] or [s["primary_agent"]]
            came_back = i + 1 < len(chain) and ts(chain[i + 1]["started_at"]) - ts(s["ended_at"]) <= REOPEN
            for agent in set(handlers):
                if agent is None or roles.get(agent, CONFIG.default_role) != "aftersale":
                    continue
                key = (iso_week(s["started_at"]), s["shop"], agent)
                sessions[key] += 1
                reopened[key] += came_back
    assert sessions
    got = agent_week(con, ["aftersale_sessions", "reopened_cases"])
    for key, n in sessions.items():
        assert got[key]["aftersale_sessions"] == n, key
        assert got[key]["reopened_cases"] == reopened[key], key
    presale = [k for k, row in got.items() if roles.get(k[2]) == "presale"]
    assert presale and all(got[k]["aftersale_sessions"] is None for k in presale)
