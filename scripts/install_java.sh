#!/usr/bin/env bash
# Install Java 17 (Debian's openjdk-17-jre-headless) for the Spark engine and its tests.
# Safe to run again: it does nothing when a Java 17 or later is already on the PATH.
set -euo pipefail

major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1 || true)"
if [ -n "$major" ] && [ "$major" -ge 17 ]; then
    exit 0
fi
bash "$(dirname "$0")/apt_install.sh" openjdk-17-jre-headless
java -version >/dev/null 2>&1 || { echo "install_java.sh: java is still missing after apt-get install" >&2; exit 1; }
