# Sourced by the build benchmarks and scripts/device/kit.sh: the repository, the jar and the llama.cpp source the
# tests fetched (BENCH_LLAMA_SRC: another directory or git bundle), each checked before anything runs.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$here/kernel/target/llamagic.jar"
test_home="${LLAMAGIC_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llamagic-test}"
src="${BENCH_LLAMA_SRC:-$test_home/src/llama.cpp}"
[ -f "$jar" ] || { echo "build the jar first: ./mvnw -q -B package -DskipTests"; exit 1; }
[ -e "$src" ] || { echo "no llama.cpp source at $src (run tests/prepare/10-llama-source.sh, or set BENCH_LLAMA_SRC)"; exit 1; }

# bench_jar DIR: run a copy of the jar, so that rebuilding the project meanwhile does not pull it from under the JVM
bench_jar() {
  mkdir -p "$1"
  cp "$jar" "$1/llamagic.jar" && jar="$1/llamagic.jar"
}
