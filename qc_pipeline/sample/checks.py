"""Checks that keep the truth exact: they refuse a plan whose exports a reader would read differently."""
from __future__ import annotations

from qc_pipeline.sample import catalog, textlayouts
from qc_pipeline.sample.conversation import PlanError
from qc_pipeline.sample.model import Session


def align_text_exports(sessions: list[Session]) -> None:
    """Give buyer lines in text-only conversations the agent a reader will infer, and make sure the
    inference agrees with the plan wherever the truth depends on it."""
    for name, layout in catalog.TEXT_LAYOUTS.items():
        in_file = [s for s in sessions if name in s.files]
        if len({(s.shop, s.buyer) for s in in_file}) != 1:
            raise PlanError(f"{name}: a text export holds one buyer of one shop")
        inferred = textlayouts.infer_buyer_agents(textlayouts.file_events(in_file, with_notes=layout != "web"))
        for session in in_file:
            for m in session.msgs:
                if m.role != "buyer":
                    continue
                if session.files[0] == name:
                    m.agent = inferred[m.uid]
                elif inferred[m.uid] != m.agent:
                    raise PlanError(f"{name}: {m.at} would be read as {inferred[m.uid]}, the CSV says {m.agent}")
            for rnd in session.rounds:
                if rnd.reply is None and rnd.agent != rnd.serving_agent:
                    raise PlanError(f"{name}: unanswered round at {rnd.started_at} would go to {rnd.agent}")


def check_identities(sessions: list[Session]) -> None:
    """Distinct messages must differ in content, except identical lines inside one export (two real
    messages there); otherwise a copy in another file would not be recognised as the same message."""
    holders: dict[tuple, list[Session]] = {}
    for session in sessions:
        for m in session.msgs:
            holders.setdefault(m.content_key(), []).append(session)
    for key, group in holders.items():
        if len(group) > 1 and any(s.files != group[0].files or len(s.files) > 1 for s in group):
            raise PlanError(f"{key}: identical messages in different files")
