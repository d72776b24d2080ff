"""How much of a week the pages and the workbook show. Everything else is in the full lists beside them
(``sessions.parquet``, ``flags.csv``, ``standard.csv``), so a report's size follows the number of agents,
not of sessions."""
from __future__ import annotations

# Sessions worth reading, per agent and kind, in the order the page shows the kinds. A session that
# fits several kinds is shown once, under the first.
READING = {"flagged": 8, "auto_failed": 3, "unanswered": 3, "slowest": 3, "best": 3}
# Worst sessions in the QC-score table of an agent's page and sheet.
WORST_SESSIONS_SHOWN = 20
# The sessions behind a count (reports/drill.py) are all listed; this many of each agent's list carry their
# transcript, the rest are in sessions.parquet.
LIST_TRANSCRIPTS = 5
# A transcript shows its first lines and every flagged message with this many messages either side.
TRANSCRIPT_LINES = 30
CONTEXT = 2
# The workbook's flags sheet lists the flags of the sessions the pages show, at most this many; an agent's
# sheet lists its worst sessions.
SHEET_FLAGS = 20_000
SHEET_WORST_SESSIONS = 10
# The 服务规范 sheet lists at most this many promises, handovers, reminded orders and remarks, those that
# need attention first; standard.csv beside the workbook lists them all. (A 5,000,000-message week has
# about 107,000, and writing them cell by cell was most of the workbook's time.)
SHEET_STANDARD = 20_000
# Excel refuses a sheet with more rows than this.
EXCEL_MAX_ROWS = 1_048_576
# Broken and late look-up promises listed with their transcript on an agent's page (the 服务规范 sheet lists
# them first, standard.csv lists them all).
STANDARD_PROMISES = 10
# Malformed and overwritten order remarks listed on a page (the 服务规范 sheet lists them first,
# standard.csv lists them all).
STANDARD_REMARKS = 20
# Agents drawn in each trend chart of the summary beside the role's median: those furthest from the target.
TREND_AGENTS = 4
