#!/usr/bin/env bash
# Install Java 17 (Debian's openjdk-17-jre-headless) for the Spark engine and its tests.
# Safe to run again: it does nothing when a Java 17 or later is already on the PATH.
set -euo pipefail

major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1 || true)"
if [ -n "$major" ] && [ "$major" -ge 17 ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install_java.sh: needs root (or sudo) to apt-get install openjdk-17-jre-headless" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
java -version >/dev/null 2>&1 || { echo "install_java.sh: java is still missing after apt-get install" >&2; exit 1; }
