"""Shipped TOML settings overridden by a user's file: reading, merging and versioning, in one place.

The config, the QC scorecard and the case criteria all work this way: tables merge key by key, a list
replaces the shipped list whole, and an unknown key is an error naming the file and the key.
"""
from __future__ import annotations

import copy
import datetime as dt
import math
import hashlib
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from qc_pipeline.errors import UserError


def loads(text: str) -> dict:
    return tomllib.loads(text)


def read_toml(path: str | Path, what: str) -> dict:
    """A user's TOML file, or a UserError naming the file and what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: {what} file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: {what} file must be UTF-8") from None


def merge_known(
    base: dict, override: dict, source: str, what: str, open_tables: frozenset[str] = frozenset(), where: str = "",
    dates: frozenset[str] = frozenset(),
) -> dict:
    """`override` laid over `base`. Keys must exist in `base`, except inside `open_tables` (dotted paths of
    tables whose keys the user names, such as roles). A value keeps the shipped value's kind, and a list's
    items the kind of its shipped items; `dates` names the keys a TOML date may be given for."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}" if where else key
        if key not in base and where not in open_tables:
            raise UserError(f"{source}: unknown {what} key '{path}'")
        if isinstance(base.get(key), dict):
            if not isinstance(value, dict):
                raise UserError(f"{source}: '{path}' must be a table")
            merged[key] = merge_known(base[key], value, source, what, open_tables, path, dates)
        else:
            if key in base:
                _check_kind(base[key], value, source, what, path, path in dates)
            merged[key] = copy.deepcopy(value)
    return merged


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text in quotes"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _check_kind(shipped, value, source: str, what: str, path: str, date: bool = False) -> None:
    """A user's value has the shipped value's kind: `first_response_seconds = "20s"` once ran the whole
    ingest before failing deep inside with a traceback. A date key may be a TOML date or text. A number
    must be finite (NaN passes every comparison a range check makes)."""
    if date and isinstance(value, (dt.date, dt.time)) and isinstance(shipped, str):
        return
    if _kind(shipped) != _kind(value):
        raise UserError(f"{source}: {what} key '{path}' must be {_kind(shipped)}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise UserError(f"{source}: {what} key '{path}' must be a finite number, got {value!r}")
    if isinstance(value, list) and shipped and not isinstance(shipped[0], dict):
        for i, item in enumerate(value):
            if _kind(item) != _kind(shipped[0]):
                raise UserError(f"{source}: {what} key '{path}[{i}]' must be {_kind(shipped[0])}, got {item!r}")


def content_version(raw: dict) -> str:
    """A short hash of the effective settings, stored with results so a change of settings shows."""
    return hashlib.sha256(repr(sorted(_flatten(raw))).encode()).hexdigest()[:12]


def _flatten(raw: dict, prefix: str = ""):
    for key, value in raw.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield (f"{prefix}{key}", repr(value))
