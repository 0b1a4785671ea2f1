#!/usr/bin/env python3
"""The prepared run for a lent GPU machine (no JDK, no network, a Python with torch and transformers): unpacks
.device/ (made here by scripts/device/kit.sh), then runs the stages named, in order, through llamagic's own CLI
(java -jar kernel/target/llamagic.jar COMMAND: the magics' code paths). Everything it measures goes to
$OUT/results.md (default .device-state/out), each command's output to $OUT/<stage>-<step>.log.

  env     the machine: GPU, driver, nvcc, CMake, cores, memory, disk, Python packages
  vl      %to-gguf of a Qwen2.5-VL-3B-shaped random bf16 model (both GGUFs) vs `cp` of the same bytes and vs
          convert_hf_to_gguf.py (model, then --mmproj), pair by pair; the outputs compared byte for byte
  build   %build-llama --cuda from the kit's llama.cpp source (the GPU's own architecture), its verification
          table; a Qwen3-4B-shaped model is generated meanwhile for `serve`
  serve   that model: %to-gguf F16, llama-quantize Q4_K_M, %bench decode vs llama-bench tg128 pair by pair
          (scripts/bench/bench_vs_llama_bench.py), %bench --compare F16 vs Q4_K_M (GPU memory, roofline), %gpu

    python3 scripts/device/gpu_run.py env vl build serve
Carry .device (the kit); the unpacked kit, the builds and the models live in .device-state/, kept between calls.
Knobs (environment): VL_PAIRS (2), BENCH_PAIRS (3), BENCH_BS (1: F16 pairs again with -bs), BUILD_ARGS (default "--cuda"), VL_SHAPE (3b), SERVE_SHAPE (4b),
SERVE_BIN (a llama.cpp bin directory instead of the CUDA build's: to try the stage on a CPU machine).
"""
import glob
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIT = os.path.join(ROOT, ".device")  # carried to the machine on each call (and replaced there)
STATE = os.path.join(ROOT, ".device-state")  # not carried: kept between calls while the machine stays warm
OUT = os.environ.get("OUT") or os.path.join(STATE, "out")
SRC = os.path.join(STATE, "src", "llama.cpp")
WORK = os.path.join(STATE, "work")
JAR = os.path.join(ROOT, "kernel", "target", "llamagic.jar")
PY = sys.executable
SERVE_SHAPE = os.environ.get("SERVE_SHAPE", "4b")
BUILD_ARGS = os.environ.get("BUILD_ARGS", "--cuda")
ENV = dict(os.environ)
T0 = time.monotonic()


def say(line=""):
    print(line, flush=True)
    with open(os.path.join(OUT, "results.md"), "a") as f:
        f.write(line + "\n")


def run(label, cmd, timeout=None, check=False, background=False, nice=0):
    """Runs cmd (a list, or a string for sh -c) with its output in OUT/label.log; returns (seconds, peak RSS MiB, rc).
    The peak RSS is wait4's for the process tree (the largest of the command and the children it waited for)."""
    log = open(os.path.join(OUT, label + ".log"), "w")
    argv = ["sh", "-c", cmd] if isinstance(cmd, str) else cmd
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True,
                         preexec_fn=(lambda: os.nice(nice)) if nice else None)
    if background:
        return p
    rc, rss = None, 0
    while rc is None:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            rc, rss = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
            break
        if timeout and time.monotonic() - t > timeout:
            os.killpg(p.pid, 9)
            _, status, usage = os.wait4(p.pid, 0)
            rc, rss = 124, usage.ru_maxrss / 1024
            break
        time.sleep(0.02)
    p.returncode = rc
    log.close()
    secs = time.monotonic() - t
    if check and rc != 0:
        say("**%s failed (rc %d after %.1f s)**; the end of %s.log:" % (label, rc, secs, label))
        say("```\n" + tail(label, 25) + "\n```")
        raise SystemExit(1)
    return secs, rss, rc


def tail(label, n):
    with open(os.path.join(OUT, label + ".log"), errors="replace") as f:
        return "".join(f.readlines()[-n:]).rstrip()


def sync():
    subprocess.run(["sync"])


