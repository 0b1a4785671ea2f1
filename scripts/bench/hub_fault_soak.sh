#!/usr/bin/env bash
# %ms-download under a faulting hub (issue 13): one large random file served by the fake hub
# (tests/fixtures/fake_hub.py) with a share of the body requests faulted, the kind drawn uniformly by a seeded RNG
# from reset, truncated, HTTP 500, stalled and one 4 KiB block silently corrupted (FaultMix); downloaded RUNS times
# with the CLI (default tuning). Per run: byte-identical yes/no, seconds, bytes the hub sent / file size, faults.
# The generated file lives under $BENCH_DIR and is deleted at the end.
#
# usage: scripts/bench/hub_fault_soak.sh   (env: RUNS=10 SIZE_MB=1536 RATE=0.25 SEED=1 TIMEOUT=2 STALL=5 BENCH_DIR=...)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here"
RUNS="${RUNS:-10}"
SIZE_MB="${SIZE_MB:-1536}"
RATE="${RATE:-0.25}"
SEED="${SEED:-1}"
TIMEOUT="${TIMEOUT:-2}"      # the client's read timeout (s): what cuts a stalled body
STALL="${STALL:-5}"          # how long a stalled body hangs before the hub closes it
BENCH_DIR="${BENCH_DIR:-/tmp/llamagic-bench-soak}"
PY="${PYTHON:-python3}"
JAR="$here/kernel/target/llamagic.jar"
REPO=acme/soak
FILE=model.bin

[ -f "$JAR" ] || ./mvnw -q -B package -DskipTests

rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR/models/$REPO"
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true; rm -rf "$BENCH_DIR"; }
trap cleanup EXIT

cp "$JAR" "$BENCH_DIR/llamagic.jar"; JAR="$BENCH_DIR/llamagic.jar"  # a rebuild meanwhile does not touch the runs

echo "== generating $FILE ($SIZE_MB MiB of random bytes)"
head -c "$((SIZE_MB << 20))" /dev/urandom > "$BENCH_DIR/models/$REPO/$FILE"
size=$(stat -c %s "$BENCH_DIR/models/$REPO/$FILE")
want=$("$PY" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(8<<20), b""): h.update(b)
print(h.hexdigest())' "$BENCH_DIR/models/$REPO/$FILE")

log="$BENCH_DIR/hub.log"
"$PY" - "$BENCH_DIR/models" "$RATE" "$SEED" "$STALL" "$log" > "$BENCH_DIR/hub.url" <<'EOF2' &
import sys, time
sys.path.insert(0, "tests/fixtures")
import fake_hub
models, rate, seed, stall, log = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
hub = fake_hub.FakeHub(models, faults=[fake_hub.FaultMix(rate, seed=seed, seconds=stall)], log_file=log).start()
print(hub.url, flush=True)
hub.sha256(hub.repo_dir("acme", "soak") + "/model.bin")  # the listing's sha256, once
while True:
    time.sleep(3600)
EOF2
hub_pid=$!
for _ in $(seq 100); do [ -s "$BENCH_DIR/hub.url" ] && break; sleep 0.1; done
url=$(head -1 "$BENCH_DIR/hub.url")
curl -sf "$url/api/v1/models/$REPO/repo/files?Revision=master&Recursive=True" > /dev/null  # waits for the sha256

echo "== $RUNS runs: $SIZE_MB MiB, $(echo "$RATE * 100" | bc)% of body requests faulted (reset, truncate, http500, stall ${STALL}s, corrupt), read timeout ${TIMEOUT}s"
out="$BENCH_DIR/out"
ok=0
for i in $(seq "$RUNS"); do
  rm -rf "$out"; : > "$log"
  t0=$(date +%s.%N)
  if java -jar "$JAR" ms-download "$REPO" --endpoint "$url" --local_dir "$out" --timeout "$TIMEOUT" > "$BENCH_DIR/run.log" 2>&1; then rc=0; else rc=$?; fi
  t1=$(date +%s.%N)
  sleep 1  # requests the client cut end on the hub's side too
  same=no
  if [ "$rc" = 0 ] && [ -f "$out/$FILE" ]; then
    got=$("$PY" -c 'import sys; sys.path.insert(0,"tests/fixtures"); import fake_hub; print(fake_hub.sha256_of(sys.argv[1]))' "$out/$FILE")
    [ "$got" = "$want" ] && same=yes
    cmp -s "$out/$FILE" "$BENCH_DIR/models/$REPO/$FILE" || same=no
  fi
  [ "$same" = yes ] && ok=$((ok + 1))
  "$PY" - "$log" "$size" "$i" "$same" "$t0" "$t1" "$BENCH_DIR/run.log" <<'EOF2'
import collections, json, sys
log, size, i, same, t0, t1, runlog = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
recs = [json.loads(l) for l in open(log) if l.strip()]
sent = sum(r.get("sent", 0) for r in recs if r.get("body") or r.get("server") == "blob")
faults = collections.Counter(r["fault"] for r in recs if r.get("fault"))
line = [l.strip() for l in open(runlog) if "model.bin" in l and ("sha256" in l or "mismatch" in l)]
print("run %s: identical %s, %.1f s, fetched %.3f x size (%d requests, faults %s)%s" % (
    i, same, t1 - t0, sent / size, sum(1 for r in recs if r.get("server") == "blob"), dict(faults),
    ("  [" + line[-1][:160] + "]") if line else ""), flush=True)
EOF2
  [ "$same" = yes ] || tail -3 "$BENCH_DIR/run.log"
done
echo "== $ok of $RUNS runs byte-identical"
