#!/usr/bin/env bash
# Install chat-qc with its test extras into .venv and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The report tests drive a real headless Chromium with a CJK font (Debian packages).
bash scripts/install_browser.sh
# The Spark tests need Java 17 (Debian package).
bash scripts/install_java.sh
.venv/bin/python -m pytest -q "$@"
