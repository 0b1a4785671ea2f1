#!/usr/bin/env bash
# CUDA builds of llama.cpp without a GPU (a cross-build for one architecture, default 86 = A10):
#   cold     %build-llama --cuda --cuda-arch 86 vs the same CMake commands typed by hand (read off --dry-run), each
#            into a fresh build directory, ccache off on both sides (CCACHE_DISABLE=1) so both compile everything
#   rebuild  after one cold build with ccache on: the same build with one option changed (--native, which changes
#            only the CPU backend's flags), with ccache (the cache under LLAMAGIC_HOME) vs without
#   by-hand  only the by-hand half of cold (MAGIC_S=<the magic's cold seconds> prints the ratio)
#   magic    only the llamagic half of cold (BY_HAND_S=<the by-hand seconds> prints the ratio); by-hand then magic
#            is cold in the other order, to see whether the order matters
#   rebuild-warm  only the "with ccache" half, in an LLAMAGIC_HOME whose ccache an earlier CUDA build of the same
#            source and architecture filled (REBUILD_HOME, default the test home): compare with a cold time
# A cold CUDA build is 21-30 min on 2 idle cores: run on a quiet machine. Needs a toolkit (tests/prepare/40-cuda-toolkit.sh
# with LLAMAGIC_TEST_CUDA=1); CUDA_HOME picks another one (e.g. pip's nvidia/cu13).
# Usage: scripts/bench/build_llama_cuda.sh cold|by-hand|magic|rebuild|rebuild-warm [arch]
set -euo pipefail
source "$(dirname "$0")/common.sh"
mode="${1:?cold or rebuild}"
arch="${2:-86}"
bench_home="${BENCH_HOME:-${TMPDIR:-/tmp}/llamagic-bench-cuda}"
bench_jar "$bench_home"
export LLAMAGIC_HOME="$bench_home/home"
unset LLAMAGIC_LLAMA_BIN
magic=(java -jar "$jar" build-llama --source "$src" --cuda --cuda-arch "$arch")
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); source $src; nvcc $(${CUDA_HOME:+$CUDA_HOME/bin/}nvcc --version | grep -o 'release [0-9.]*')"

if [ "$mode" = cold ] || [ "$mode" = by-hand ] || [ "$mode" = magic ]; then
  export CCACHE_DISABLE=1
  plan="$("${magic[@]}" --dry-run)"
  configure="$(sed -n 's/^configure: //p' <<<"$plan")"
  build="$(sed -n 's/^build:     //p' <<<"$plan")"
  key="$(sed -n 's/^key: *//p' <<<"$plan")"
  by_hand_dir="$bench_home/by-hand"
  configure_by_hand="${configure//$LLAMAGIC_HOME\/llama.cpp\/builds\/$key/$by_hand_dir}"
  build_by_hand="${build//$LLAMAGIC_HOME\/llama.cpp\/builds\/$key/$by_hand_dir}"
  echo "by hand: $configure_by_hand && $build_by_hand"
  a="${MAGIC_S:-}"
  b="${BY_HAND_S:-}"
  if [ "$mode" != by-hand ]; then
    echo "llamagic: ${magic[*]} --rebuild"
    t0=$(now)
    "${magic[@]}" --rebuild > "$bench_home/cold-llamagic.log" 2>&1
    a=$(secs "$t0" "$(now)")
    echo "cold CUDA build (sm_$arch) through llamagic: $a s"
  fi
  if [ "$mode" != magic ]; then
    rm -rf "$by_hand_dir"
    t1=$(now)
    { $configure_by_hand && $build_by_hand; } > "$bench_home/cold-by-hand.log" 2>&1
    b=$(secs "$t1" "$(now)")
    echo "cold CUDA build (sm_$arch) by hand: $b s"
  fi
  [ -z "$a" ] || [ -z "$b" ] || echo "cold CUDA build (sm_$arch): llamagic ${a} s, by hand ${b} s, ratio $(python3 -c "print(f'{$a / $b:.3f}')")"
  exit 0
fi

if [ "$mode" = rebuild-warm ]; then
  export LLAMAGIC_HOME="${REBUILD_HOME:-$test_home}"
  [ -d "$LLAMAGIC_HOME/ccache" ] || { echo "no ccache under $LLAMAGIC_HOME: run a CUDA build there first"; exit 1; }
  CCACHE_DIR="$LLAMAGIC_HOME/ccache" ccache -z > /dev/null
  t0=$(now)
  "${magic[@]}" --native --rebuild > "$bench_home/rebuild-warm.log" 2>&1
  t1=$(now)
  echo "one option changed (--native), with the warm ccache of $LLAMAGIC_HOME: $(secs "$t0" "$t1") s"
  CCACHE_DIR="$LLAMAGIC_HOME/ccache" ccache -s | head -8
  exit 0
fi

# rebuild: fill the cache with one build, then change one option with and without it
rm -rf "$LLAMAGIC_HOME/ccache"
t0=$(now)
"${magic[@]}" --rebuild > "$bench_home/rebuild-first.log" 2>&1
t1=$(now)
"${magic[@]}" --native --rebuild > "$bench_home/rebuild-ccache.log" 2>&1
t2=$(now)
CCACHE_DISABLE=1 "${magic[@]}" --native --rebuild > "$bench_home/rebuild-no-ccache.log" 2>&1
t3=$(now)
echo "first build (filling ccache): $(secs "$t0" "$t1") s"
echo "one option changed (--native), with ccache: $(secs "$t1" "$t2") s; without: $(secs "$t2" "$t3") s"
CCACHE_DIR="$LLAMAGIC_HOME/ccache" ccache -s | head -12