def unpack():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    if not os.path.exists(os.path.join(KIT, "jre.tar.xz")):
        sys.exit("no kit in .device/: run scripts/device/kit.sh on the machine with a JDK first")
    if not os.path.exists(os.path.join(STATE, "jre", "bin", "java")):
        subprocess.run(["tar", "-C", STATE, "-xJf", os.path.join(KIT, "jre.tar.xz")], check=True)
    if not os.path.exists(JAR):
        subprocess.run(["tar", "-C", STATE, "-xJf", os.path.join(KIT, "llamagic.tar.xz")], check=True)
        os.makedirs(os.path.dirname(JAR), exist_ok=True)
        shutil.move(os.path.join(STATE, "llamagic.jar"), JAR)
    if not os.path.exists(os.path.join(SRC, "CMakeLists.txt")):
        os.makedirs(os.path.dirname(SRC), exist_ok=True)
        subprocess.run(["tar", "-C", os.path.dirname(SRC), "-xJf", os.path.join(KIT, "llama-src.tar.xz")], check=True)
    ENV["PATH"] = os.path.join(STATE, "jre", "bin") + os.pathsep + ENV.get("PATH", "")
    ENV["JAVA_HOME"] = os.path.join(STATE, "jre")
    ENV["LLAMAGIC_HOME"] = os.environ.get("LLAMAGIC_HOME") or os.path.join(STATE, "home")
    ENV["LLAMAGIC_CONVERT_PYTHON"] = PY
    cuda = "/usr/local/cuda/bin"
    if os.path.isdir(cuda) and cuda not in ENV["PATH"]:
        ENV["PATH"] += os.pathsep + cuda


def java(*args):
    return ["java", "-jar", JAR] + list(args)


def cuda_bin():
    if os.environ.get("SERVE_BIN"):
        return os.environ["SERVE_BIN"]
    found = sorted(glob.glob(os.path.join(ENV["LLAMAGIC_HOME"], "llama.cpp", "builds", "*cuda*", "bin", "llama-server")))
    return os.path.dirname(found[-1]) if found else None


# ---------------------------------------------------------------------------------------------------------- stages

def stage_env():
    say("## env (%s UTC)" % time.strftime("%Y-%m-%d %H:%M", time.gmtime()))
    probes = [
        ("gpu", "nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader"),
        ("nvcc", "nvcc --version | tail -2"),
        ("cmake", "cmake --version | head -1; ninja --version; gcc --version | head -1; git --version"),
        ("cpu", "nproc; grep -m1 'model name' /proc/cpuinfo; free -g | sed -n 2p; df -h %s | tail -1" % shlex.quote(KIT)),
        ("python", "%s -c 'import sys, numpy, torch, transformers; print(sys.version.split()[0], \"numpy\", "
                   "numpy.__version__, \"torch\", torch.__version__, \"transformers\", transformers.__version__)'"
         % shlex.quote(PY)),
        ("java", "java -version 2>&1 | head -1"),
    ]
    for label, cmd in probes:
        run("env-" + label, cmd, timeout=60)
        say("- %s: %s" % (label, " · ".join(tail("env-" + label, 8).splitlines())))


