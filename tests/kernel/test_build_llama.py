"""%build-llama through the real kernel: a real CPU build of llama.cpp from the node-llama-cpp bundle (the session's
llama_build fixture), its binaries run, the cache answering the second time, one-line failures, and an interrupt
that leaves no compiler running and a build that resumes where it stopped."""
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import JAR, LLAMA_BUNDLE, LLAMA_SRC, TEST_HOME, Kernel, one_line_error

COMMIT = None  # the bundle's commit, read once


def bundle_commit():
    global COMMIT
    if COMMIT is None:
        out = subprocess.run(["git", "bundle", "list-heads", LLAMA_BUNDLE], capture_output=True, text=True, check=True)
        COMMIT = out.stdout.split()[0]
    return COMMIT


def need_real_build(llama_build):
    if llama_build["cell"] is None:
        pytest.skip("LLAMAGIC_LLAMA_BIN is set: the build fixture used that directory instead of building")


def error_lines(cell):
    """The error's visible lines (ANSI codes, blank lines and rulers dropped): an interrupt may show several."""
    strip = lambda l: re.sub(r"\x1b\[[0-9;]*m", "", l).strip()
    return [strip(l) for l in cell.error["traceback"] if strip(l) and not set(strip(l)) <= {"-"}]


def bar_counts(messages):
    """(done, total) of every drawn state of the build's progress bar that shows ninja's [n/m]."""
    counts = []
    for m in messages:
        if m["msg_type"] not in ("display_data", "update_display_data"):
            continue
        text = m["content"]["data"].get("text/plain", "")
        hit = re.search(r"^building llama\.cpp .*?\]\s+\d+%\s+(\d+) / (\d+)", text)
        if hit:
            counts.append((int(hit.group(1)), int(hit.group(2))))
    return counts


