#!/usr/bin/env bash
# First-use speed: `java -jar llamagic.jar llamagic` from a terminal, and the first magic in a fresh kernel.
# Each measured with a baseline in turn (A B A B ...), medians printed; peak RSS and CPU from /usr/bin/time -v.
#
#   scripts/bench/first_use.sh [--runs N] [--before-jar JAR] [--before-kernels DIR]
#
# --before-jar: an older llamagic.jar (e.g. built from the commit before) timed in turn with kernel/target/llamagic.jar.
# --before-kernels: a kernels directory holding an older `llamagic` kernelspec (./install.sh --prefix P of that
#   checkout: P/share/jupyter/kernels); the current one is installed into a temporary prefix by ./install.sh.
# Needs a Python with jupyter_client (PYTHON, default .venv/bin/python).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
runs=5; before_jar=""; before_kernels=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2;;
    --before-jar) before_jar="$2"; shift 2;;
    --before-kernels) before_kernels="$2"; shift 2;;
    *) echo "unknown option $1"; exit 2;;
  esac
done
PY="${PYTHON:-$here/.venv/bin/python}"
JAR="$here/kernel/target/llamagic.jar"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(java -version 2>&1 | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"

# one run: wall, user+sys CPU and peak RSS of a whole process, from /usr/bin/time -v
timed() {
  /usr/bin/time -v "$@" >/dev/null 2>"$tmp/time" || { cat "$tmp/time"; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); w=(n==3)?a[1]*3600+a[2]*60+a[3]:a[1]*60+a[2]}
              /User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {m=$2}
              END {printf "%.2f %.2f %.0f\n", w, u+s, m/1024}' "$tmp/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== CLI: java -jar llamagic.jar llamagic (wall s, CPU s, peak MiB per run)"
: > "$tmp/a"; : > "$tmp/b"
timed java -jar "$JAR" llamagic >/dev/null  # warm-up (page cache)
for i in $(seq "$runs"); do
  timed java -jar "$JAR" llamagic | tee -a "$tmp/a" | sed 's/^/  A /'
  if [ -n "$before_jar" ]; then timed java -jar "$before_jar" llamagic | tee -a "$tmp/b" | sed 's/^/  B /'; fi
done
for side in a b; do
  [ -s "$tmp/$side" ] || continue
  echo "  ${side^^} median: wall $(cut -d' ' -f1 "$tmp/$side" | median) s, CPU $(cut -d' ' -f2 "$tmp/$side" | median) s, peak $(cut -d' ' -f3 "$tmp/$side" | median) MiB"
done

echo "== kernel: the first magic in a fresh kernel (current kernelspec, archive included)"
PATH="$(dirname "$PY"):$PATH" PYTHON="$PY" "$here/install.sh" --prefix "$tmp/prefix" --no-check >/dev/null
"$PY" "$here/scripts/bench/first_magic.py" --runs "$runs" "$tmp/prefix/share/jupyter/kernels" ${before_kernels:+"$before_kernels"}
