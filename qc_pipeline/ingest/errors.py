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
