"""The conductor: reads a scope of the warehouse, calls the pure stages, replaces exactly that scope.

`stages` holds the pure functions (frames in, frames out) that the local engine calls here and a
distributed engine can map over shop partitions; `scope` decides which partitions and which input
around them; `rebuild` runs it in one transaction. See docs/architecture.md.
"""
from qc_pipeline.conductor.rebuild import RebuildReport, rebuild, table_columns
from qc_pipeline.conductor.stages import BUYER_TABLES, MONTHLY_TABLES, WEEKLY_TABLES, buyer_tables, weekly_tables

__all__ = ["BUYER_TABLES", "MONTHLY_TABLES", "WEEKLY_TABLES", "RebuildReport", "buyer_tables", "rebuild", "table_columns",
           "weekly_tables"]