def stage_vl():
    shape = os.environ.get("VL_SHAPE", "3b")
    pairs = int(os.environ.get("VL_PAIRS", "2"))
    model = os.path.join(WORK, "Qwen2.5-VL-3B-Instruct" if shape == "3b" else "vl-" + shape)
    say("\n## vl: %%to-gguf of a Qwen2.5-VL-%s-shaped bf16 model, both GGUFs" % shape.upper())
    if not os.path.exists(os.path.join(model, "config.json")):
        secs, _, _ = run("vl-generate", [PY, os.path.join(ROOT, "tests", "fixtures", "tiny_qwen25vl.py"), model,
                                          "--shape", shape, "--dtype", "bf16", "--llama-src", SRC, "--fast"],
                         check=True)
        say("- generated in %.1f s (tests/fixtures/tiny_qwen25vl.py --shape %s --dtype bf16 --fast)" % (secs, shape))
    shards = sorted(glob.glob(os.path.join(model, "*.safetensors")))
    size = sum(os.path.getsize(f) for f in shards)
    say("- source: %d bytes in %d safetensors shards" % (size, len(shards)))
    run("vl-warm", "cat %s > /dev/null" % " ".join(map(shlex.quote, shards)))
    torch_ok = run("vl-torch", [PY, "-c", "import torch, transformers"], timeout=120)[2] == 0
    conv = os.path.join(SRC, "convert_hf_to_gguf.py")
    out = os.path.join(WORK, "vl-out")
    rows = []
    for i in range(1, pairs + 1):
        shutil.rmtree(out, ignore_errors=True)
        for d in ("copy", "llamagic", "python"):
            os.makedirs(os.path.join(out, d))
        sync()
        row = {}
        row["cp"] = run("vl-cp-%d" % i, "cp %s %s/copy/ && sync" % (" ".join(map(shlex.quote, shards)), out))
        shutil.rmtree(os.path.join(out, "copy"))
        sync()
        row["llamagic"] = run("vl-llamagic-%d" % i, "%s && sync" % " ".join(map(shlex.quote, java(
            "to-gguf", model, "--outtype", "f16", "--outfile", os.path.join(out, "llamagic")))), check=True)
        if torch_ok:
            one = "%s %s %s --outtype f16 --outfile %s/python" % (shlex.quote(PY), shlex.quote(conv), shlex.quote(model), out)
            row["python"] = run("vl-python-%d" % i, "%s && %s --mmproj && sync" % (one, one), check=True)
            mine = sorted(os.listdir(os.path.join(out, "llamagic")))
            theirs = sorted(os.listdir(os.path.join(out, "python")))
            same = mine == theirs and all(subprocess.run(["cmp", "-s", os.path.join(out, "llamagic", f),
                                                          os.path.join(out, "python", f)]).returncode == 0 for f in mine)
            say("- pair %d: cp %.1f s · llamagic %.1f s (peak RSS %.0f MiB) · python %.1f s (peak RSS %.0f MiB) · "
                "files %s · %s" % (i, row["cp"][0], row["llamagic"][0], row["llamagic"][1], row["python"][0],
                                   row["python"][1], ", ".join("%s %d" % (f, os.path.getsize(os.path.join(out, "llamagic", f)))
                                                               for f in mine),
                                   "identical byte for byte" if same else "**DIFFER**"))
        else:
            say("- pair %d: cp %.1f s · llamagic %.1f s (peak RSS %.0f MiB) · python: not run (no torch/transformers)"
                % (i, row["cp"][0], row["llamagic"][0], row["llamagic"][1]))
        rows.append(row)
    shutil.rmtree(out, ignore_errors=True)
    say("```\n" + tail("vl-llamagic-%d" % pairs, 14) + "\n```")
    med = {k: statistics.median(r[k][0] for r in rows) for k in ("cp", "llamagic", "python") if k in rows[0]}
    say("- medians: " + " · ".join("%s %.2f s" % kv for kv in med.items()))
    say("- **llamagic / cp = %.2f** (pair by pair: %s)" % (med["llamagic"] / med["cp"], ", ".join(
        "%.2f" % (r["llamagic"][0] / r["cp"][0]) for r in rows)))
    if "python" in med:
        say("- **python / llamagic = %.2f× faster** (pair by pair: %s); peak RSS llamagic %.0f MiB, python %.0f MiB" % (
            med["python"] / med["llamagic"], ", ".join("%.2f" % (r["python"][0] / r["llamagic"][0]) for r in rows),
            max(r["llamagic"][1] for r in rows), max(r["python"][1] for r in rows)))


def stage_build():
    say("\n## build: %build-llama " + BUILD_ARGS)
    gen = generate_text_model(background=True)
    args = ["build-llama", "--source", SRC] + shlex.split(BUILD_ARGS)
    say("- command: `java -jar kernel/target/llamagic.jar %s`" % " ".join(args))
    secs, rss, rc = run("build-llama", java(*args), check=True)
    say("- wall %.1f s (JVM start, configure, build, verification, marker; the 4B model generated meanwhile at nice 10)"
        % secs)
    say("```\n" + tail("build-llama", 30) + "\n```")
    run("build-list", java("build-llama", "--list"))
    say("```\n" + tail("build-list", 8) + "\n```")
    if gen is not None:
        gen.wait()
        say("- Qwen3-4B-shaped model generated (rc %d)" % gen.returncode)


