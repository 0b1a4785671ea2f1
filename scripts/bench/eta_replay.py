#!/usr/bin/env python3
"""Replays a finished build's .ninja_log and prints, at 5 ... 90 % of its wall time, the ETA a progress bar would have
said divided by the time actually left: counting equal steps, and weighing them as %build-llama does
(BuildWork: a CUDA object 1 + 0.7 per architecture, a CUDA template instance 1 + 5.8 per architecture, any other
step 1). 1.00 is exact. Also prints the mean seconds per kind of step, where the weights come from.

Usage: scripts/bench/eta_replay.py BUILD_DIR [archs]
"""
import sys
from pathlib import Path


def kind(out):
    if out.endswith(".cu.o"):
        return "instance" if "template-instances/" in out else "cuda"
    return "other"


def main():
    build = Path(sys.argv[1])
    archs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rows = [line.rstrip("\n").split("\t") for line in (build / ".ninja_log").open() if not line.startswith("#")]
    steps = sorted((int(end) / 1000, kind(out), (int(end) - int(start)) / 1000) for start, end, _, out, _ in rows)
    for k in ("other", "cuda", "instance"):
        d = [s for _, kk, s in steps if kk == k]
        if d:
            print(f"{k:9s} {len(d):4d} steps, {sum(d) / len(d):5.1f} s each on average")
    wall = steps[-1][0]
    totals = {k: sum(1 for _, kk, _ in steps if kk == k) for k in ("other", "cuda", "instance")}
    weights = {
        "steps": {"other": 1, "cuda": 1, "instance": 1},
        "weighted": {"other": 1, "cuda": 1 + 0.7 * archs, "instance": 1 + 5.8 * archs},
    }
    print(f"wall {wall:.0f} s; ETA / time left at 5, 10, 25, 50, 75, 90 % of it:")
    for name, w in weights.items():
        total = sum(w[k] * n for k, n in totals.items())
        ratios = []
        for share in (0.05, 0.10, 0.25, 0.50, 0.75, 0.90):
            t = share * wall
            done = sum(w[k] for end, k, _ in steps if end <= t)
            ratios.append(f"{t * (total - done) / done / (wall - t):.2f}" if done else "-")
        print(f"  {name:9s} " + " ".join(ratios))


if __name__ == "__main__":
    main()
