"""Flags recomputed from stored sessions (a new rule set) equal the flags of sessionizing again: every
message lands in its session, in conversation order, and every reply sees the buyer message it answers."""
from __future__ import annotations

import polars as pl

from qc_pipeline.conductor.stages import flags_table, stored_flags_table
from qc_pipeline.config import load_config
from qc_pipeline.rules import RuleSet, load_ruleset
from qc_pipeline.sessions.onduty import DutyCalendar
from qc_pipeline.sessions.sessionize import messages_in_sessions, ordered_messages, sessions_table
from tests.builders import A, B, message_frame

# A rule of the test's own (the shipped ones are tuned over time): 不可以 is flagged only when the buyer's
# message it answers asks for something.
RULE = r"""
rules:
  - id: TEST-REFUSAL
    category: flat_refusal
    severity: major
    terms: ["不可以"]
    boundary: none
    contexts:
      - id: no-request
        why: only a refused request counts
        buyer_lacks: '(?:能|可以|帮)'
    explanation_zh: 测试规则
    explanation_en: A rule for the test.
    source: tests
"""
ROWS = [
    # A request refused: flagged.
    ("买家甲", "buyer", "2026-11-18 10:00:00", A, "能改地址吗"),
    ("买家甲", "agent", "2026-11-18 10:00:30", A, "不可以的"),
    # Two hours later the agent writes first in a new session: nothing it answers, so not flagged (read
    # across the session edge, the request above would make it a refusal).
    ("买家甲", "agent", "2026-11-18 12:00:00", A, "不可以的"),
    ("买家甲", "buyer", "2026-11-18 12:01:00", A, "好吧"),
    # A request and its refusal in the same second, the refusal first in the export: the buyer's message
    # comes first in the conversation, so the reply answers it and is flagged.
    ("买家乙", "agent", "2026-11-18 11:00:00", B, "不可以哦"),
    ("买家乙", "buyer", "2026-11-18 11:00:00", B, "可以帮我改成红色吗"),
    ("买家乙", "buyer", "2026-11-18 11:05:00", B, "好的谢谢"),
    ("买家乙", "agent", "2026-11-18 11:05:20", B, "不可以再改了哦"),
]


def _ruleset(tmp_path) -> RuleSet:
    path = tmp_path / "rules.yaml"
    path.write_text(RULE, encoding="utf-8")
    return RuleSet([r for r in load_ruleset([path]).rules if r.id == "TEST-REFUSAL"], "test")


def _derived():
    config = load_config()
    messages = message_frame(ROWS)
    ordered = ordered_messages(messages.drop("text", "source_path"), DutyCalendar.from_shifts(config.shifts),
                               config.idle_seconds)
    return messages.drop("source_path"), ordered, sessions_table(ordered)


def test_messages_land_in_their_stored_sessions_in_conversation_order():
    messages, ordered, sessions = _derived()
    assert len(sessions) == 3
    placed = messages_in_sessions(messages.drop("text").sample(fraction=1.0, shuffle=True, seed=1), sessions)
    assert placed.select("msg_id", "session_id").equals(ordered.select("msg_id", "session_id"))
    # Only the sessions given: the messages of the others are left out.
    one = sessions.filter(pl.col("buyer") == "买家乙")
    assert messages_in_sessions(messages.drop("text"), one)["msg_id"].to_list() == (
        ordered.filter(pl.col("buyer") == "买家乙")["msg_id"].to_list())


def test_flags_from_stored_sessions_equal_flags_of_sessionizing_again(tmp_path):
    messages, ordered, sessions = _derived()
    ruleset = _ruleset(tmp_path)
    fresh = flags_table(ordered, messages.select("msg_id", "text"), ruleset)
    stored = stored_flags_table(messages, sessions, ruleset)
    assert fresh.sort("msg_id", "start", "rule_id").equals(stored.sort("msg_id", "start", "rule_id"))
    flagged = set(stored["msg_id"])
    ids = messages["msg_id"].to_list()
    assert flagged == {ids[1], ids[4]}  # the two refused requests, nothing else
