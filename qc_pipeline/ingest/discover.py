"""Which files under the given inputs are worth trying as exports."""
from __future__ import annotations

import os
from pathlib import Path

from qc_pipeline.errors import UserError

# Files that sit next to exports but are never one: notes, config, code, the warehouse itself.
SKIPPED_SUFFIXES = (".md", ".toml", ".py", ".ipynb", ".duckdb", ".wal")
# Excel and the desktop leave these next to the files a shop exports.
SKIPPED_NAMES = ("thumbs.db", "desktop.ini")
# Every folder chat-qc writes a pack into holds this file; such a folder (and what is under it) is
# skipped, so reports written inside an input folder are never read back as exports.
OUTPUT_MARKER = ".chat-qc-output"
MARKER_TEXT = "Written by chat-qc. `qc ingest` and `qc run` skip this folder when it lies inside an input folder.\n"


class Discovered(list):
    """The files found (a list of paths), and the folders skipped as chat-qc's own output."""

    def __init__(self, paths=(), skipped=()):
        super().__init__(paths)
        self.skipped: list[Path] = list(skipped)


def _skipped(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(SKIPPED_SUFFIXES) or name in SKIPPED_NAMES or name.startswith("~$")


def _walk(folder: Path, skipped: list[Path]) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        if OUTPUT_MARKER in files:
            skipped.append(Path(root))
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / f for f in files if not f.startswith(".")]
    return found


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: reading it fails, alone, with the reason
        return path.absolute()


def discover(inputs: list[Path]) -> Discovered:
    """Every candidate export under ``inputs`` (files, or folders searched recursively), sorted, each once;
    ``.skipped`` lists the folders left out as chat-qc's own output (they hold ``OUTPUT_MARKER``)."""
    candidates: list[Path] = []
    skipped: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            candidates += _walk(path, skipped)
        elif path.exists() or path.is_symlink():
            candidates.append(path)
        else:
            raise UserError(f"{path}: no such file or directory")
    unique: dict[Path, Path] = {}
    for path in sorted(candidates, key=str):
        if _skipped(path):
            continue
        # The same file reached twice (a folder and a file inside it) is loaded once.
        unique.setdefault(_identity(path), path)
    return Discovered(sorted(unique.values(), key=str), sorted(set(skipped), key=str))
