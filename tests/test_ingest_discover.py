from pathlib import Path

import pytest

from qc_pipeline.errors import UserError
from qc_pipeline.ingest import discover


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")
    return path


def test_recurses_sorts_and_skips_what_is_no_export(tmp_path):
    wanted = [
        touch(tmp_path / "b" / "chat.txt"),
        touch(tmp_path / "a.csv"),
        touch(tmp_path / "b" / "deep" / "orders.xlsx"),
        touch(tmp_path / "noext"),
    ]
    for junk in (".hidden.csv", ".git/config.csv", "README.md", "my.toml", "x.py", "n.ipynb", "qc.duckdb",
                 "qc.duckdb.wal", "b/~$orders.xlsx", "b/.cache/chat.csv"):
        touch(tmp_path / junk)
    assert discover([tmp_path]) == sorted(wanted, key=str)


def test_files_given_twice_or_inside_a_given_folder_come_once(tmp_path):
    chat = touch(tmp_path / "chat.csv")
    assert discover([tmp_path, chat, chat]) == [chat]


def test_a_file_given_by_name_is_taken(tmp_path):
    chat = touch(tmp_path / "chat.log")
    assert discover([chat]) == [chat]


def test_a_missing_path_is_a_user_error(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(UserError, match=r"nope\.csv: no such file or directory"):
        discover([missing])


def test_an_empty_folder_gives_nothing(tmp_path):
    assert discover([tmp_path]) == []
