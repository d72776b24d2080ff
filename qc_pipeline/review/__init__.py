"""The review loop (docs/review.md): spot-check samples for QC specialists.

- `sample`, `workbook`, `build`: `qc sample-review`, a reproducible stratified sample per agent-week written
  as a review workbook and an HTML page (masked transcripts).
"""
