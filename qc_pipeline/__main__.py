"""`python -m qc_pipeline` is the `qc` command."""
from qc_pipeline.cli import main

main()
