#!/usr/bin/env bash
# Cold build of llama.cpp (CPU) through %build-llama vs the same CMake commands typed by hand, and the warm re-run.
# Both sides build the same source directory with the same configure and build commands (read off
# `build-llama --dry-run`), each into a fresh build directory; llamagic's time includes the JVM start, the
# planning and the verification of the binaries.
# Usage: scripts/bench/build_llama.sh [rounds]        cold builds, A B A B ... (default 1 round)
#        scripts/bench/build_llama.sh overhead [pairs] after a cold round: what llamagic adds to the same
#            commands, measured pair by pair on the built directories (configure + ninja's no-op + verification
#            vs configure + no-op by hand), so a shared machine's load hits both sides alike (default 5 pairs)
set -euo pipefail
source "$(dirname "$0")/common.sh"
mode=cold
if [ "${1:-}" = overhead ]; then mode=overhead; shift; fi
rounds="${1:-1}"
[ -d "$src" ] || { echo "the CPU build benchmark needs a source directory, not $src"; exit 1; }
bench_home="${BENCH_HOME:-${TMPDIR:-/tmp}/llamagic-bench}"
bench_jar "$bench_home"
export LLAMAGIC_HOME="$bench_home/home"
unset LLAMAGIC_LLAMA_BIN
# cold means cold: builds use ccache when it is installed (its cache under LLAMAGIC_HOME)
export CCACHE_DISABLE=1
magic=(java -jar "$jar" build-llama --source "$src" --cpu)

plan="$("${magic[@]}" --dry-run)"
configure="$(sed -n 's/^configure: //p' <<<"$plan")"
build="$(sed -n 's/^build:     //p' <<<"$plan")"
key="$(sed -n 's/^key: *//p' <<<"$plan")"
by_hand_dir="$bench_home/by-hand"
configure_by_hand="${configure//$LLAMAGIC_HOME\/llama.cpp\/builds\/$key/$by_hand_dir}"
build_by_hand="${build//$LLAMAGIC_HOME\/llama.cpp\/builds\/$key/$by_hand_dir}"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

if [ "$mode" = overhead ]; then
  [ -d "$by_hand_dir" ] && [ -d "$LLAMAGIC_HOME/llama.cpp/builds/$key/bin" ] || { echo "run a cold round first"; exit 1; }
  marker="$LLAMAGIC_HOME/llama.cpp/builds/$key/llamagic-build.json"
  cp "$marker" "$bench_home/marker.json"
  echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq 1 "$rounds"); do
    rm -f "$marker"
    t0=$(now)
    "${magic[@]}" > "$bench_home/overhead-llamagic-$r.log" 2>&1
    t1=$(now)
    { $configure_by_hand && $build_by_hand; } > "$bench_home/overhead-by-hand-$r.log" 2>&1
    t2=$(now)
    echo "pair $r: llamagic $(secs "$t0" "$t1") s, by hand $(secs "$t1" "$t2") s, difference $(python3 -c "print(f'{($t1 - $t0) - ($t2 - $t1):.2f}')") s"
  done
  cp "$bench_home/marker.json" "$marker"
  exit 0
fi

echo "machine: $(nproc) cores, $(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg); source $src"
echo "by hand: $configure_by_hand && $build_by_hand"
echo "llamagic: ${magic[*]} --rebuild"
ratios=()
for r in $(seq 1 "$rounds"); do
  t0=$(now)
  "${magic[@]}" --rebuild > "$bench_home/llamagic-$r.log" 2>&1
  t1=$(now)
  rm -rf "$by_hand_dir"
  { $configure_by_hand && $build_by_hand; } > "$bench_home/by-hand-$r.log" 2>&1
  t2=$(now)
  a=$(secs "$t0" "$t1"); b=$(secs "$t1" "$t2")
  ratio=$(python3 -c "print(f'{$a / $b:.3f}')")
  ratios+=("$ratio")
  echo "round $r: llamagic cold build ${a} s, by hand ${b} s, ratio ${ratio} (load now $(cut -d' ' -f1 /proc/loadavg))"
done
t0=$(now)
warm="$("${magic[@]}")"
t1=$(now)
echo "warm re-run: $(secs "$t0" "$t1") s wall (JVM start included); the command itself: $(grep -o 'answered from the cache in [0-9.]* s' <<<"$warm")"
echo "ratios: ${ratios[*]}"
