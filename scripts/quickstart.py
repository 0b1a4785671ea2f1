"""Runs a llamagic notebook headless end to end (default: notebooks/01-quickstart.ipynb) and writes the executed
notebook and an HTML export. Where ModelScope and GitHub answer, it runs as written (the real Qwen3-0.6B, llama.cpp
from GitHub); where they don't, it says so and runs offline: llama.cpp from the npm registry, a tiny random Qwen3
with the real vocabulary served by a local ModelScope hub, a CPU build.

    python scripts/quickstart.py [--offline | --online] [--notebook NB] [--out DIR]
"""
import argparse
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import run_notebook  # noqa: E402
from offline_world import offline_world  # noqa: E402

PROBES = ["https://www.modelscope.cn/api/v1/models/Qwen/Qwen3-0.6B", "https://github.com/ggml-org/llama.cpp"]


def reachable(url, timeout=5):
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
        return True
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable from here"
        code = getattr(e, "code", None)
        return code is not None and code < 500  # an HTTP answer (even 403/405) means the host is reachable


def run(notebook, out_dir, params):
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.splitext(os.path.basename(notebook))[0]
    out_nb, out_html = os.path.join(out_dir, base + ".ipynb"), os.path.join(out_dir, base + ".html")
    argv = [notebook, out_nb, "--html", out_html]
    for k, v in params.items():
        argv += ["-p", k, v]
    run_notebook.main(argv)
    print("executed notebook: %s\nHTML export:      %s" % (out_nb, out_html))
    return out_nb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true", help="always run offline on the generated tiny model")
    mode.add_argument("--online", action="store_true", help="never fall back to offline")
    ap.add_argument("--notebook", default=os.path.join(ROOT, "notebooks", "01-quickstart.ipynb"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build-out"))
    a = ap.parse_args(argv)
    online = a.online or (not a.offline and all(reachable(u) for u in PROBES))
    if online:
        print("ModelScope and GitHub answer: running %s as written" % os.path.relpath(a.notebook, ROOT))
        run(a.notebook, a.out, {})
        return 0
    why = "--offline" if a.offline else "ModelScope or GitHub cannot be reached from here"
    print("%s: running %s offline on a generated tiny Qwen3 (real vocabulary, random weights) served by a local "
          "ModelScope hub, llama.cpp from the npm registry, CPU build" % (why, os.path.relpath(a.notebook, ROOT)))
    with offline_world(os.path.join(os.path.abspath(a.out), "models", "Qwen3-tiny")) as params:
        run(a.notebook, a.out, params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
