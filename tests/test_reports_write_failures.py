"""A report pack that cannot be written (an impossible --out, a full disk) ends in one line and exit 2; the
previous pack stays whole and no part of the new one is left behind."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qc_pipeline.reports as reports
import qc_pipeline.reports.weekly_tables as weekly_tables
from qc_pipeline.cli import app
from tests.report_fixtures import build

WEEK = "2026-W47"


def qc(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    built = build(tmp_path_factory.mktemp("warehouse") / "qc.duckdb")
    built.con.close()
    return built.path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_exit_2(result, *says: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(" ".join(lines).split("error:")) == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception  # typer's exit, not an escaped error
    flat = " ".join(line.strip() for line in lines)
    for word in says:
        assert word in flat, result.output


@pytest.mark.parametrize("command", [
    ["report", "--week", WEEK],
    ["cases", "--week", WEEK],
    ["topics", "--weeks", "2", "--week", WEEK],
])
def test_an_impossible_out_is_one_line_exit_2(db, tmp_path, command):
    # Under a regular file: no folder can be made there, whoever runs the test (root ignores permissions).
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    out = blocker / "sub"
    result = qc(*command, "--db", db, "--out", out)
    _one_line_exit_2(result, "file.txt")
    assert blocker.read_text() == "not a folder"


class _DiskFull:
    """The page writer running out of space on its ``after``-th call, with half the page on disk."""

    def __init__(self, real, after: int):
        self.real, self.after, self.calls = real, after, 0

    def __call__(self, path: Path, text: str) -> Path:
        self.calls += 1
        if self.calls == self.after:
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8")
            path.write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return self.real(path, text)


@pytest.mark.parametrize("after", [2, 5])  # an agent page cut, then the summary Markdown after the workbook
def test_a_full_disk_leaves_the_previous_pack_whole(db, tmp_path, monkeypatch, after):
    out = tmp_path / "reports"
    first = qc("report", "--week", WEEK, "--db", db, "--out", out)
    assert first.exit_code == 0, first.output
    (out / WEEK / "cases").mkdir()
    (out / WEEK / "cases" / "index.html").write_text("the case library")  # another pack in the week's folder
    before = _snapshot(out)
    assert any(name.startswith(f"{WEEK}/agents/") for name in before)

    full = _DiskFull(reports._write_text, after)
    monkeypatch.setattr(reports, "_write_text", full)
    result = qc("report", "--week", WEEK, "--db", db, "--out", out, "--lang", "en")
    assert full.calls >= after
    _one_line_exit_2(result, "No space left on device", str(out / WEEK))
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == [WEEK]  # no temporary folder left beside it

    monkeypatch.undo()
    again = qc("report", "--week", WEEK, "--db", db, "--out", out, "--lang", "en")
    assert again.exit_code == 0, again.output
    after_run = _snapshot(out)
    assert after_run[f"{WEEK}/cases/index.html"] == b"the case library"
    assert after_run[f"{WEEK}/summary.html"] != before[f"{WEEK}/summary.html"]  # English now: replaced whole


def test_a_full_disk_on_a_csv_is_one_line_too(db, tmp_path, monkeypatch):
    out = tmp_path / "reports"

    def full(frame, target):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(reports, "write_csv", full)
    result = qc("report", "--week", WEEK, "--db", db, "--out", out)
    _one_line_exit_2(result, "No space left on device")
    assert not out.exists() or not any(out.iterdir())


def test_run_with_an_impossible_out_is_one_line(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = qc("run", repo / "sample_logs" / "chats_presale.csv", "--db", tmp_path / "qc.duckdb",
                "--out", blocker / "sub")
    _one_line_exit_2(result, "file.txt")
    assert "rollback" not in result.output


def test_agent_week_csv_alone_reports_the_path(db, tmp_path):
    import duckdb

    from qc_pipeline.errors import UserError

    (tmp_path / "file.txt").write_text("x")
    con = duckdb.connect(str(db), read_only=True)
    try:
        with pytest.raises(UserError, match="file.txt"):
            weekly_tables.write_agent_week_csv(con, tmp_path / "file.txt" / "x", WEEK)
    finally:
        con.close()


def test_a_replaced_pack_keeps_ordinary_permissions(db, tmp_path):
    out = tmp_path / "reports"
    for _ in range(2):
        assert qc("report", "--week", WEEK, "--db", db, "--out", out).exit_code == 0
    plain = tmp_path / "plain"
    plain.mkdir()
    assert (out / WEEK).stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device that is always full")
@pytest.mark.parametrize("writer", ["write_workbook", "write_parquet"])
def test_a_real_full_disk_under_the_workbook_and_the_list(db, tmp_path, monkeypatch, writer):
    # The real writer, pointed at a device that answers every write with ENOSPC.
    real = getattr(reports, writer)
    monkeypatch.setattr(reports, writer, lambda frame_or_path, *a, **k: real(
        *((Path("/dev/full"), *a) if writer == "write_workbook" else (frame_or_path, Path("/dev/full"))), **k))
    out = tmp_path / "reports"
    result = qc("report", "--week", WEEK, "--db", db, "--out", out)
    _one_line_exit_2(result, "No space left on device")
    assert not out.exists() or not any(out.iterdir())
