"""The QC scorecard: weighted categories, per-item deductions, critical auto-fail."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from qc_pipeline.errors import UserError
from qc_pipeline.tomlfiles import content_version, loads, read_toml

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
    raw = loads(_shipped_text())
    if path is not None:
        path = Path(path)
        override = read_toml(path, "scorecard")
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
    return Scorecard(raw, content_version(raw))

