"""Stage ``ingest``: find export files, recognise their layout and encoding from content, and turn
each into normalised frames (see ``model.py``) with bad rows set aside in a quarantine."""
from __future__ import annotations

from qc_pipeline.ingest.discover import discover
from qc_pipeline.ingest.dispatch import read_file
from qc_pipeline.ingest.errors import UnreadableFile
from qc_pipeline.ingest.model import ParsedFile

__all__ = ["ParsedFile", "UnreadableFile", "discover", "read_file"]
