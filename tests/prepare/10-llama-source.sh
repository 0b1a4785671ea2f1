#!/usr/bin/env bash
# llama.cpp's source, offline: the npm package node-llama-cpp ships the llama.cpp release it builds against
# as a git bundle. Fetched once and cached outside the checkout (keyed by the package version); a checkout
# of it gives the tests their fixtures (models/ggml-vocab-qwen2.gguf, models/templates/*.jinja).
set -euo pipefail
NLC_VERSION="${LLAMAGIC_TEST_NLC_VERSION:-3.22.1}"
cache="${LLAMAGIC_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llamagic-test}"
src="$cache/src"
bundle="$src/node-llama-cpp-$NLC_VERSION.bundle"
mkdir -p "$src"
if [ ! -s "$bundle" ]; then
  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
  tar -xzf "$tmp"/node-llama-cpp-*.tgz -C "$tmp" package/llama/gitRelease.bundle
  mv "$tmp/package/llama/gitRelease.bundle" "$bundle.part" && mv "$bundle.part" "$bundle"
  rm -rf "$tmp"
fi
commit="$(git bundle list-heads "$bundle" | awk '/HEAD/ {print $1; exit}')"
if [ ! -d "$src/llama.cpp-$commit" ]; then
  rm -rf "$src/llama.cpp-$commit.part"
  git clone -q "$bundle" "$src/llama.cpp-$commit.part" 2>/dev/null
  mv "$src/llama.cpp-$commit.part" "$src/llama.cpp-$commit"
fi
ln -sfn "llama.cpp-$commit" "$src/llama.cpp"
ln -sfn "node-llama-cpp-$NLC_VERSION.bundle" "$src/llama.cpp.bundle"
echo "llama.cpp source: $src/llama.cpp (commit $commit), bundle: $bundle"
