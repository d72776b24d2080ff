"""One rule entry of a rule file, checked field by field and turned into a `Rule`."""
from __future__ import annotations

import re
from pathlib import Path

from qc_pipeline.errors import UserError
from qc_pipeline.rules.classifier import TRAINING_DIR, labels_of
from qc_pipeline.rules.context import CONDITIONS, Context
from qc_pipeline.rules.model import BOUNDARIES, CATEGORIES, CHECKED_ROLES, KINDS, SEVERITIES, Rule
from qc_pipeline.rules.text import compile_pattern, fold

LEXICON_DIR = Path(__file__).parent / "data" / "lexicons"
WORD_LISTS = ("terms", "triggers", "exempt_terms", "unless", "cues")
TEXT_FIELDS = ("category", "severity", "explanation_zh", "explanation_en", "source")
LEXICON_ONLY = {
    "terms", "patterns", "triggers", "exempt_terms", "exempt_patterns", "unless", "boundary", "skip_quotes",
    "contexts", "max_chars",
}
CLASSIFIER_ONLY = {"training", "label", "threshold", "cues", "min_chars"}
KNOWN = {"id", "kind", "enabled", "weight", "roles", *TEXT_FIELDS, *LEXICON_ONLY, *CLASSIFIER_ONLY}
# What a later file may do to a rule that already exists: set these ...
OVERRIDABLE = {
    "lexicon": {"enabled", "severity", "weight"},
    "classifier": {"enabled", "severity", "weight", "threshold", "min_chars"},
}
# ... and add to these lists.
EXTENDABLE = {"lexicon": {"terms", "exempt_terms", "exempt_patterns", "unless", "contexts"}, "classifier": {"cues"}}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def parse_rule(entry: dict, where: str, base_dir: Path, origin: str, resolved: bool = False) -> Rule:
    """`resolved` entries come from a merge: lists already read, lexicons and training found."""
    unknown = set(entry) - KNOWN - ({"origin"} if resolved else set())
    if unknown:
        raise UserError(f"{where}: unknown field '{sorted(unknown)[0]}'")
    if not _ID.fullmatch(entry["id"]):
        raise UserError(f"{where}: id may hold only letters, digits, '_', '-' and '.'")
    kind = _choice(entry, "kind", KINDS, where, "lexicon")
    wrong = set(entry) & (CLASSIFIER_ONLY if kind == "lexicon" else LEXICON_ONLY)
    if wrong and not resolved:
        raise UserError(f"{where}: '{sorted(wrong)[0]}' does not apply to a {kind} rule")
    fields = {key: _text(entry, key, where) for key in TEXT_FIELDS}
    _choice(entry, "category", CATEGORIES, where)
    _choice(entry, "severity", SEVERITIES, where)
    lists = {}
    for key in (*WORD_LISTS, "patterns", "exempt_patterns", "roles"):
        value = entry.get(key, ())
        items = tuple(value) if resolved else resolve_list(value, key, where, base_dir)
        lists[key] = tuple(dict.fromkeys(fold(i) for i in items)) if key in WORD_LISTS else tuple(items)
    contexts = tuple(entry.get("contexts", ())) if resolved else parse_contexts(
        entry.get("contexts", []), where, base_dir)
    roles = lists.pop("roles") or CHECKED_ROLES
    bad_roles = set(roles) - set(CHECKED_ROLES)
    if bad_roles:
        raise UserError(
            f"{where}: role '{sorted(bad_roles)[0]}' cannot be checked (roles: {', '.join(CHECKED_ROLES)}; "
            "buyer and system messages are never flagged)"
        )
    for key in ("patterns", "exempt_patterns"):
        for pattern in lists[key]:
            _check_pattern(pattern, key, where)
    rule = Rule(
        id=entry["id"],
        kind=kind,
        enabled=_flag(entry, "enabled", where, True),
        weight=_number(entry, "weight", where, 1.0),
        roles=tuple(roles),
        boundary=_choice(entry, "boundary", BOUNDARIES, where, "word"),
        skip_quotes=_flag(entry, "skip_quotes", where, True),
        max_chars=_whole(entry, "max_chars", where),
        origin=origin,
        contexts=contexts,
        **fields,
        **lists,
        **(_classifier_fields(entry, where, base_dir, resolved) if kind == "classifier" else {}),
    )
    if kind == "lexicon":
        if not rule.terms and not rule.patterns:
            raise UserError(f"{where}: matches nothing (give 'terms' or 'patterns')")
        if rule.patterns and not rule.triggers:
            raise UserError(
                f"{where}: 'patterns' need 'triggers': literal text that every match contains, "
                "so the prefilter can find the messages worth checking"
            )
    return rule


def resolve_list(value, key: str, where: str, base_dir: Path) -> list[str]:
    """A list of strings; an item '@name' stands for the lines of a lexicon file."""
    # YAML reads an unquoted 666 as a number; it is still the word 666.
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        raise UserError(f"{where}: '{key}' must be a list of strings")
    out = []
    for item in map(str, value):
        if item.startswith("@"):
            out += _lexicon(item[1:], where, base_dir)
        elif item.strip():
            out.append(item.strip() if key not in ("patterns", "exempt_patterns") else item)
    return out


