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

packages=()
[ "$need_browser" = 1 ] && packages+=(chromium)
[ "$need_font" = 1 ] && packages+=(fonts-noto-cjk fontconfig)

bash "$(dirname "$0")/apt_install.sh" "${packages[@]}"
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: /usr/bin/chromium is still missing after apt-get install" >&2
    exit 1
fi
