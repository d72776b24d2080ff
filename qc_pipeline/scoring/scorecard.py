"""The QC scorecard: weighted categories, per-item deductions, critical auto-fail."""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from qc_pipeline.errors import UserError

CATEGORIES = ("responsiveness", "compliance", "outcome")
_SHAPE = {
    "auto_fail_on_critical": None,
    "weights": set(CATEGORIES),
    "responsiveness": {"first_missed", "follow_missed", "unanswered"},
    "compliance": {"critical", "major", "minor"},
    "outcome": {"converted", "not_converted"},
}


@dataclass(frozen=True)
class Scorecard:
    raw: dict
    version: str

    @property
    def auto_fail(self) -> bool:
        return bool(self.raw["auto_fail_on_critical"])

    def weight(self, category: str) -> float:
        return float(self.raw["weights"][category])

    def points(self, category: str, item: str) -> float:
        return float(self.raw[category][item])


def _shipped_text() -> str:
    return resources.files(__package__).joinpath("scorecard.toml").read_text(encoding="utf-8")


def load_scorecard(path: str | Path | None = None) -> Scorecard:
    raw = tomllib.loads(_shipped_text())
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"{path}: scorecard file not found")
        try:
            override = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: not valid TOML: {exc}") from None
        for key, value in override.items():
            if key not in _SHAPE:
                raise UserError(f"{path}: unknown scorecard key '{key}'")
            if _SHAPE[key] is None:
                raw[key] = value
                continue
            if not isinstance(value, dict):
                raise UserError(f"{path}: '{key}' must be a table")
            for item, number in value.items():
                if item not in _SHAPE[key]:
                    raise UserError(f"{path}: unknown scorecard key '{key}.{item}'")
                if not isinstance(number, (int, float)) or number < 0:
                    raise UserError(f"{path}: '{key}.{item}' must be a number ≥ 0, got {number!r}")
                raw[key][item] = number
    if sum(float(v) for v in raw["weights"].values()) <= 0:
        raise UserError(f"{path or 'scorecard'}: the weights must not all be 0")
    version = hashlib.sha256(repr(sorted(_flatten(raw))).encode()).hexdigest()[:12]
    return Scorecard(raw, version)


def _flatten(raw: dict, prefix: str = ""):
    for key, value in raw.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield (f"{prefix}{key}", value)
