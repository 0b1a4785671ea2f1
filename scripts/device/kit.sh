#!/usr/bin/env bash
# Packs what a GPU machine without a JDK or network needs to run llamagic's own code paths there, into .device/
# (git-ignored, carried by the device tool; under its 64 MiB limit):
#   jre.tar.xz        a jlinked Java runtime (the modules the CLI jar uses)
#   llamagic.tar.xz   kernel/target/llamagic.jar, re-zipped uncompressed so that xz packs it tighter
#   llama-src.tar.xz  the llama.cpp source the tests build (no .git, docs, media, benches, tests; of models/ only
#                     the Qwen vocabulary and the chat templates)
# Then, on the GPU machine: scripts/device/gpu_run.py STAGE... (it unpacks them).
#   scripts/device/kit.sh        (needs ./mvnw package and the test cache's llama.cpp source, or BENCH_LLAMA_SRC)
set -euo pipefail
source "$(dirname "$0")/../bench/common.sh"
[ -f "$src/CMakeLists.txt" ] || { echo "the kit needs a llama.cpp source directory (BENCH_LLAMA_SRC), not $src"; exit 1; }
kit="$here/.device"
mkdir -p "$kit"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$kit/jre.tar.xz" ] || [ "$jar" -nt "$kit/jre.tar.xz" ]; then
  mods=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$jar" | tr -d '\n')
  # https (jdk.crypto.ec) and the zip file system are loaded by name, not found by jdeps; jshell only serves the kernel
  mods="$(echo "$mods" | sed 's/,jdk.jshell//'),jdk.crypto.ec,jdk.zipfs"
  jlink --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=0 --output "$tmp/jre"
  tar -C "$tmp" -cf - jre | xz -9 -T0 > "$kit/jre.tar.xz"
fi

mkdir "$tmp/jar"
(cd "$tmp/jar" && unzip -q "$jar" && zip -q -0 -r -X "$tmp/llamagic.jar" META-INF/MANIFEST.MF . )
tar -C "$tmp" -cf - llamagic.jar | xz -9 -T0 > "$kit/llamagic.tar.xz"

commit=$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)
mkdir "$tmp/llama.cpp"
tar -C "$(readlink -f "$src")" -cf - --exclude=./.git --exclude=./.github --exclude=./.devops --exclude=./docs \
    --exclude=./media --exclude=./benches --exclude=./tests --exclude='./models/*.gguf*' --exclude='__pycache__' . \
  | tar -C "$tmp/llama.cpp" -xf -
cp "$src/models/ggml-vocab-qwen2.gguf" "$tmp/llama.cpp/models/"
tar -C "$tmp" -cf - llama.cpp | xz -9 -T0 > "$kit/llama-src.tar.xz"
echo "$commit" > "$kit/llama-src.commit"
ls -l "$kit"
du -cb "$kit"/*.xz | tail -1 | awk '{printf "kit: %.1f MiB (device carry limit 64 MiB)\n", $1/1048576}'
