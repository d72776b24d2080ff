"""Fit the classifier of every shipped training file and write the models shipped beside it.

    python scripts/fit_classifier.py

Run it after changing qc_pipeline/rules/training/ or the recipe in qc_pipeline/rules/classifier.py;
tests/test_classifier_model.py fails while a shipped model differs from a fresh fit of its data.
The output is the same bytes for the same data and recipe.
"""
from __future__ import annotations

import sys

from qc_pipeline.rules.classifier import write_shipped_models


def main() -> int:
    for path in write_shipped_models():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
