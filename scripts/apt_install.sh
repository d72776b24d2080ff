#!/usr/bin/env bash
# apt_install.sh PACKAGE...: install Debian packages, as root or through sudo (the system packages the
# project needs: install_browser.sh, install_java.sh).
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "apt_install.sh: needs root (or sudo) to apt-get install $*" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