def parse_contexts(value, where: str, base_dir: Path) -> tuple[Context, ...]:
    """A rule's `contexts`: a list of mappings, each with an id, a reason and at least one condition."""
    if not isinstance(value, (list, tuple)):
        raise UserError(f"{where}: 'contexts' must be a list of mappings (id, why, and before, after, clause, "
                        "message, clause_terms or message_terms)")
    out, seen = [], set()
    for n, item in enumerate(value, start=1):
        if isinstance(item, Context):
            out.append(item)
            continue
        here = f"{where}: context #{n}"
        if not isinstance(item, dict):
            raise UserError(f"{here}: expected a mapping")
        unknown = set(item) - {"id", "why", *CONDITIONS}
        if unknown:
            raise UserError(f"{here}: unknown field '{sorted(unknown)[0]}' (expected id, why, {', '.join(CONDITIONS)})")
        cid, why = item.get("id"), item.get("why")
        if not isinstance(cid, str) or not _ID.fullmatch(cid):
            raise UserError(f"{here}: 'id' must be letters, digits, '_', '-' or '.'")
        here = f"{where}: context '{cid}'"
        if cid in seen:
            raise UserError(f"{here}: defined twice")
        seen.add(cid)
        if not isinstance(why, str) or not why.strip():
            raise UserError(f"{here}: 'why' is missing or empty")
        fields = {}
        for key in ("hit", "before", "after", "clause", "message", "later", "message_lacks", "buyer", "buyer_lacks"):
            pattern = item.get(key, "")
            if not isinstance(pattern, str):
                raise UserError(f"{here}: '{key}' must be a regular expression")
            if pattern:
                try:
                    compile_pattern(pattern)
                except re.error as exc:
                    raise UserError(f"{here}: {key} {pattern!r} is not a valid regular expression ({exc})") from None
            fields[key] = pattern
        for key in ("clause_terms", "message_terms", "clause_lacks_terms"):
            fields[key] = tuple(dict.fromkeys(fold(w) for w in resolve_list(item.get(key, []), key, here, base_dir)))
        if not any(fields.values()):
            raise UserError(f"{here}: gives no condition ({', '.join(CONDITIONS)})")
        out.append(Context(id=cid, why=why.strip(), **fields))
    return tuple(out)


def _lexicon(name: str, where: str, base_dir: Path) -> list[str]:
    places = [base_dir / name, base_dir / f"{name}.txt", LEXICON_DIR / f"{name}.txt"]
    for path in places:
        if path.is_file():
            lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
            return [line for line in lines if line and not line.startswith("#")]
    raise UserError(f"{where}: lexicon '@{name}' not found (looked for {', '.join(str(p) for p in places)})")


def _classifier_fields(entry: dict, where: str, base_dir: Path, resolved: bool) -> dict:
    for key in ("training", "label", "threshold"):
        if key not in entry:
            raise UserError(f"{where}: a classifier rule needs '{key}'")
    training = _text(entry, "training", where)
    if not resolved:
        local = base_dir / training
        training = str(local if local.is_file() else TRAINING_DIR / training)
        if not Path(training).is_file():
            raise UserError(f"{where}: training data '{entry['training']}' not found")
    label = _text(entry, "label", where)
    labels = labels_of(training)
    if label not in labels:
        raise UserError(f"{where}: label '{label}' is not in {training} (it has {', '.join(sorted(labels))})")
    threshold = _number(entry, "threshold", where, None)
    if not 0 < threshold < 1:
        raise UserError(f"{where}: threshold must lie between 0 and 1")
    min_chars = _number(entry, "min_chars", where, 0)
    if min_chars != int(min_chars):
        raise UserError(f"{where}: 'min_chars' must be a whole number")
    return {"training": training, "label": label, "threshold": threshold, "min_chars": int(min_chars)}


def _check_pattern(pattern: str, key: str, where: str) -> None:
    try:
        compiled = compile_pattern(pattern)
    except re.error as exc:
        raise UserError(f"{where}: {key} {pattern!r} is not a valid regular expression ({exc})") from None
    if compiled.fullmatch(""):
        raise UserError(f"{where}: {key} {pattern!r} matches empty text")


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where}: '{key}' is missing or empty")
    return value.strip()


def _choice(entry: dict, key: str, allowed: tuple[str, ...], where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if value not in allowed:
        shown = "missing" if value is None else repr(value)
        raise UserError(f"{where}: {key} {shown} is not one of {', '.join(allowed)}")
    return value


def _whole(entry: dict, key: str, where: str) -> int:
    value = _number(entry, key, where, 0)
    if value != int(value):
        raise UserError(f"{where}: '{key}' must be a whole number")
    return int(value)


def _flag(entry: dict, key: str, where: str, default: bool) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise UserError(f"{where}: '{key}' must be true or false")
    return value


def _number(entry: dict, key: str, where: str, default):
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UserError(f"{where}: '{key}' must be a number of at least 0")
    return float(value)
