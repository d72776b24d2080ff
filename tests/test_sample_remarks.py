"""The sample's order remarks (sample/remarks.py) are read exactly as planted: every line's parts, status and
problem, the overwritten one from the earlier export, and the per-agent-week remark figures."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from qc_pipeline.sample import generate_sample
from tests.test_sample_truth import run_pipeline

COLUMNS = ("order_id", "shop", "buyer", "line", "content", "agent_name", "agent", "written_at", "status", "problem",
           "still_on_order", "overwritten_by", "overwritten_at")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample_remarks")
    truth = generate_sample(root / "logs", seed=7)
    con, _ = run_pipeline([root / "logs"], root / "qc.duckdb")
    yield truth, con
    con.close()


def _text(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) else value


def test_every_remark_line_is_read_as_planted(sample):
    truth, con = sample
    got = sorted(tuple(_text(v) for v in row) for row in con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM order_remarks").fetchall())
    want = sorted(tuple(r[c] for c in COLUMNS) for r in truth["remarks"])
    assert got == want
    # the sample plants every kind: each malformed reading and each earlier-export case
    assert {r["problem"] for r in truth["remarks"]} == {None, "no time", "impossible date", "no agent name",
                                                         "agent not in roster", "no content"}
    assert {r["case"] for r in truth["remarks"]} >= {"overwritten", "appended", "own_rewrite", "unchanged"}
    assert sum(r["overwritten_by"] is not None for r in truth["remarks"]) == 1


def test_agent_week_remark_figures_are_the_planted_counts(sample):
    truth, con = sample
    week_of = {o["order_id"]: dt.datetime.strptime(o["created_at"], "%Y-%m-%d %H:%M:%S").strftime("%G-W%V")
               for o in truth["orders"]}
    written, malformed, overwrote = Counter(), Counter(), Counter()
    for r in truth["remarks"]:
        key = (week_of[r["order_id"]], r["shop"])
        if r["agent"]:
            written[(*key, r["agent"])] += 1
            malformed[(*key, r["agent"])] += r["status"] == "malformed"
        if r["overwritten_by"]:
            overwrote[(*key, r["overwritten_by"])] += 1
    got = {(w, s, a): (n, m, o) for w, s, a, n, m, o in con.execute(
        "SELECT week, shop, agent, remarks_written, remarks_malformed, remarks_overwritten FROM agent_week").fetchall()}
    keys = set(written) | set(overwrote)
    assert keys <= set(got)
    assert {k: got[k] for k in keys} == {k: (written[k], malformed[k], overwrote[k]) for k in keys}
    assert all(v == (0, 0, 0) for k, v in got.items() if k not in keys)


def test_the_earlier_export_is_kept_as_versions(sample):
    truth, con = sample
    early = truth["files"]["orders_report_early.csv"]
    versions = con.execute("SELECT count(*) FROM order_versions").fetchall()[0][0]
    assert versions == len(truth["orders"]) + early["rows_read"]
    # the current orders are the report's, not the earlier export's unpaid versions
    paid = sum(o["paid_at"] is not None for o in truth["orders"])
    assert con.execute("SELECT count(*) FROM orders WHERE paid_at IS NOT NULL").fetchall()[0][0] == paid
