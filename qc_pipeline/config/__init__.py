"""Configuration: the shipped defaults merged with a user's override file.

Thresholds, shifts, targets and patterns live in ``default.toml`` so that a shop can change its
service standard without touching code.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qc_pipeline.errors import UserError
from qc_pipeline.tomlfiles import content_version, loads, merge_known, read_toml

ROLES = ("presale", "aftersale", "supervisor")
# What a `[shops."店铺名"]` table may override for one shop; everything else is warehouse-wide.
SHOP_KEYS = ("timezone", "shifts", "targets", "sessions", "conversion", "kpis", "standard")
# The sections the derived tables are computed from: a change in any of them rebuilds the partitions it
# applies to (ingest settings only affect files read from then on; rules and scorecard carry versions
# of their own).
DERIVED_KEYS = ("timezone", "shifts", "targets", "sessions", "roster", "conversion", "kpis", "standard")
ATTRIBUTION_MODES = ("order", "paid", "order_then_paid")
# The widest time window a config may set: the report's week arithmetic needs room at both ends.
_WINDOW_LIMITS = (dt.datetime(1900, 1, 1), dt.datetime(9000, 1, 1))
# JSON deeper than this cannot be parsed with the interpreter's recursion limit to spare.
JSON_DEPTH_LIMIT = 200
# The [ingest] limits on one input file (default.toml): the size ones are in MiB.
INGEST_LIMITS = ("xlsx_max_uncompressed_mb", "xlsx_max_expansion_ratio", "json_max_document_mb", "whole_file_max_mb")


def default_config_text() -> str:
    return resources.files(__package__).joinpath("default.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Shift:
    name: str
    start_s: int  # seconds after local midnight
    end_s: int  # may be <= start_s when the shift crosses midnight


@dataclass(frozen=True)
class IngestLimits:
    xlsx_max_uncompressed_bytes: int
    xlsx_max_expansion_ratio: float
    json_max_document_bytes: int
    whole_file_max_bytes: int | None = None


@dataclass(frozen=True)
class Config:
    raw: dict

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.raw["timezone"])

    @property
    def idle_seconds(self) -> int:
        return int(round(float(self.raw["sessions"]["idle_minutes"]) * 60))

    @property
    def wait_cap_seconds(self) -> int:
        return int(self.raw["targets"]["wait_cap_seconds"])

    def target_seconds(self, role: str, first: bool) -> int:
        key = "first_response_seconds" if first else "follow_up_seconds"
        override = self.raw["targets"].get("roles", {}).get(role, {})
        return int(override.get(key, self.raw["targets"][key]))

    @property
    def default_role(self) -> str:
        return self.raw["roster"]["default_role"]

    @property
    def auto_reply_patterns(self) -> list[str]:
        return list(self.raw["ingest"]["auto_reply_patterns"])

    @property
    def time_window(self):
        """Message and order times outside [start, end) are quarantined (see ingest/timeparse.py)."""
        from qc_pipeline.ingest.timeparse import TimeWindow

        ingest = self.raw["ingest"]
        return TimeWindow(_window_bound(ingest["time_window_start"]), _window_bound(ingest["time_window_end"]))

    @property
    def json_max_depth(self) -> int:
        return int(self.raw["ingest"]["json_max_depth"])

    @property
    def ingest_limits(self) -> IngestLimits:
        ingest = self.raw["ingest"]
        return IngestLimits(
            xlsx_max_uncompressed_bytes=int(ingest["xlsx_max_uncompressed_mb"] * (1 << 20)),
            xlsx_max_expansion_ratio=float(ingest["xlsx_max_expansion_ratio"]),
            json_max_document_bytes=int(ingest["json_max_document_mb"] * (1 << 20)),
            whole_file_max_bytes=int(ingest["whole_file_max_mb"] * (1 << 20)),
        )

    @property
    def aftersale_first_reply_seconds(self) -> int:
        return int(self.raw["kpis"]["aftersale_first_reply_seconds"])

    @property
    def reopen_hours(self) -> float:
        return float(self.raw["kpis"]["reopen_hours"])

    @property
    def promise_due_hours(self) -> float:
        return float(self.raw["standard"]["promise_due_hours"])

    @property
    def promise_follow_hours(self) -> float:
        return float(self.raw["standard"]["promise_follow_hours"])

    @property
    def payment_close_hours(self) -> float:
        return float(self.raw["standard"]["payment_close_hours"])

    @property
    def first_within_target_share(self) -> float:
        """The 首响达标率 the standard asks for, 0-100 (reports.first_within_target_pct)."""
        return float(self.raw["reports"]["first_within_target_pct"])

    @property
    def min_sessions(self) -> int:
        """Fewer sessions in a week than this make an agent's figures a small sample (reports.min_sessions)."""
        return int(self.raw["reports"]["min_sessions"])

    @property
    def topics_max_questions(self) -> int:
        """Opening questions one topic-mining window clusters at most (a seeded sample above that)."""
        return int(self.raw["topics"]["max_questions"])

    @property
    def conversion(self) -> dict:
        return self.raw["conversion"]

    @property
    def rule_files(self) -> list[Path]:
        return [Path(f) for f in self.raw["rules"]["files"]]

    @property
    def scorecard_path(self) -> Path | None:
        return Path(self.raw["scoring"]["scorecard"]) if self.raw["scoring"]["scorecard"] else None

    @property
    def cases_criteria(self) -> Path | None:
        """The case-selection criteria `qc run` picks with ([cases] criteria); None: the shipped ones."""
        return Path(self.raw["cases"]["criteria"]) if self.raw["cases"]["criteria"] else None

    @property
    def cases_top(self) -> int:
        return int(self.raw["cases"]["top"])

    @property
    def shop_overrides(self) -> dict[str, dict]:
        return self.raw.get("shops", {})

    def for_shop(self, shop: str | None) -> "Config":
        """The settings one shop runs on: the warehouse-wide ones with its `[shops."…"]` table laid over."""
        override = self.shop_overrides.get(shop) if shop is not None else None
        if not override:
            return self
        raw = {k: v for k, v in self.raw.items() if k != "shops"}
        return Config(merge_known(raw, override, f"shops.{shop}", "config", open_tables=frozenset({"targets.roles"}), dates=DATE_KEYS))

    @property
    def derived_version(self) -> str:
        """A hash of the settings the derived tables are computed from (this shop's, if for_shop)."""
        return content_version({k: self.raw.get(k) for k in DERIVED_KEYS})

    @property
    def shifts(self) -> list[Shift]:
        return [
            Shift(s.get("name", f"shift{i + 1}"), _clock(s["start"]), _clock(s["end"]))
            for i, s in enumerate(self.raw.get("shifts", []))
        ]


