"""The review settings: the `[review]` table of the configuration (sampling plan, precision threshold)."""
from __future__ import annotations

from dataclasses import dataclass

from qc_pipeline.errors import UserError

STRATA = ("auto_failed", "flagged", "unflagged")


@dataclass(frozen=True)
class ReviewSettings:
    rates: dict[str, float]        # stratum -> share of its sessions sampled per agent-week
    per_agent: int                 # cap on flagged + unflagged sessions per agent-week
    seed: int
    precision_threshold: float     # below it (with min_reviewed reviewed flags) a rule needs tuning
    min_reviewed: int
    precision_weeks: int

    @classmethod
    def of(cls, config, source: str = "config") -> "ReviewSettings":
        raw = dict((getattr(config, "raw", None) or {}).get("review", {}))
        rates = {}
        for stratum in STRATA:
            value = raw.get(f"{stratum}_rate")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
                raise UserError(f"{source}: review.{stratum}_rate must be a share from 0 to 1, got {value!r}")
            rates[stratum] = float(value)
        for key in ("per_agent", "seed", "min_reviewed", "precision_weeks"):
            value = raw.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "precision_weeks" else 0):
                raise UserError(f"{source}: review.{key} must be a whole number ≥ {1 if key == 'precision_weeks' else 0}")
        threshold = raw.get("precision_threshold")
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
            raise UserError(f"{source}: review.precision_threshold must be a share from 0 to 1, got {threshold!r}")
        return cls(rates, raw["per_agent"], raw["seed"], float(threshold), raw["min_reviewed"], raw["precision_weeks"])
