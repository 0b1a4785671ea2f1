#!/usr/bin/env bash
# Builds llama.cpp's chat web UI from a llama.cpp source tree (its tools/ui: SvelteKit, npm packages pinned by its
# package-lock.json, fetched from the npm registry; nothing from a CDN at run time) into OUT, for
# `llama-server --path OUT` where the binary was built without the UI (LLAMA_USE_PREBUILT_UI=OFF, no network).
# The UI uses relative URLs and a hash router, so it works under a sub-path (JupyterLab's <base_url>proxy/<port>/).
# Usage: scripts/build-webui.sh LLAMA_CPP_SRC OUT      (a no-op when OUT/index.html exists)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 LLAMA_CPP_SRC OUT" >&2; exit 2; }
src="$(cd "$1" && pwd)"; out="$2"
if [ -f "$out/index.html" ]; then echo "web UI: $out (built before)"; exit 0; fi
[ -f "$src/tools/ui/package-lock.json" ] || { echo "no tools/ui/package-lock.json in $src: not a llama.cpp source with the SvelteKit UI" >&2; exit 1; }
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "npm is needed to build the web UI (apt-get install nodejs npm)" >&2; exit 1
  fi
fi
work="$out.work"
mkdir -p "$work"
# the sources afresh, node_modules kept while the lock file is the same
find "$work" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
cp -r "$src/tools/ui/." "$work/"
cd "$work"
if ! cmp -s package-lock.json node_modules/.llamagic-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  cp package-lock.json node_modules/.llamagic-lock
fi
npx --no-install svelte-kit sync >/dev/null
rm -rf "$out.part"
LLAMA_UI_OUT_DIR="$out.part" npx --no-install vite build --logLevel error
[ -f "$out.part/index.html" ] || { echo "the UI build made no index.html" >&2; exit 1; }
rm -rf "$out" && mv "$out.part" "$out"
cd / && rm -rf "$work"
echo "web UI: $out"
