#!/usr/bin/env bash
# %ms-download benchmark: the same ~2 GB generated model from the same fake hub (tests/fixtures/fake_hub.py),
#  A) with a per-connection cap (like a CDN/OSS link): llamagic vs the official `modelscope download` (PyPI,
#     default settings), pair by pair (A B A B ...);
#  B) uncapped: llamagic vs N parallel `curl` range fetches of the same bytes (the machine's raw limit), and vs
#     the same curls followed by the sha256 that llamagic computes (OpenSSL through Python's hashlib, the fastest
#     hasher here: coreutils' sha256sum has no SHA-NI), the fair peer for a client that verifies every byte.
# Reports medians, ratios and the JVM's peak RSS. Generated data lives under $BENCH_DIR and is deleted at the end.
#
# usage: scripts/bench/ms_download.sh            (env: RUNS=3 CAP=40000000 BENCH_DIR=... MS_VENV=... CURL_N=16)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here"
RUNS="${RUNS:-3}"
CAP="${CAP:-40000000}"                 # bytes/s per connection
CURL_N="${CURL_N:-16}"                 # parallel curl ranges (= llamagic's default --connections)
BENCH_DIR="${BENCH_DIR:-/root/.cache/llamagic-dev/bench-ms}"
MS_VENV="${MS_VENV:-/root/.cache/llamagic-dev/ms-venv}"
PY="${PYTHON:-$here/.venv/bin/python}"
JAR="$here/kernel/target/llamagic.jar"
REPO=acme/bench-2G

[ -x "$MS_VENV/bin/modelscope" ] || { python3 -m venv "$MS_VENV"; "$MS_VENV/bin/pip" install -q 'modelscope==1.37.1'; }
[ -f "$JAR" ] || ./mvnw -q -B package -DskipTests

rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$BENCH_DIR"; }
trap cleanup EXIT

echo "== generating the model ($REPO, ~2 GB, fixed seed)"
"$PY" - "$BENCH_DIR/models/$REPO" > "$BENCH_DIR/sha.json" <<'EOF'
import json, os, sys
sys.path.insert(0, "tests/fixtures")
import fake_hub
files = {"config.json": '{"architectures": ["Qwen3ForCausalLM"]}', "generation_config.json": "{}",
         "tokenizer.json": 11 << 20, "vocab.json": 3 << 20, "merges.txt": 2 << 20,
         "model.safetensors.index.json": 32819,
         "model-00001-of-00002.safetensors": 1000 << 20, "model-00002-of-00002.safetensors": 1000 << 20}
print(json.dumps(fake_hub.generate_model(sys.argv[1], files, seed=4)))
EOF

start_hub() {  # start_hub NAME [hub args...]: sets $hub_url; not in a subshell, so cleanup sees the pid
  local name=$1; shift
  "$PY" tests/fixtures/fake_hub.py --models-dir "$BENCH_DIR/models" "$@" > "$BENCH_DIR/$name.url" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$BENCH_DIR/$name.url" ] && break; sleep 0.1; done
  hub_url=$(head -1 "$BENCH_DIR/$name.url")
  curl -sf "$hub_url/api/v1/models/$REPO/repo/files?Revision=master&Recursive=True" > "$BENCH_DIR/listing.json"  # warms the hub's sha cache
}

check() {  # check DIR: every file byte-identical to the generated one
  "$PY" - "$1" "$BENCH_DIR/sha.json" <<'EOF'
import json, os, sys
sys.path.insert(0, "tests/fixtures")
import fake_hub
want = json.load(open(sys.argv[2]))
for rel, sha in want.items():
    assert fake_hub.sha256_of(os.path.join(sys.argv[1], rel)) == sha, rel + " differs"
EOF
}

results="$BENCH_DIR/results.tsv"; : > "$results"
timed() {  # timed LABEL CMD...: appends "LABEL seconds maxrss_kb cpu_seconds(user+sys)"
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$BENCH_DIR/time.out" "$@" > "$BENCH_DIR/$label.log" 2>&1 || { tail -5 "$BENCH_DIR/$label.log"; exit 1; }
  read -r e m u s < "$BENCH_DIR/time.out"
  echo "$label $e $m $(echo "$u + $s" | bc)" | tee -a "$results"
}

export INTRA_CLOUD_ACCELERATION=False   # no intranet probe for either client (no Alibaba Cloud here)
export MODELSCOPE_CACHE="$BENCH_DIR/ms-cache"
out="$BENCH_DIR/out"

