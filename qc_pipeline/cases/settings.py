"""The case-library criteria: the shipped criteria.toml merged with a trainer's override file."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from qc_pipeline.errors import UserError
from qc_pipeline.tomlfiles import content_version, loads, merge_known, read_toml

GOOD_CATEGORIES = ("presale_converted", "aftersale_resolved")
BAD_CATEGORIES = ("critical_flag", "arguing", "unanswered", "slow_lost_sale")
GOOD_TERMS = ("qc_score", "fast_first_reply", "order_amount", "buyer_thanks")
BAD_TERMS = (
    "critical_flags", "arguing_flags", "other_flags", "unanswered", "slow_minutes", "lost_sale", "score_shortfall",
)


@dataclass(frozen=True)
class CaseCriteria:
    raw: dict
    version: str

    @property
    def max_per_agent(self) -> int:
        return int(self.raw["select"]["max_per_agent"])

    @property
    def min_good_score(self) -> float:
        return float(self.raw["good"]["min_score"])

    def categories(self, kind: str) -> list[str]:
        return list(self.raw[kind]["categories"])

    def weights(self, kind: str) -> dict[str, float]:
        return {k: float(v) for k, v in self.raw["weights"][kind].items()}

    def limit(self, key: str) -> float:
        return float(self.raw["limits"][key])

    def phrases(self, key: str) -> list[str]:
        return [p.lower() for p in self.raw["phrases"][key]]


def _shipped() -> dict:
    return loads(resources.files(__package__).joinpath("criteria.toml").read_text(encoding="utf-8"))


def _validate(raw: dict, source: str) -> None:
    for kind, allowed in (("good", GOOD_CATEGORIES), ("bad", BAD_CATEGORIES)):
        for c in raw[kind]["categories"]:
            if c not in allowed:
                raise UserError(f"{source}: {kind}.categories: unknown category {c!r} (use {', '.join(allowed)})")
    numbers = [("select.max_per_agent", raw["select"]["max_per_agent"]), ("good.min_score", raw["good"]["min_score"])]
    numbers += [(f"limits.{k}", v) for k, v in raw["limits"].items()]
    numbers += [(f"weights.{kind}.{k}", v) for kind in ("good", "bad") for k, v in raw["weights"][kind].items()]
    for group, value in numbers:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise UserError(f"{source}: '{group}' must be a number ≥ 0, got {value!r}")
    for key, values in raw["phrases"].items():
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise UserError(f"{source}: 'phrases.{key}' must be a list of non-empty strings")


def load_criteria(path: str | Path | CaseCriteria | None = None) -> CaseCriteria:
    if isinstance(path, CaseCriteria):
        return path
    raw = _shipped()
    source = "criteria.toml"
    if path is not None:
        path = Path(path)
        override = read_toml(path, "case criteria")
        source = str(path)
        raw = merge_known(raw, override, source, "case criteria")
    _validate(raw, source)
    return CaseCriteria(raw, content_version(raw))

