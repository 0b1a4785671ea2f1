#!/usr/bin/env bash
# Tokens/s seen by llamagic's streaming chat client vs llama-server's own predicted_per_second, same requests.
# Usage: scripts/bench/chat_stream.sh MODEL.gguf [REQUESTS=10] [MAX_TOKENS=256] [-- raw llama-server flags]
# Needs the llama.cpp build (LLAMAGIC_LLAMA_BIN or a %build-llama build) and kernel/target/llamagic.jar.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
jar="$here/kernel/target/llamagic.jar"
[ -f "$jar" ] || (cd "$here" && ./mvnw -q -B -DskipTests package)
[ $# -ge 1 ] || { sed -n '2,4p' "$0"; exit 2; }
model="$1"; shift
requests="${1:-10}"; [ $# -gt 0 ] && shift
max_tokens="${1:-256}"; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
exec java -Dslf4j.internal.verbosity=ERROR -cp "$jar" "$here/scripts/bench/ChatStreamBench.java" "$model" "$requests" "$max_tokens" "$@"
