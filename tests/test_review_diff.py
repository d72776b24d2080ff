"""`qc rules diff` on the shipped sample: a rule switched off and one added change exactly their own
flags, every agent's score and rank is shown before and after, and the warehouse is left as it was
(the same bytes, the same rows)."""
from __future__ import annotations

import hashlib

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.config import load_config
from qc_pipeline.review.diff import rule_diff
from qc_pipeline.rules import load_ruleset
from qc_pipeline.scoring.scorecard import load_scorecard
from tests.review_fixtures import copy_db, sample_db  # noqa: F401 (fixture)

runner = CliRunner()
WEEKS = ["2026-W46", "2026-W47"]
NEW_RULES = """rules:
  - {id: SVC-SLANG, enabled: false}
  - id: SHOP-TROUBLE
    category: hedging
    severity: minor
    terms: [麻烦]
    boundary: none
    explanation_zh: 本店不让客服说“麻烦”。
    explanation_en: The shop's agents do not say 麻烦.
    source: 本店客服规范 1.1
"""


def _snapshot(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' "
            "ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def setup(sample_db, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("rules-diff")
    db = copy_db(sample_db, root)
    rules = root / "new-rules.yaml"
    rules.write_text(NEW_RULES, encoding="utf-8")
    return root, db, rules


def test_a_switched_off_rule_removes_exactly_its_flags_and_an_added_one_adds_only_its_own(setup):
    root, db, rules = setup
    config = load_config()
    diff = rule_diff(db, config, load_ruleset([rules]), load_scorecard(), WEEKS, scratch_dir=root)
    con = duckdb.connect(str(db), read_only=True)
    slang = con.execute("""SELECT msg_id, rule_id, start, "end" FROM flags WHERE rule_id = 'SVC-SLANG'
                           ORDER BY ALL""").fetchall()
    con.close()
    assert slang, "the sample must hold SVC-SLANG flags for this test to mean anything"
    removed = diff.removed.select("msg_id", "rule_id", "start", "end").sort(pl.all()).rows()
    assert removed == sorted(slang)
    assert set(diff.added["rule_id"]) == {"SHOP-TROUBLE"} and diff.added.height > 0
    assert all("【麻烦】" in text for text in diff.added["example"])
    # Every other rule's flags are the same before and after.
    others = diff.by_rule.filter(~pl.col("rule_id").is_in(["SVC-SLANG", "SHOP-TROUBLE"]))
    assert (others["before"] == others["after"]).all() and others["added"].sum() == 0 and others["removed"].sum() == 0
    cats = {r["category"]: r for r in diff.by_category.to_dicts()}
    assert cats["slang"]["after"] == 0 and cats["slang"]["removed"] == len(slang)
    assert cats["hedging"]["added"] == diff.added.height
    # Each agent before and after, with ranks that are a permutation of 1..n on both sides.
    agents = diff.agents
    assert agents.height > 1
    assert sorted(agents["rank_before"]) == list(range(1, agents.height + 1)) == sorted(agents["rank_after"])
    assert (agents["score_before"] != agents["score_after"]).any()


def test_the_command_reports_the_change_and_leaves_the_warehouse_byte_identical(setup):
    root, db, rules = setup
    before_bytes = hashlib.sha256(db.read_bytes()).hexdigest()
    before_rows = _snapshot(db)
    result = runner.invoke(app, ["rules", "diff", "--rules", str(rules), "--db", str(db), "--weeks",
                                 "2026-W46..2026-W47"], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "SVC-SLANG" in out and "SHOP-TROUBLE" in out and "Agents: average QC score and rank" in out
    assert "the warehouse was not changed" in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before_bytes
    assert _snapshot(db) == before_rows
    assert not list(root.glob("qc-rules-diff-*"))


@pytest.mark.parametrize("args, says", [
    (["--weeks", "2026-W47..2026-W40"], "comes after"),
    (["--weeks", "2030-W01"], "holds none of them"),
])
def test_user_mistakes_are_one_line_and_exit_2(setup, args, says):
    root, db, rules = setup
    result = runner.invoke(app, ["rules", "diff", "--rules", str(rules), "--db", str(db), *args])
    assert result.exit_code == 2 and says in result.output, result.output


def test_a_bad_rule_file_is_refused_before_the_warehouse_is_read(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {id: NO-SUCH-RULE, enabled: false}\n", encoding="utf-8")
    db = tmp_path / "qc.duckdb"
    result = runner.invoke(app, ["rules", "diff", "--rules", str(bad), "--db", str(db)])
    assert result.exit_code == 2 and "NO-SUCH-RULE" in result.output and not db.exists()