echo "== A) per-connection cap $CAP B/s: llamagic vs modelscope $("$MS_VENV/bin/python" -c 'import modelscope; print(modelscope.__version__)')"
start_hub capped --bandwidth "$CAP"; capped=$hub_url
for i in $(seq "$RUNS"); do
  rm -rf "$out"; timed llamagic_capped java -jar "$JAR" ms-download "$REPO" --endpoint "$capped" --local_dir "$out"; check "$out"
  rm -rf "$out"; timed official_capped "$MS_VENV/bin/modelscope" download --model "$REPO" --endpoint "$capped" --local_dir "$out"; check "$out"
done
echo "== re-run over the complete directory (llamagic verifies and skips; then the official client over the same dir)"
timed llamagic_rerun java -jar "$JAR" ms-download "$REPO" --endpoint "$capped" --local_dir "$out"
timed official_over_llamagic_dir "$MS_VENV/bin/modelscope" download --model "$REPO" --endpoint "$capped" --local_dir "$out"

echo "== B) uncapped: llamagic vs $CURL_N parallel curl range fetches"
start_hub open; open=$hub_url
# every file of the listing cut into CURL_N-way ranges (>= 32 MiB each), fetched by CURL_N parallel curls
"$PY" - "$BENCH_DIR/listing.json" "$CURL_N" "$open" "$REPO" "$out" > "$BENCH_DIR/ranges.txt" <<'EOF'
import json, sys, urllib.parse
files, n, url, repo, out = json.load(open(sys.argv[1]))["Data"]["Files"], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
for f in files:
    if f["Type"] != "blob" or f["Size"] == 0:
        continue
    size, k = f["Size"], max(1, min(n, f["Size"] // (32 << 20)))
    step = -(-size // k)
    u = "%s/api/v1/models/%s/repo?Revision=master&FilePath=%s" % (url, repo, urllib.parse.quote(f["Path"], safe=""))
    for i in range(k):
        a, b = i * step, min(size, (i + 1) * step) - 1
        print("%s %d-%d %s/%s.part%d %s" % (u, a, b, out, f["Path"].replace("/", "_"), i, f["Path"]))
EOF
# the curls' parts of each file hashed in order, checked against the generated files' sha256
cat > "$BENCH_DIR/verify.py" <<'EOF'
import collections, hashlib, json, sys
parts = collections.OrderedDict()
for line in open(sys.argv[1]):
    _, _, path, rel = line.split()
    parts.setdefault(rel, []).append(path)
want = json.load(open(sys.argv[2]))
for rel, paths in parts.items():
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""):
                h.update(b)
    assert h.hexdigest() == want[rel], rel + " differs"
EOF
for i in $(seq "$RUNS"); do
  rm -rf "$out"; timed llamagic_open java -jar "$JAR" ms-download "$REPO" --endpoint "$open" --local_dir "$out"; check "$out"
  rm -rf "$out"; mkdir -p "$out"
  timed curl_open xargs -P "$CURL_N" -L 1 sh -c 'curl -sfL -r "$1" -o "$2" "$0"' < "$BENCH_DIR/ranges.txt"
  [ "$(cat "$out"/*.part* | wc -c)" = "$(find "$BENCH_DIR/models/$REPO" -type f -printf '%s\n' | paste -sd+ | bc)" ] || echo "curl bytes differ"
  rm -rf "$out"; mkdir -p "$out"
  timed curl_sha256_open sh -c 'xargs -P "$1" -L 1 sh -c '"'"'curl -sfL -r "$1" -o "$2" "$0"'"'"' < "$2" && "$3" "$4" "$2" "$5"' \
    _ "$CURL_N" "$BENCH_DIR/ranges.txt" "$PY" "$BENCH_DIR/verify.py" "$BENCH_DIR/sha.json"
done

echo "== summary (medians of $RUNS)"
"$PY" - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, secs, rss, cpu = line.split()
    rows.setdefault(label, []).append((float(secs), int(rss), float(cpu)))
med = {k: statistics.median(s for s, _, _ in v) for k, v in rows.items()}
for k, v in rows.items():
    print("%-28s median %7.2f s  runs %s  peak RSS %d MiB  CPU (user+sys) median %.1f s" % (
        k, med[k], " ".join("%.2f" % s for s, _, _ in v), max(r for _, r, _ in v) // 1024,
        statistics.median(c for _, _, c in v)))
if "official_capped" in med and "llamagic_capped" in med:
    print("capped: llamagic is %.2fx faster than the official CLI" % (med["official_capped"] / med["llamagic_capped"]))
if "curl_open" in med and "llamagic_open" in med:
    print("uncapped: llamagic reaches %.2fx of %s" % (med["curl_open"] / med["llamagic_open"], "parallel curl"))
if "curl_sha256_open" in med and "llamagic_open" in med:
    print("uncapped, both verifying: llamagic reaches %.2fx of parallel curl + sha256" % (med["curl_sha256_open"] / med["llamagic_open"]))
EOF
