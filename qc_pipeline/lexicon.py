"""Lexicons shipped as data: TOML arrays of entries, each with id, pattern (a regular expression),
severity, explanation and source, validated when loaded with one-line errors naming the file and entry.

The refund-topic wording (sessions/refund_topic.toml) and the service-standard lexicons
(standard/lexicons.toml) are read this way. Patterns are matched by polars (Rust regex), so each must
compile under both Python's `re` and polars: an expression only one of them reads is refused on load.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from qc_pipeline.errors import UserError
from qc_pipeline.tomlfiles import loads

FIELDS = ("id", "pattern", "severity", "explanation", "source")


@dataclass(frozen=True)
class Entry:
    id: str
    pattern: str
    severity: str
    explanation: str
    source: str
    extra: tuple[tuple[str, str], ...] = ()  # a table's own text fields (`extra_keys`), as (key, value)

    def get(self, key: str) -> str:
        return dict(self.extra)[key]


def parse_lexicons(text: str, where: str, tables: tuple[str, ...],
                   extra_keys: dict[str, tuple[str, ...]] | None = None) -> dict[str, tuple[Entry, ...]]:
    """The entries of each `[[table]]` array named in `tables` (each needs at least one); any other key
    of the file is an error. Ids are unique across the file. `extra_keys` names the further text fields a
    table's entries must have (checked like the others)."""
    extra_keys = extra_keys or {}
    try:
        raw = loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise UserError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - set(tables))
    if unknown:
        raise UserError(f"{where}: unknown table '{unknown[0]}' (expected {', '.join(tables)})")
    seen: set[str] = set()
    found = {}
    for table in tables:
        entries = raw.get(table)
        if not isinstance(entries, list) or not entries:
            raise UserError(f"{where}: needs at least one [[{table}]] entry")
        found[table] = tuple(_entry(entry, f"{where}: {table}[{i}]", seen, extra_keys.get(table, ()))
                             for i, entry in enumerate(entries))
    return found


def _entry(entry, at: str, seen: set[str], extra: tuple[str, ...] = ()) -> Entry:
    if not isinstance(entry, dict):
        raise UserError(f"{at}: must be a table")
    unknown = set(entry) - set(FIELDS) - set(extra)
    if unknown:
        raise UserError(f"{at}: unknown key '{sorted(unknown)[0]}'")
    for key in (*FIELDS, *extra):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise UserError(f"{at}: '{key}' must be a non-empty text")
    if entry["id"] in seen:
        raise UserError(f"{at}: duplicate id '{entry['id']}'")
    seen.add(entry["id"])
    pattern = entry["pattern"]
    try:
        re.compile(pattern)
    except re.error as exc:
        raise UserError(f"{at}: bad regular expression {pattern!r}: {exc}") from None
    try:
        pl.Series([""]).str.contains(pattern)
    except pl.exceptions.PolarsError:
        raise UserError(f"{at}: regular expression {pattern!r} is not supported by the matcher "
                        "(no look-around or back-references)") from None
    return Entry(**{k: entry[k] for k in FIELDS}, extra=tuple((k, entry[k]) for k in extra))


def alternation(entries: tuple[Entry, ...]) -> str:
    """One pattern matching wherever any entry matches."""
    return "|".join(f"(?:{e.pattern})" for e in entries)
