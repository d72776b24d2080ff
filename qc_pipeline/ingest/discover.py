"""Which files under the given inputs are worth trying as exports."""
from __future__ import annotations

import os
from pathlib import Path

from qc_pipeline.errors import UserError

# Files that sit next to exports but are never one: notes, config, code, the warehouse itself.
SKIPPED_SUFFIXES = (".md", ".toml", ".py", ".ipynb", ".duckdb", ".wal")
# Excel and the desktop leave these next to the files a shop exports.
SKIPPED_NAMES = ("thumbs.db", "desktop.ini")


def _skipped(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(SKIPPED_SUFFIXES) or name in SKIPPED_NAMES or name.startswith("~$")


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / f for f in files if not f.startswith(".")]
    return found


def discover(inputs: list[Path]) -> list[Path]:
    """Every candidate export under ``inputs`` (files, or folders searched recursively), sorted, each once."""
    candidates: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            candidates += _walk(path)
        elif path.exists():
            candidates.append(path)
        else:
            raise UserError(f"{path}: no such file or directory")
    unique: dict[Path, Path] = {}
    for path in sorted(candidates, key=str):
        if _skipped(path):
            continue
        # The same file reached twice (a folder and a file inside it) is loaded once.
        unique.setdefault(path.resolve(), path)
    return sorted(unique.values(), key=str)
