"""Stable ids of what a reviewer judges. A flag has no id of its own in the warehouse: its message, rule
and span name it, and stay the same across rebuilds as long as the rule still finds that span."""
from __future__ import annotations

import re

# DuckDB SQL over a `flags` row aliased f.
FLAG_ID_SQL = """('F' || substr(md5(f.msg_id || '|' || f.rule_id || '|' || CAST(f.start AS VARCHAR) || '|'
                  || CAST(f."end" AS VARCHAR)), 1, 16))"""
FLAG_ID = re.compile(r"^F[0-9a-f]{16}$")
