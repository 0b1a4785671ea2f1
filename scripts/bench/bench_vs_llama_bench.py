#!/usr/bin/env python3
"""%bench decode tok/s vs llama-bench tg on the same build and model, measured pair by pair (A B A B ...).

    scripts/bench/bench_vs_llama_bench.py MODEL.gguf [--bin DIR] [--gen 128] [--pairs 3] [--ngl 99] [--fa on]

Starts llama-server (-np 1) on MODEL, then alternates:
  A: java -jar kernel/target/llamagic.jar bench --url ... --prompts 128 --gen N --concurrency 1 --reps 3
     → "decode tok/s per request" (client clock, n−1 tokens over first→last streamed token)
  B: llama-bench -m MODEL -p 0 -n N -r 3 -o jsonl  → avg_ts of tgN
and prints each pair's ratio A/B and the median, and beside it the server's own decode rate (llama-server's
predicted_per_second over the same requests) over B: when A ≈ the server's own figure, a gap to llama-bench is the
server's, not the measurement's. --bin defaults to $LLAMAGIC_LLAMA_BIN; --server-extra passes more flags to
llama-server only (e.g. --server-extra=-bs for backend sampling).
"""
import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "kernel", "target", "llamagic.jar")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--bin", default=os.environ.get("LLAMAGIC_LLAMA_BIN"))
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--ngl", default=None, help="-ngl for both (GPU builds: 99)")
    ap.add_argument("--fa", default=None, help="-fa on|off|auto for both")
    ap.add_argument("--server-extra", default="", help="more llama-server flags, e.g. --server-extra=-bs")
    a = ap.parse_args()
    if not a.bin:
        sys.exit("pass --bin DIR or set LLAMAGIC_LLAMA_BIN")
    common = (["-ngl", a.ngl] if a.ngl else []) + (["-fa", a.fa] if a.fa else [])
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    log = open(os.path.join(tempfile.gettempdir(), "bench-vs-llama-bench-server.log"), "w")
    server = subprocess.Popen([os.path.join(a.bin, "llama-server"), "-m", a.model, "--host", "127.0.0.1", "--port",
                               str(port), "-np", "1", "-c", str(128 + a.gen + 256)] + common + a.server_extra.split(),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(url + "/health", timeout=2).status == 200:
                    break
            except Exception:
                time.sleep(0.5)
        env = {**os.environ, "LLAMAGIC_LLAMA_BIN": a.bin}
        ratios, server_ratios = [], []
        for i in range(a.pairs):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "a.csv")
                subprocess.run(["java", "-jar", JAR, "bench", "--url", url, "--prompts", "128", "--gen", str(a.gen),
                                "--concurrency", "1", "--reps", "3", "--save", out], env=env, check=True,
                               stdout=subprocess.DEVNULL)
                with open(out) as f:
                    row = next(csv.DictReader(f))
                mine = float(row["decode tok/s per request"])
                server_own = float(row["decode tok/s per request (server)"])
            lb = subprocess.run([os.path.join(a.bin, "llama-bench"), "-m", a.model, "-p", "0", "-n", str(a.gen), "-r", "3",
                                 "-o", "jsonl"] + common, capture_output=True, text=True, check=True)
            theirs = [json.loads(l) for l in lb.stdout.splitlines() if l.startswith("{")][0]["avg_ts"]
            ratios.append(mine / theirs)
            server_ratios.append(server_own / theirs)
            print("pair %d: %%bench %.2f tok/s (server's own %.2f) · llama-bench tg%d %.2f tok/s · ratio %.3f"
                  " (server / llama-bench %.3f)" % (i + 1, mine, server_own, a.gen, theirs, mine / theirs,
                                                    server_own / theirs), flush=True)
        print("median ratio %%bench / llama-bench: %.3f (server's own / llama-bench: %.3f)"
              % (statistics.median(ratios), statistics.median(server_ratios)))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
