#!/usr/bin/env bash
# llama.cpp's web UI for the browser test (tests/kernel/test_webui.py), built once from the test source's tools/ui
# with npm and cached beside it (keyed by the llama.cpp commit). Where it cannot be built, that test skips with the reason.
set -uo pipefail
cache="${LLAMAGIC_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llamagic-test}"
src="$(readlink -f "$cache/src/llama.cpp" 2>/dev/null || true)"
[ -d "$src/tools/ui" ] || { echo "no llama.cpp source with tools/ui: the web UI test skips"; exit 0; }
out="$cache/webui/$(basename "$src")"
mkdir -p "$cache/webui"
if ! "$(dirname "$0")/../../scripts/build-webui.sh" "$src" "$out" > "$cache/webui/build.log" 2>&1; then
  echo "could not build the web UI (see $cache/webui/build.log): the web UI test skips"
  tail -5 "$cache/webui/build.log"
  exit 0
fi
tail -1 "$cache/webui/build.log"
