"""Rule files: the shipped set, then each shop file in order (add, switch off, re-weight, extend).

Every mistake names the file, the rule and the problem, as a UserError.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

import qc_pipeline

from qc_pipeline.errors import UserError
from qc_pipeline.rules.fields import OVERRIDABLE, EXTENDABLE, parse_contexts, parse_rule, resolve_list
from qc_pipeline.rules.model import Rule, RuleSet

DATA_DIR = Path(__file__).parent / "data"
SHIPPED = DATA_DIR / "rules.yaml"
FORMAT = 1


def load_ruleset(extra_files: list[Path] | None = None) -> RuleSet:
    """The shipped rules, then each extra file in order; see docs/rules.md for the format."""
    rules: dict[str, Rule] = {}
    for path in [SHIPPED, *(Path(p) for p in extra_files or [])]:
        for entry, where in _entries(path):
            rule_id = entry["id"]
            if rule_id in rules:
                rules[rule_id] = _override(rules[rule_id], entry, where, path)
            elif "category" not in entry and "kind" not in entry:
                raise UserError(
                    f"{where}: no such rule to change (a new rule needs category, severity, terms or "
                    "patterns, explanation_zh, explanation_en and source)"
                )
            else:
                rules[rule_id] = parse_rule(entry, where, path.parent, origin=str(path))
    ordered = list(rules.values())
    return RuleSet(ordered, ruleset_version(ordered))


def ruleset_version(rules: list[Rule]) -> str:
    """A short content hash of what the enabled rules match, lexicons and training data included.

    The package version is part of it: a release that changes how rules match changes the version too,
    so flags of old weeks can be told apart from a re-check with the new engine."""
    payload = {
        "engine": qc_pipeline.__version__,
        "rules": [r.fingerprint() for r in sorted(rules, key=lambda r: r.id) if r.enabled],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def _entries(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: rule file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read rule file ({exc})") from None
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise UserError(f"{path}: expected a mapping with a 'rules' list")
    unknown = set(doc) - {"format", "rules"}
    if unknown:
        raise UserError(f"{path}: unknown top-level key '{sorted(unknown)[0]}' (expected format, rules)")
    if doc.get("format", FORMAT) != FORMAT:
        raise UserError(f"{path}: format {doc['format']!r} is not supported (expected {FORMAT})")
    seen = set()
    for n, entry in enumerate(doc["rules"], start=1):
        if not isinstance(entry, dict):
            raise UserError(f"{path}: rule #{n}: expected a mapping of rule fields")
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise UserError(f"{path}: rule #{n}: missing 'id'")
        where = f"{path}: rule '{rule_id}'"
        if rule_id in seen:
            raise UserError(f"{where}: defined twice in this file")
        seen.add(rule_id)
        yield entry, where


def _override(base: Rule, entry: dict, where: str, path: Path) -> Rule:
    """A later file naming an existing id may switch it, re-weight it or extend its word lists."""
    settable, extendable = OVERRIDABLE[base.kind], EXTENDABLE[base.kind]
    fixed = set(entry) - {"id"} - settable - extendable
    if fixed:
        raise UserError(
            f"{where}: '{sorted(fixed)[0]}' of an existing {base.kind} rule cannot be changed (a later file "
            f"may set {', '.join(sorted(settable))} or add to {', '.join(sorted(extendable))}; to change "
            "more, switch the rule off and add one with a new id)"
        )
    merged = dict(base.__dict__)
    for key in extendable & set(entry):
        more = (parse_contexts(entry[key], where, path.parent) if key == "contexts"
                else resolve_list(entry[key], key, where, path.parent))
        merged[key] = (*merged[key], *more)
    merged.update({k: entry[k] for k in settable & set(entry)})
    return parse_rule(merged, where, path.parent, origin=f"{base.origin}, {path}", resolved=True)
