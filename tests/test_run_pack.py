"""`qc run` writes the whole weekly pack: each week's reports, case library and topics, and the quarantine page
listing every row that was not loaded, with its file, line and reason, masked and escaped."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()
HOSTILE = '=HYPERLINK("http://x")<script>alert(1)</script> 13812345678'
LEAKS = [("tb_alice_wonderland_nick_99", "不是时间", "卡号 6222021234567890123 QQ 87654321"),
         ("1234567", "还是不是时间", "你好"), ("小美", "王小明", "收件人 赵六")]
SECRETS = ("6222021234567890123", "87654321", "tb_alice_wonderland_nick_99", "1234567", "王小明", "赵六", "小美")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    logs = root / "logs"
    shutil.copytree(REPO / "sample_logs", logs)
    # one more quarantined row, written by an adversary: a formula, a script and a phone number
    with open(logs / "chats_presale.csv", "a", encoding="utf-8", newline="") as f:
        f.write(f"星河服饰旗舰店,evil_buyer_1,星河服饰旗舰店:小雅,buyer,不是时间,{HOSTILE}\n")
        # what a detector needs its neighbouring words for, a nick longer than most, a nick of digits, and a
        # name where the time should be (the reason quotes it)
        for buyer, sent_at, text in LEAKS:
            f.write(f"星河服饰旗舰店,{buyer},星河服饰旗舰店:小雅,buyer,{sent_at},{text}\n")
    result = runner.invoke(app, ["run", str(logs), "--db", str(root / "qc.duckdb"), "--out", str(root / "reports")])
    assert result.exit_code == 0, result.output
    return root, json.loads((logs / "truth.json").read_text(encoding="utf-8"))


def test_every_week_gets_reports_cases_and_topics(pack):
    root, truth = pack
    for week in truth["chat_qc_truth"]["weeks"]:
        folder = root / "reports" / week
        assert (folder / "summary.html").is_file()
        assert (folder / "cases" / "index.html").is_file() or any((folder / "cases").glob("*.html"))
        assert any((folder / "topics").glob("topics.*"))


def test_the_quarantine_page_lists_every_quarantined_row(pack):
    root, truth = pack
    con = duckdb.connect(str(root / "qc.duckdb"), read_only=True)
    stored = con.execute("SELECT source_path, source_line FROM quarantine").fetchall()
    con.close()
    html = (root / "reports" / "quarantine" / "quarantine.html").read_text(encoding="utf-8")
    shown = re.findall(r'<tr data-file="([^"]*)" data-line="(\d*)">', html)
    assert sorted((Path(f).name, int(n)) for f, n in shown) == sorted((Path(f).name, n) for f, n in stored)
    planted = {(q["file"], q["line"]) for q in truth["quarantined"]}
    assert planted <= {(Path(f).name, int(n)) for f, n in shown}
    rows = list(csv.DictReader(io.StringIO((root / "reports" / "quarantine" / "quarantine.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(stored)
    assert all(r["reason"] for r in rows)


def test_the_quarantine_page_masks_escapes_and_neutralises(pack):
    root, _ = pack
    html = (root / "reports" / "quarantine" / "quarantine.html").read_text(encoding="utf-8")
    text = (root / "reports" / "quarantine" / "quarantine.csv").read_text(encoding="utf-8-sig")
    assert "<script>" not in html and "&lt;script&gt;" in html
    for output in (html, text):
        assert "13812345678" not in output
        for secret in SECRETS:
            assert secret not in output, secret
        for nick in ("evil_buyer_1", "tb42308072_38"):  # buyers of quarantined rows
            assert nick not in output
    cell = next(r["raw"] for r in csv.DictReader(io.StringIO(text)) if "HYPERLINK" in r["raw"])
    assert not cell.startswith(("=", "+", "-", "@"))


def test_skip_leaves_parts_out_and_rejects_unknown_parts(tmp_path):
    out = tmp_path / "reports"
    result = runner.invoke(app, ["run", str(REPO / "sample_logs"), "--db", str(tmp_path / "qc.duckdb"), "--out",
                                 str(out), "--skip", "cases", "--skip", "topics", "--skip", "quarantine"])
    assert result.exit_code == 0, result.output
    weeks = [p for p in out.iterdir() if p.is_dir() and p.name != "quarantine"]
    assert weeks and all(not (w / "cases").exists() and not (w / "topics").exists() for w in weeks)
    assert not (out / "quarantine").exists()
    result = runner.invoke(app, ["run", str(REPO / "sample_logs"), "--db", str(tmp_path / "qc.duckdb"),
                                 "--skip", "charts"])
    assert result.exit_code == 2 and "--skip 'charts'" in result.stderr


def test_the_weekly_run_picks_cases_with_the_configs_criteria_and_size(tmp_path):
    """A trainer's own criteria, set once in the config, are what every qc run picks with (a run replaces
    the week's selection, so criteria given only to qc cases would be lost on the next run)."""
    (tmp_path / "mine.toml").write_text("[select]\nmax_per_agent = 1\n", encoding="utf-8")
    (tmp_path / "qc.toml").write_text('[cases]\ncriteria = "mine.toml"\ntop = 1\n', encoding="utf-8")
    runs = {}
    for name, extra in (("shipped", []), ("mine", ["--config", str(tmp_path / "qc.toml")])):
        db = tmp_path / f"{name}.duckdb"
        result = runner.invoke(app, ["run", str(REPO / "sample_logs"), "--db", str(db), "--out",
                                     str(tmp_path / name), "--skip", "topics", *extra])
        assert result.exit_code == 0, result.output
        con = duckdb.connect(str(db), read_only=True)
        runs[name] = con.execute("SELECT week, kind, count(*), any_value(criteria_version) FROM cases "
                                 "GROUP BY week, kind ORDER BY week, kind").fetchall()
        con.close()
    assert all(n > 1 for _, _, n, _ in runs["shipped"])
    assert runs["mine"] and all(n == 1 for _, _, n, _ in runs["mine"])
    assert {v for *_, v in runs["mine"]} != {v for *_, v in runs["shipped"]}
