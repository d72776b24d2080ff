#!/usr/bin/env bash
# Install the headless browser and a CJK font that the report browser test needs (Debian/Ubuntu).
# Safe to run again: it does nothing when chromium and a CJK font are already present.
set -euo pipefail

need_browser=0
need_font=0
[ -x /usr/bin/chromium ] || need_browser=1
# Without a CJK font Chinese labels render as boxes and the screenshot is useless for review.
cjk_fonts="$(fc-list :lang=zh family 2>/dev/null || true)"
[ -n "$cjk_fonts" ] || need_font=1
if [ "$need_browser" = 0 ] && [ "$need_font" = 0 ]; then
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install_browser.sh: needs root (or sudo) to apt-get install chromium and fonts-noto-cjk" >&2
    exit 1
fi

packages=()
[ "$need_browser" = 1 ] && packages+=(chromium)
[ "$need_font" = 1 ] && packages+=(fonts-noto-cjk fontconfig)

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: /usr/bin/chromium is still missing after apt-get install" >&2
    exit 1
fi
