"""How much of a week the pages and the workbook show. Everything else is in the full lists beside them
(``sessions.csv``, ``flags.csv``), so a report's size follows the number of agents, not of sessions."""
from __future__ import annotations

# Sessions worth reading, per agent and kind, in the order the page shows the kinds. A session that
# fits several kinds is shown once, under the first.
READING = {"flagged": 10, "auto_failed": 5, "unanswered": 5, "slowest": 5, "best": 5}
# Worst sessions in the QC-score table of an agent's page and sheet.
WORST_SESSIONS_SHOWN = 20
# A transcript shows its first lines and every flagged message with this many messages either side.
TRANSCRIPT_LINES = 40
CONTEXT = 2
# Flag rows in the workbook: the week's flags sheet and each agent sheet, lowest session score first.
SHEET_FLAGS = 10_000
AGENT_SHEET_FLAGS = 200
# Excel refuses a sheet with more rows than this.
EXCEL_MAX_ROWS = 1_048_576