def _clock(text: str) -> int:
    """Seconds after midnight of "H:MM" or "HH:MM:SS"; "24:00" is allowed as an end."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text.strip())
    if not m:
        raise ValueError(text)
    h, mi, se = int(m[1]), int(m[2]), int(m[3] or 0)
    if h > 24 or mi > 59 or se > 59 or (h == 24 and (mi or se)):
        raise ValueError(text)
    return (h * 3600 + mi * 60 + se) % 86400


# The smallest value of numeric settings, where 0 is not enough (every other number must be ≥ 0): a
# target of 0 or less seconds makes every reply late. Upper bounds are checked where they exist.
MINIMUMS = {
    "targets.first_response_seconds": 1,
    "targets.follow_up_seconds": 1,
    "targets.wait_cap_seconds": 1,
    "sessions.idle_minutes": 1,
    "review.precision_weeks": 1,
    "topics.max_questions": 100,
    "cases.top": 1,
}
SHARES = ("review.auto_failed_rate", "review.flagged_rate", "review.unflagged_rate", "review.precision_threshold")
# Settings the code counts in whole units (20.7 seconds was silently read as 20).
WHOLE = (
    "targets.first_response_seconds", "targets.follow_up_seconds", "targets.wait_cap_seconds", "sessions.idle_minutes",
    "conversion.window_days", "conversion.min_inquiries", "kpis.aftersale_first_reply_seconds", "ingest.json_max_depth",
    "review.per_agent", "review.seed", "review.min_reviewed", "review.precision_weeks", "reports.min_sessions",
    "cases.top",
)
# The largest value of a setting, where one exists; any other number stays below LARGEST, which no count,
# duration or share of this configuration comes near (1e30 seconds overflowed the time arithmetic).
MAXIMUMS = {
    "targets.first_response_seconds": 86_400, "targets.follow_up_seconds": 86_400,
    "targets.wait_cap_seconds": 86_400, "sessions.idle_minutes": 10_080,
    "kpis.aftersale_first_reply_seconds": 86_400, "kpis.reopen_hours": 8_784,
    "review.seed": 2**32 - 1,
}
LARGEST = 1e9
DATE_KEYS = frozenset({"ingest.time_window_start", "ingest.time_window_end"})


def _numbers(raw: dict, prefix: str = ""):
    for key, value in raw.items():
        if isinstance(value, dict) and key != "shops":
            yield from _numbers(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield f"{prefix}{key}", value


def _check_numbers(raw: dict, source: str) -> None:
    for path, value in _numbers(raw):
        # targets.roles.<role>.<key> has the bounds of targets.<key>
        generic = "targets." + path.rsplit(".", 1)[1] if path.startswith("targets.roles.") else path
        low = MINIMUMS.get(generic, 0)
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{source}: config key '{path}' must be a finite number, got {value!r}")
        if value < low:
            raise UserError(f"{source}: config key '{path}' must be at least {low}, got {value!r}")
        high = MAXIMUMS.get(generic, LARGEST)
        if value > high:
            raise UserError(f"{source}: config key '{path}' must be at most {high:,}, got {value!r}")
        if generic in WHOLE and not float(value).is_integer():
            raise UserError(f"{source}: config key '{path}' must be a whole number, got {value!r}")
        if path in SHARES and value > 1:
            raise UserError(f"{source}: config key '{path}' is a share from 0 to 1, got {value!r}")


def _window_bound(value) -> dt.datetime:
    """A window bound: a TOML date or datetime, or text "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.strip())
    raise ValueError(value)


