"""Stage `weekly`: the per-(week, shop, agent) and per-(week, shop) figures, from the per-buyer tables."""
from qc_pipeline.weekly.agent_week import (
    KEYS,
    agent_week_flags,
    agent_week_response,
    agent_week_table,
    weekly_flag_counts,
    weekly_scores,
    with_bands,
)

__all__ = [
    "KEYS", "agent_week_flags", "agent_week_response", "agent_week_table", "weekly_flag_counts",
    "weekly_scores", "with_bands",
]
