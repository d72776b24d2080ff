"""Rule explanations for flag details, from the rule set when it can be loaded.

Reports must still be written when the rule package is missing or a rule file is broken: the flags in
the warehouse are complete without their explanations.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def rule_explanations(config, lang: str) -> dict[str, str]:
    try:
        from qc_pipeline.rules import load_ruleset
    except Exception:  # noqa: BLE001 - any import failure just means no explanations
        return {}
    try:
        try:
            ruleset = load_ruleset(config.rule_files)
        except TypeError:
            ruleset = load_ruleset()
        rules = list(ruleset.rules)
    except Exception as exc:  # noqa: BLE001
        log.warning("rule explanations unavailable: %s", exc)
        return {}
    out: dict[str, str] = {}
    for rule in rules:
        zh = getattr(rule, "explanation_zh", None) or ""
        en = getattr(rule, "explanation_en", None) or ""
        text = (en or zh) if lang == "en" else (zh or en)
        rule_id = getattr(rule, "id", None)
        if rule_id and text:
            out[str(rule_id)] = str(text)
    return out
