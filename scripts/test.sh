#!/usr/bin/env bash
# Install chat-qc with its test extras into .venv and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/python -m pytest -q "$@"
