"""The review loop (docs/review.md): spot-check samples for QC specialists, their verdicts and agents'
appeals read back into the warehouse, how often each rule is right, reviewers' agreement, and what a new
rule set would have changed.

- `sample`, `workbook`, `build`: `qc sample-review`, a reproducible stratified sample per agent-week written
  as a review workbook and an HTML page (masked transcripts);
- `importer`: `qc import-review`, filled workbooks validated and stored whole or not at all (`reviews`);
- `adjust`: overturned flags taken out of the scores (`adjusted_scores`, `adjusted_agent_week`);
- `precision`, `report`: per-rule precision with Wilson intervals, miss rates, Cohen's kappa per category,
  "needs tuning" in the summary;
- `diff`: `qc rules diff`, the flag and score stages re-run with another rule set on a scratch copy.
"""
