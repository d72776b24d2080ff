"""The service-standard lexicons (lexicons.toml): promise, pleasantry and reminder wording, as data."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from qc_pipeline.lexicon import Entry, alternation, parse_lexicons

TABLES = ("promise", "pleasantry", "reminder")


@dataclass(frozen=True)
class StandardLexicons:
    promise: tuple[Entry, ...]
    pleasantry: tuple[Entry, ...]
    reminder: tuple[Entry, ...]

    @property
    def promise_pattern(self) -> str:
        return alternation(self.promise)

    @property
    def pleasantry_pattern(self) -> str:
        return alternation(self.pleasantry)

    @property
    def reminder_pattern(self) -> str:
        return alternation(self.reminder)


def parse_standard_lexicons(text: str, where: str) -> StandardLexicons:
    found = parse_lexicons(text, where, TABLES)
    return StandardLexicons(**found)


@lru_cache(maxsize=1)
def standard_lexicons() -> StandardLexicons:
    text = resources.files("qc_pipeline.standard").joinpath("lexicons.toml").read_text(encoding="utf-8")
    return parse_standard_lexicons(text, "lexicons.toml")
