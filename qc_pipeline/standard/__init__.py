"""Stage `standard`: the service standard's clauses beyond response times (docs/metrics.md,
"Service-standard clauses"): look-up promises and payment reminders, per buyer, and their agent-week
figures. Pure functions of frames, like every stage."""
from qc_pipeline.standard.lexicons import StandardLexicons, parse_standard_lexicons, standard_lexicons
from qc_pipeline.standard.promises import promises_table, shop_latest
from qc_pipeline.standard.reminders import payment_reminders_table
from qc_pipeline.standard.weekly import COUNT_COLUMNS, agent_week_standard

__all__ = [
    "StandardLexicons", "parse_standard_lexicons", "standard_lexicons", "promises_table", "shop_latest",
    "payment_reminders_table", "COUNT_COLUMNS", "agent_week_standard",
]
