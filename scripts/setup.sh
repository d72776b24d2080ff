#!/usr/bin/env bash
# Create .venv and install chat-qc into it. `setup.sh test` adds the test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "test" ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
else
    .venv/bin/python -m pip install --quiet -e .
fi