def _validate_ingest_limits(ingest: dict, source: str) -> None:
    bounds = []
    for key in ("time_window_start", "time_window_end"):
        value = ingest[key]
        try:
            bound = _window_bound(value)
        except (ValueError, TypeError):
            raise UserError(f"{source}: ingest.{key} must be a date like \"2000-01-01\", got {value!r}") from None
        if not _WINDOW_LIMITS[0] <= bound <= _WINDOW_LIMITS[1]:
            raise UserError(f"{source}: ingest.{key} must lie between the years 1900 and 9000, got {value!r}")
        bounds.append(bound)
    if bounds[0] >= bounds[1]:
        raise UserError(f"{source}: ingest.time_window_start must be before ingest.time_window_end")
    depth = ingest["json_max_depth"]
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= JSON_DEPTH_LIMIT:
        raise UserError(f"{source}: ingest.json_max_depth must be a whole number from 1 to {JSON_DEPTH_LIMIT}, got {depth!r}")


def _check_rule_files(files, source: str) -> None:
    # the shipped list is empty, so the kind check has no item to compare with
    for i, name in enumerate(files):
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{source}: config key 'rules.files[{i}]' must be a file name in quotes, got {name!r}")


def _validate(raw: dict, source: str) -> None:
    _check_numbers(raw, source)
    try:
        ZoneInfo(str(raw["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"{source}: timezone '{raw['timezone']}' is not a known IANA time zone") from None
    for i, shift in enumerate(raw.get("shifts", [])):
        where = f"{source}: shifts[{i}]"
        if not isinstance(shift, dict):
            raise UserError(f"{where} must be a table with start and end")
        unknown = set(shift) - {"name", "start", "end"}
        if unknown:
            raise UserError(f"{where}: unknown config key '{sorted(unknown)[0]}'")
        for key in ("start", "end"):
            value = shift.get(key)
            try:
                _clock(value)
            except (ValueError, AttributeError):
                raise UserError(f"{where}.{key} must be a time like \"08:30\", got {value!r}") from None
        if _clock(shift["start"]) == _clock(shift["end"]):
            raise UserError(f"{where}: start equals end; for round-the-clock duty use shifts = []")
    for role, override in raw["targets"].get("roles", {}).items():
        if role not in ROLES:
            raise UserError(f"{source}: targets.roles.{role}: unknown role (use one of {', '.join(ROLES)})")
        for key in override:
            if key not in ("first_response_seconds", "follow_up_seconds"):
                raise UserError(f"{source}: unknown config key 'targets.roles.{role}.{key}'")
            value = override[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise UserError(f"{source}: config key 'targets.roles.{role}.{key}' must be a number, got {value!r}")
    if raw["roster"]["default_role"] not in ROLES:
        raise UserError(f"{source}: roster.default_role must be one of {', '.join(ROLES)}")
    _check_rule_files(raw["rules"]["files"], source)
    for pattern in raw["ingest"]["auto_reply_patterns"]:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UserError(f"{source}: ingest.auto_reply_patterns: bad regular expression {pattern!r}: {exc}") from None
    _validate_ingest_limits(raw["ingest"], source)
    for key in INGEST_LIMITS:
        value = raw["ingest"][key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UserError(f"{source}: ingest.{key} must be a positive number, got {value!r}")
    conv = raw["conversion"]
    if not (isinstance(conv["window_days"], int) and 1 <= conv["window_days"] <= 15):
        raise UserError(f"{source}: conversion.window_days must be a whole number of days from 1 to 15")
    if conv["attribution"] not in ATTRIBUTION_MODES:
        raise UserError(
            f"{source}: conversion.attribution must be one of {', '.join(ATTRIBUTION_MODES)}, got {conv['attribution']!r}"
        )
    if not isinstance(conv["min_inquiries"], int) or conv["min_inquiries"] < 0:
        raise UserError(f"{source}: conversion.min_inquiries must be a whole number ≥ 0")
    bands = conv["bands"]
    if not bands:
        raise UserError(f"{source}: conversion.bands must list at least one band")
    for i, band in enumerate(bands):
        unknown = set(band) - {"name", "label", "min_pct"}
        if unknown:
            raise UserError(f"{source}: unknown config key 'conversion.bands[{i}].{sorted(unknown)[0]}'")
        if "name" not in band or "min_pct" not in band:
            raise UserError(f"{source}: conversion.bands[{i}] needs name and min_pct")
        pct = band["min_pct"]
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not math.isfinite(pct) or not 0 <= pct <= 100:
            raise UserError(f"{source}: conversion.bands[{i}].min_pct must be a percentage from 0 to 100, got {pct!r}")
    if sorted(b["min_pct"] for b in bands) != [b["min_pct"] for b in bands] or bands[0]["min_pct"] != 0:
        raise UserError(f"{source}: conversion.bands must be in rising min_pct order starting at 0")
    for key in ("aftersale_first_reply_seconds", "reopen_hours"):
        value = raw["kpis"][key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise UserError(f"{source}: kpis.{key} must be a positive number, got {value!r}")
    standard = raw["standard"]
    for key in ("promise_due_hours", "promise_follow_hours", "payment_close_hours"):
        value = standard[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 24 * 60:
            raise UserError(f"{source}: standard.{key} must be a positive number of hours (at most 1440), "
                            f"got {value!r}")
    if standard["promise_follow_hours"] < standard["promise_due_hours"]:
        raise UserError(f"{source}: standard.promise_follow_hours ({standard['promise_follow_hours']!r}) must be at "
                        f"least standard.promise_due_hours ({standard['promise_due_hours']!r})")
    cap = raw["topics"]["max_questions"]
    if isinstance(cap, bool) or not isinstance(cap, int):
        raise UserError(f"{source}: topics.max_questions must be a whole number, got {cap!r}")
    for key in ("idle_minutes",):
        if float(raw["sessions"][key]) <= 0:
            raise UserError(f"{source}: sessions.{key} must be positive")
    share = raw["reports"]["first_within_target_pct"]
    if not 0 <= share <= 100:
        raise UserError(f"{source}: reports.first_within_target_pct is a percentage from 0 to 100, got {share!r}")
    min_sessions = raw["reports"]["min_sessions"]
    if not isinstance(min_sessions, int) or min_sessions < 0:
        raise UserError(f"{source}: reports.min_sessions must be a whole number of sessions ≥ 0, got {min_sessions!r}")


def _validate_shops(raw: dict, source: str) -> None:
    shops = raw.get("shops", {})
    if not isinstance(shops, dict):
        raise UserError(f"{source}: 'shops' must be a table of [shops.\"店铺名\"] tables")
    base = {k: v for k, v in raw.items() if k != "shops"}
    for shop, override in shops.items():
        where = f'{source}: shops."{shop}"'
        if not isinstance(override, dict):
            raise UserError(f"{where} must be a table")
        for key in override:
            if key not in SHOP_KEYS:
                raise UserError(f"{where}: '{key}' cannot be set per shop (only {', '.join(SHOP_KEYS)})")
        merged = merge_known(base, override, f'{source}: shops."{shop}"', "config",
                             open_tables=frozenset({"targets.roles"}), dates=DATE_KEYS)
        _validate(merged, f'{source}: shops."{shop}"')


def load_config(path: str | Path | None = None) -> Config:
    raw = loads(default_config_text())
    source = "default.toml"
    if path is not None:
        path = Path(path)
        override = read_toml(path, "config")
        # targets.roles names the shop's roles rather than fixed settings.
        raw = merge_known(raw, override, str(path), "config", open_tables=frozenset({"targets.roles", "shops"}),
                           dates=DATE_KEYS)
        source = str(path)
        # File names in a config file are relative to that file, not to wherever qc was started.
        if "files" in override.get("rules", {}):
            _check_rule_files(raw["rules"]["files"], source)
            raw["rules"]["files"] = [str((path.parent / f).resolve()) for f in raw["rules"]["files"]]
        if override.get("cases", {}).get("criteria"):
            raw["cases"]["criteria"] = str((path.parent / raw["cases"]["criteria"]).resolve())
        if override.get("scoring", {}).get("scorecard"):
            raw["scoring"]["scorecard"] = str((path.parent / raw["scoring"]["scorecard"]).resolve())
    _validate(raw, source)
    _validate_shops(raw, source)
    return Config(raw)