def test_real_build_through_the_magic(llama_build):
    need_real_build(llama_build)
    cell = llama_build["cell"]
    commit = bundle_commit()
    html = cell.html
    assert "llama.cpp build " + llama_build["key"] in html
    assert llama_build["key"].startswith(commit[:10] + "-cpu-")
    # the verification table: commit, backends, devices, CUDA archs, build time, binaries
    for row in ("commit", "backends", "devices seen", "CUDA archs", "build time", "llama-server", "llama-quantize"):
        assert "<td>%s</td>" % row in html, row
    assert "<td>%s</td>" % commit in html
    assert "ggml-cpu" in html
    info = llama_build["marker"]
    assert info["commit"] == commit and info["backend"] == "cpu" and info["cudaArchs"] == ""
    assert sorted(info["targets"]) == ["llama-bench", "llama-cli", "llama-quantize", "llama-server"]
    assert info["version"].startswith("version:"), info["version"]
    if llama_build["built"]:
        # it built in this session: one progress bar, redrawn in place with ninja's [n/m], ending full
        bars = [m for m in cell.of("display_data") if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
        assert len(bars) == 1
        display_id = bars[0]["content"]["transient"]["display_id"]
        updates = [u for u in cell.of("update_display_data") if u["content"]["transient"]["display_id"] == display_id]
        assert 'data-state="done"' in updates[-1]["content"]["data"]["text/html"]
        counts = bar_counts(updates)
        # (no counts at all when an earlier, interrupted run had compiled everything: ninja has nothing to do)
        if counts:
            assert counts[-1][0] == counts[-1][1], counts[-5:]
            assert [d for d, _ in counts] == sorted(d for d, _ in counts)


def test_built_llama_server_runs(llama_build):
    server = os.path.join(llama_build["bin"], "llama-server")
    out = subprocess.run([server, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "version:" in out.stdout + out.stderr
    if llama_build["cell"] is not None:
        assert bundle_commit()[:7] in out.stdout + out.stderr or "built with" in out.stdout + out.stderr


def test_second_run_hits_the_cache(kernel, llama_build):
    need_real_build(llama_build)
    cell_text = "%build-llama --source " + LLAMA_BUNDLE + " --cpu"
    # the first magic of a fresh kernel also pays for loading the classes; then the user re-runs the cell
    for attempt in ("fresh kernel", "re-run"):
        started = time.monotonic()
        cell = kernel.execute(cell_text, timeout=120)
        wall = time.monotonic() - started
        assert cell.status == "ok", cell.error
        said = re.search(r"is already built and verified \(cached build (\S+)\); answered from the cache in ([0-9.]+) s", cell.stdout)
        assert said, cell.stdout
        assert said.group(1) == llama_build["key"]
        assert "llama.cpp build %s (cached)" % llama_build["key"] in cell.html
        assert not [m for m in cell.of("display_data") if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
    assert float(said.group(2)) < 2.0, "the command's own time for a cache hit"
    assert wall < 5.0, "a cache hit, kernel round trip included"
    # later commands find it without being told
    found = kernel.execute('System.out.println(dev.llamagic.engine.build.Llama.latest(dev.llamagic.kernel.Cell.context()).binary("llama-server"));')
    assert found.status == "ok", found.error
    assert found.stdout.strip() == os.path.join(llama_build["bin"], "llama-server")
    # the Java API beside the magic: the same cache hit, returning the install
    api = kernel.execute('var inst = dev.llamagic.engine.build.Llama.build(dev.llamagic.kernel.Cell.context(), '
                         'dev.llamagic.engine.build.BuildOptions.defaults().withSource("%s").cpu()); '
                         'System.out.println("API " + inst.binary("llama-cli") + " " + inst.key());' % LLAMA_BUNDLE)
    assert api.status == "ok", api.error
    assert "API %s %s" % (os.path.join(llama_build["bin"], "llama-cli"), llama_build["key"]) in api.stdout
    assert "answered from the cache" in api.stdout
    listed = kernel.execute("%build-llama --list")
    assert listed.status == "ok" and llama_build["key"] in listed.html


def test_cli_cache_hit(llama_build):
    need_real_build(llama_build)
    env = {**os.environ, "LLAMAGIC_HOME": TEST_HOME}
    out = subprocess.run(["java", "-jar", JAR, "build-llama", "--source", LLAMA_BUNDLE, "--cpu"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "answered from the cache" in out.stdout and llama_build["key"] in out.stdout


def test_help_and_unknown_flag(kernel):
    cell = kernel.execute("%build-llama --help")
    assert cell.status == "ok"
    assert "Usage: build-llama" in cell.text and "--cuda" in cell.text and "为本机 GPU" in cell.text
    bad = kernel.execute("%build-llama --gpu")
    assert one_line_error(bad).endswith("%build-llama: Unknown option: '--gpu' (see %build-llama --help)")


def test_cuda_without_toolkit_is_one_line(kernel):
    if shutil.which("nvcc") or os.path.exists("/usr/local/cuda/bin/nvcc") or os.environ.get("CUDA_HOME"):
        pytest.skip("this machine has a CUDA toolkit")
    started = time.monotonic()
    cell = kernel.execute("%build-llama --cuda --source " + LLAMA_BUNDLE, timeout=120)
    line = one_line_error(cell)
    assert "%build-llama: --cuda needs the CUDA toolkit, but no nvcc was found (looked at" in line
    assert "nvcc on PATH" in line and "/usr/local/cuda" in line and "--cpu" in line
    assert time.monotonic() - started < 60, "fails fast, before cloning or building"
    both = kernel.execute("%build-llama --cuda --cpu")
    assert error_lines(both) == ["dev.llamagic.kernel.MagicFailed: %build-llama: --cuda and --cpu exclude each other: choose one"] \
        or error_lines(both)[-1].endswith("--cuda and --cpu exclude each other: choose one")


def test_the_tutorials_typo_is_caught(kernel):
    """The tutorial's -DGGMML_CUDA=ON silently builds CPU-only; here it is one line before anything is fetched (a
    source URL nobody can reach is never contacted), and any other option CMake does not use becomes one line after
    configuring (CMake's "not used" warning)."""
    cell = kernel.execute("%build-llama --dry-run --source https://invalid.example/llama.cpp -DGGMML_CUDA=ON", timeout=60)
    assert one_line_error(cell) == ("%build-llama: -DGGMML_CUDA is not a llama.cpp option (did you mean GGML_CUDA?);"
                                    " for a CUDA build use --cuda")
    builds = os.path.join(TEST_HOME, "llama.cpp", "builds")
    before = set(os.listdir(builds)) if os.path.isdir(builds) else set()
    try:
        cell = kernel.execute("%build-llama --cpu --source " + LLAMA_SRC + " -DLLAMAGIC_NOT_AN_OPTION=ON", timeout=600)
        line = one_line_error(cell)
        assert "CMake ignored -DLLAMAGIC_NOT_AN_OPTION: llama.cpp has no such option" in line
    finally:
        for d in set(os.listdir(builds)) - before if os.path.isdir(builds) else ():
            path = os.path.join(builds, d)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)


def _descendants(root):
    """{pid: (starttime, comm)} of every process below root, read from /proc."""
    children = {}
    info = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        ppid, start = int(rest[1]), rest[19]
        children.setdefault(ppid, []).append(int(d))
        info[int(d)] = (start, comm)
    found, todo = {}, [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in found:
                found[c] = info[c]
                todo.append(c)
    return found


def _still_running(seen):
    alive = []
    for pid, (start, comm) in seen.items():
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        if rest[19] == start and rest[0] != "Z":
            alive.append("%d %s" % (pid, comm))
    return alive


class TreeWatcher:
    """Samples the kernel's process tree every 0.2 s, remembering every process seen below it."""

    def __init__(self, root):
        self.root, self.seen, self.stop = root, {}, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.seen.update(_descendants(self.root))
            time.sleep(0.2)

    def close(self):
        self.stop.set()
        self.thread.join()
        return self.seen


def _gone(seen, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline and _still_running(seen):
        time.sleep(0.2)
    return _still_running(seen)


def test_interrupt_kills_every_build_process_and_a_rerun_resumes(tmp_path):
    """Interrupted after some seconds of compiling: cmake, ninja and every compiler are gone, no build is
    recorded; run again, ninja's first [n/m] counts only what is left."""
    home = tmp_path / "home"
    k = Kernel(env={"LLAMAGIC_HOME": str(home)})
    code = "%build-llama --cpu --source " + LLAMA_SRC
    try:
        kernel_pid = k.km.provisioner.process.pid
        state = {"first": None, "sent": False}

        def interrupt_when_compiling(msg):
            counts = bar_counts([msg])
            if not counts or state["sent"]:
                return
            if state["first"] is None:
                state["first"] = time.monotonic()
            # ~20 s into compiling, with a few steps finished (a shared 2-core machine can be slow)
            if time.monotonic() - state["first"] >= 20 and counts[-1][0] >= 3:
                k.km.interrupt_kernel()
                state["sent"] = True

        watcher = TreeWatcher(kernel_pid)
        first = k.execute(code, timeout=900, on_message=interrupt_when_compiling)
        seen = watcher.close()
        assert state["sent"], "the build finished before it could be interrupted"
        assert first.status == "error"
        assert "interrupted" in error_lines(first)[-1].lower()
        names = {comm for _, comm in seen.values()}
        assert {"cmake", "ninja"} <= names, names
        assert names & {"cc1", "cc1plus"}, names
        assert _gone(seen) == [], "every process of the build is gone"
        # one progress bar updated in place, with ninja's counts
        bars = [m for m in first.of("display_data") if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
        assert len(bars) == 1
        display_id = bars[0]["content"]["transient"]["display_id"]
        updates = [u for u in first.of("update_display_data") if u["content"]["transient"]["display_id"] == display_id]
        first_counts = bar_counts(updates)
        assert first_counts and first_counts[-1][0] >= 3
        total = first_counts[0][1]
        builds = home / "llama.cpp" / "builds"
        assert not list(builds.glob("*/llamagic-build.json")), "an interrupted build is not recorded"
        log = next(builds.glob("*/llamagic-build.log")).read_text()
        assert "build runs as pid" in log

        # the same command again: ninja only has what is left to do
        state2 = {"sent": False}

        def interrupt_at_first_count(msg):
            if bar_counts([msg]) and not state2["sent"]:
                k.km.interrupt_kernel()
                state2["sent"] = True

        watcher = TreeWatcher(kernel_pid)
        again = k.execute(code, timeout=600, on_message=interrupt_at_first_count)
        seen2 = watcher.close()
        assert again.status == "error"
        resumed = bar_counts(again.messages)
        assert resumed, again.text
        assert resumed[0][1] < total, "resumed: %s steps left of %s" % (resumed[0][1], total)
        assert _gone(seen2) == []
    finally:
        k.shutdown()
