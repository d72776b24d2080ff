"""The one error a reader raises: the file as a whole cannot be read."""
from __future__ import annotations

from pathlib import Path

from qc_pipeline.errors import UserError


class UnreadableFile(UserError):
    """Not a single row could be taken from this file; the message starts with its path."""

    def __init__(self, path: str | Path, why: str):
        super().__init__(f"{path}: {why}")
        self.path = str(path)
        self.why = why


def unexpected_failure(path: str | Path, exc: Exception) -> str:
    """One line for an error no reader foresaw (a reader's bug, a hostile input): the file, the error's
    kind and the first line of its message; the file then fails alone like an unreadable one."""
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__
    return f"{path}: could not be read ({detail})"
