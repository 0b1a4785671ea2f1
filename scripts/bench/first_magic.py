"""First magic in a fresh kernel: starts the llamagic kernel from a kernelspec, waits until it answers
kernel_info, runs one cell (default %llamagic) and stops it; RUNS times, kernelspecs in turn (A B A B ...).

  python scripts/bench/first_magic.py [--runs N] [--cell CODE] KERNELS_DIR [KERNELS_DIR_B]

KERNELS_DIR holds the `llamagic` kernelspec (e.g. .venv/share/jupyter/kernels, or PREFIX/share/jupyter/kernels
after ./install.sh --prefix PREFIX). Per run it prints, and at the end gives min/median/max of:
  start  - kernel process started until it answered kernel_info (JVM, JJava, JShell, the extension)
  own    - the kernel's own time for the cell: its `busy` to its `idle` status, as received (JJava's message
           dates have minute resolution)
  round  - the client's round trip for the cell: execute_request sent until `idle` received
  cpu    - CPU seconds (user + system) the kernel process used for the cell (Linux /proc)
  total  - start + round: from starting the kernel to the first magic's result
Needs jupyter_client (the test venv has it).
"""
import argparse
import os
import queue
import statistics
import sys
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager


def _cpu(pid):
    """User + system CPU seconds of a process so far (Linux)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(kernels_dir, cell, timeout=300):
    ksm = KernelSpecManager(kernel_dirs=[kernels_dir])
    km = KernelManager(kernel_name="llamagic", kernel_spec_manager=ksm)
    t0 = time.monotonic()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        start = time.monotonic() - t0
        while True:  # drop the start-up status messages
            try:
                kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                break
        pid = km.provisioner.process.pid
        cpu0 = _cpu(pid)
        sent = time.monotonic()
        msg_id = kc.execute(cell)
        busy = idle = None
        text = []
        while idle is None:
            if time.monotonic() - sent > timeout:
                raise TimeoutError("no idle after %s s" % timeout)
            try:
                m = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            c = m["content"]
            if m["msg_type"] == "status" and c["execution_state"] == "busy":
                busy = time.monotonic()
            elif m["msg_type"] == "status" and c["execution_state"] == "idle":
                idle = time.monotonic()
                round_trip = time.monotonic() - sent
            elif m["msg_type"] == "error":
                raise RuntimeError("the cell failed: %s" % c.get("evalue"))
            elif m["msg_type"] in ("stream", "display_data"):
                text.append(c.get("text") or c.get("data", {}).get("text/plain", ""))
        cpu = _cpu(pid) - cpu0
        return start, idle - busy, round_trip, cpu, start + round_trip, "".join(text)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--cell", default="%llamagic")
    p.add_argument("dirs", nargs="+", help="KERNELS_DIR [KERNELS_DIR_B]")
    a = p.parse_args()
    sides = [os.path.abspath(d) for d in a.dirs]
    results = {d: [] for d in sides}
    one(sides[0], a.cell)  # warm-up (page cache), not counted
    for r in range(a.runs):
        for i, d in enumerate(sides):
            start, own, rt, cpu, total, text = one(d, a.cell)
            results[d].append((start, own, rt, cpu, total))
            print("run %d %s: start %.2f s, own %.3f s, round %.3f s, cpu %.2f s" % (r + 1, "AB"[i], start, own, rt, cpu),
                  flush=True)
    for i, d in enumerate(sides):
        print("%s = %s" % ("AB"[i], d))
        for k, name in enumerate(("start", "own", "round", "cpu", "total")):
            v = [x[k] for x in results[d]]
            print("  %-5s median %.3f s (min %.3f, max %.3f)" % (name, statistics.median(v), min(v), max(v)))
    if len(sides) == 2:
        for k, name in enumerate(("start", "own", "round", "cpu", "total")):
            ratios = [a_[k] / b_[k] for a_, b_ in zip(results[sides[0]], results[sides[1]])]
            print("  A/B %-5s median %.2f (min %.2f, max %.2f), pair by pair" % (name, statistics.median(ratios), min(ratios), max(ratios)))


if __name__ == "__main__":
    sys.exit(main())
