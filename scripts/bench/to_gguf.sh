#!/usr/bin/env bash
# %to-gguf benchmark: a Qwen3-4B-shaped model (random weights, bf16, 3 shards, ~8 GB) to F16, or with --vl a
# Qwen2.5-VL-3B-shaped one (~7.5 GB, 2 shards) to its two GGUFs, the model and the projector (mmproj), in one run.
# Peers measured in the same run, pair by pair: `cp` of the same safetensors bytes (+ sync), and
# convert_hf_to_gguf.py (twice with --vl: the model, then --mmproj) where torch/transformers/sentencepiece are
# importable; the outputs are compared byte for byte. Peak RSS from /usr/bin/time -v.
#
#   scripts/bench/to_gguf.sh [--shape 4b|0.6b | --vl] [--runs N] [--keep]
# Needs: kernel/target/llamagic.jar (./mvnw package), a Python with numpy (.venv; PYTHON=... a venv that also has
# torch, transformers and sentencepiece adds convert_hf_to_gguf.py as a peer), ~30 GB free under $BENCH_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
shape=4b; runs=3; keep=0; vl=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape="$2"; shift 2;;
    --vl) vl=1; shift;;
    --runs) runs="$2"; shift 2;;
    --keep) keep=1; shift;;
    *) echo "unknown option $1"; exit 2;;
  esac
done
BENCH_DIR="${BENCH_DIR:-/root/.cache/llamagic-dev/bench-to-gguf$([ "$vl" = 1 ] && echo -vl)}"
PY="${PYTHON:-$here/.venv/bin/python}"
LLAMA_SRC="${LLAMA_SRC:-$HOME/.cache/llamagic-test/src/llama.cpp}"
JAR="$here/kernel/target/llamagic.jar"
model="$BENCH_DIR/Qwen3-${shape^^}"
[ "$vl" = 1 ] && model="$BENCH_DIR/Qwen2.5-VL-3B-Instruct"
out="$BENCH_DIR/out"

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(java -version 2>&1 | head -1)"
df -h "$(dirname "$BENCH_DIR")"
mkdir -p "$BENCH_DIR" "$out"
cleanup() { [ "$keep" = 1 ] || rm -rf "$BENCH_DIR"; }
trap cleanup EXIT

if [ ! -f "$model/config.json" ] && [ "$vl" = 1 ]; then
  echo "== generating $model (random weights, bf16, Qwen2.5-VL-3B's shapes)"
  /usr/bin/time -f "generated in %e s" "$PY" "$here/tests/fixtures/tiny_qwen25vl.py" "$model" --shape 3b --dtype bf16 --llama-src "$LLAMA_SRC"
elif [ ! -f "$model/config.json" ]; then
  echo "== generating $model (random weights, bf16, 3 shards)"
  /usr/bin/time -f "generated in %e s" "$PY" "$here/tests/fixtures/tiny_qwen3.py" "$model" --shape "$shape" --dtype bf16 --shards 3 --llama-src "$LLAMA_SRC"
fi
src_bytes=$(du -cb "$model"/*.safetensors | tail -1 | cut -f1)
echo "== source: $src_bytes bytes of safetensors"

python_ok=0
if "$PY" -c "import torch, transformers, sentencepiece" 2>/dev/null; then python_ok=1; fi

t() { # t LABEL CMD... → prints "LABEL seconds peakRSS_KiB"
  local label="$1"; shift
  local tf; tf=$(mktemp)
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -v -o "$tf" "$@" > "$out/$label.log" 2>&1
  sync
  e=$(date +%s.%N)
  echo "$label $(echo "$e - $s" | bc) $(awk -F: '/Maximum resident/{gsub(/ /,"",$2); print $2}' "$tf")"
  rm -f "$tf"
}

results="$out/results.txt"
: > "$results"
for i in $(seq 1 "$runs"); do
  # each side writes into its own folder (with --vl: the model and mmproj-*.gguf), compared file by file
  rm -rf "$out"/llamagic "$out"/python "$out/copy"; sync
  mkdir -p "$out/copy" "$out/llamagic" "$out/python"
  t cp sh -c "cp '$model'/*.safetensors '$out/copy/'" | tee -a "$results"
  rm -rf "$out/copy"; sync
  t llamagic java -jar "$JAR" to-gguf "$model" --outtype f16 --outfile "$out/llamagic" | tee -a "$results"
  ls -l "$out/llamagic"
  if [ "$python_ok" = 1 ]; then
    conv="'$PY' '$LLAMA_SRC/convert_hf_to_gguf.py' '$model' --outtype f16 --outfile '$out/python'"
    if [ "$vl" = 1 ]; then conv="$conv && $conv --mmproj"; fi
    t python sh -c "$conv" | tee -a "$results"
    same=1
    for f in "$out"/llamagic/*.gguf; do cmp -s "$f" "$out/python/$(basename "$f")" || same=0; done
    if [ "$same" = 1 ]; then echo "run $i: the GGUFs are identical, byte for byte"; else echo "run $i: the GGUFs DIFFER"; fi
  fi
  rm -rf "$out"/llamagic "$out"/python; sync
done
[ "$python_ok" = 1 ] || echo "convert_hf_to_gguf.py: not run (torch/transformers/sentencepiece not importable)"
echo "== medians"
"$PY" - "$results" "$src_bytes" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
src = int(sys.argv[2])
med = {}
for label in ("cp", "llamagic", "python"):
    ts = [float(r[1]) for r in rows if r[0] == label]
    rss = [int(r[2]) for r in rows if r[0] == label]
    if ts:
        med[label] = statistics.median(ts)
        print("%-9s median %6.1f s  (%s)  %5.0f MiB/s  peak RSS %s MiB" % (label, med[label], ", ".join("%.1f" % x for x in ts),
              src / med[label] / 2**20, max(rss) // 1024))
if "cp" in med and "llamagic" in med:
    print("llamagic / cp = %.2f" % (med["llamagic"] / med["cp"]))
if "python" in med and "llamagic" in med:
    print("python / llamagic = %.2f" % (med["python"] / med["llamagic"]))
EOF
