#!/usr/bin/env bash
# The browser test opens JupyterLab in Debian's Chromium (driven by Playwright, which needs no download of
# its own browser). Installed with apt when missing and we are root; otherwise that test skips with a reason.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null)"
else
  echo "chromium is missing and cannot be installed here: the browser test will skip"
fi
