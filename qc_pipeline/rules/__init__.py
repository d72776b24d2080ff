"""Stage `rules`: compliance flags on agent and auto-reply messages.

The rules are data (`data/rules.yaml`, `data/lexicons/`, `training/`); a shop adds, switches off or
re-weights them with its own files. See docs/rules.md.
"""
from __future__ import annotations

from qc_pipeline.rules.flagging import FLAG_SCHEMA, check_text, flag_messages
from qc_pipeline.rules.formatting import format_hits, format_rules
from qc_pipeline.rules.loader import load_ruleset
from qc_pipeline.rules.model import CATEGORIES, SEVERITIES, Hit, Rule, RuleSet

__all__ = [
    "CATEGORIES",
    "FLAG_SCHEMA",
    "SEVERITIES",
    "Hit",
    "Rule",
    "RuleSet",
    "check_text",
    "flag_messages",
    "format_hits",
    "format_rules",
    "load_ruleset",
]