def text_model():
    return os.path.join(WORK, "Qwen3-" + SERVE_SHAPE.upper())


def generate_text_model(background):
    q = text_model()
    if os.path.exists(os.path.join(q, "model.safetensors.index.json")):
        return None
    return run("generate-text-model", [PY, os.path.join(ROOT, "tests", "fixtures", "tiny_qwen3.py"), q, "--shape",
                                       SERVE_SHAPE, "--dtype", "bf16", "--shards", "3",
                                       "--llama-src", SRC, "--fast"], background=background, nice=10, check=True)


def stage_serve():
    b = cuda_bin()
    if not b:
        say("\n## serve: no CUDA build under %s (run the build stage first)" % ENV["LLAMAGIC_HOME"])
        raise SystemExit(1)
    ENV["LLAMAGIC_LLAMA_BIN"] = b
    say("\n## serve: Qwen3-4B-shaped model on the CUDA build (%s)" % os.path.relpath(b, ROOT))
    generate_text_model(background=False)
    q4b = text_model()
    f16 = q4b + "-F16.gguf"
    q4 = q4b + "-Q4_K_M.gguf"
    if not os.path.exists(f16):
        secs, rss, _ = run("serve-to-gguf", java("to-gguf", q4b, "--outtype", "f16", "--outfile", f16), check=True)
        say("- %%to-gguf F16: %.1f s, peak RSS %.0f MiB, %d bytes" % (secs, rss, os.path.getsize(f16)))
    if not os.path.exists(q4):
        secs, _, _ = run("serve-quantize", [os.path.join(b, "llama-quantize"), f16, q4, "Q4_K_M"], check=True)
        say("- llama-quantize Q4_K_M: %.1f s, %d bytes" % (secs, os.path.getsize(q4)))
    pairs = os.environ.get("BENCH_PAIRS", "3")
    # the F16 pairs once more with backend (GPU) sampling: is the server's gap to llama-bench its sampling?
    cases = [("F16", f16, []), ("Q4_K_M", q4, [])]
    if os.environ.get("BENCH_BS", "1") == "1":
        cases.append(("F16-backend-sampling", f16, ["--server-extra=-bs"]))
    for name, m, extra in cases:
        cmd = [PY, os.path.join(ROOT, "scripts", "bench", "bench_vs_llama_bench.py"), m, "--bin", b, "--gen", "128",
               "--pairs", pairs, "--ngl", "99", "--fa", "on"] + extra
        say("- `%s`" % " ".join(cmd).replace(ROOT + "/", "").replace(WORK, "$WORK"))
        secs, _, rc = run("serve-vs-llama-bench-" + name, cmd, timeout=240)
        say("```\n" + tail("serve-vs-llama-bench-" + name, int(pairs) + 2) + "\n```")
    cmp_args = ["bench", "--compare", f16, q4, "--server-args", "-ngl 99 -fa on", "--prompts", "128,2048", "--gen", "128",
                "--concurrency", "1,4,8", "--reps", "2", "--save", os.path.join(OUT, "compare.csv")]
    say("- `java -jar kernel/target/llamagic.jar %s`" % " ".join(shlex.quote(a) for a in cmp_args).replace(WORK, "$WORK"))
    run("serve-compare", java(*cmp_args), timeout=300)
    say("```\n" + tail("serve-compare", 60) + "\n```")
    run("serve-gpu", java("gpu"), timeout=60)
    say("```\n" + tail("serve-gpu", 12) + "\n```")


STAGES = {"env": stage_env, "vl": stage_vl, "build": stage_build, "serve": stage_serve}

if __name__ == "__main__":
    names = sys.argv[1:] or ["env"]
    bad = [n for n in names if n not in STAGES]
    if bad:
        sys.exit("unknown stage %s (stages: %s)" % (", ".join(bad), ", ".join(STAGES)))
    unpack()
    for n in names:
        t = time.monotonic()
        try:
            STAGES[n]()
        finally:
            say("- (stage %s: %.0f s; %.0f s since start)" % (n, time.monotonic() - t, time.monotonic() - T0))
