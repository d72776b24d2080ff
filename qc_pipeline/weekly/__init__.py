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
from qc_pipeline.weekly.kpis import aftersale_kpis, order_kpis, reception_kpis

__all__ = [
    "KEYS", "agent_week_flags", "agent_week_response", "agent_week_table", "weekly_flag_counts",
    "weekly_scores", "with_bands", "aftersale_kpis", "order_kpis", "reception_kpis",
]
