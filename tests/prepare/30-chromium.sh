#!/usr/bin/env bash
# The browser test opens JupyterLab in Debian's Chromium (driven by Playwright, which needs no download of
# its own browser), with a CJK font so the notebooks' Chinese renders in the screenshot. Installed with apt
# when missing and we are root; otherwise that test skips with a reason.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    echo "installed: ${need[*]}"
  else
    echo "missing and not installable here: ${need[*]} (the browser test skips without chromium)"
  fi
fi
[ -x /usr/bin/chromium ] && echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
exit 0
