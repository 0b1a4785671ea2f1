"""Shared test helpers: a real llamagic kernel started by kernelspec name, driven over ZMQ; the one-line error
of a failed cell; llama-server on loopback; processes and ports that must be gone."""
import errno
import inspect
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "kernel", "target", "llamagic.jar")

# tests/fixtures (fake_hub, fake_dsw, tiny_qwen3, ...) importable from every test module: pytest imports this
# conftest before any test module.
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))

# Cached between runs, outside the checkout: llama.cpp source and builds (tests/prepare/*.sh fill it).
TEST_HOME = os.environ.get("LLAMAGIC_TEST_HOME") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "llamagic-test")
LLAMA_SRC = os.path.join(TEST_HOME, "src", "llama.cpp")          # a checkout: models/, convert_hf_to_gguf.py, ...
LLAMA_BUNDLE = os.path.join(TEST_HOME, "src", "llama.cpp.bundle")  # the git bundle from node-llama-cpp
VOCAB_QWEN2 = os.path.join(LLAMA_SRC, "models", "ggml-vocab-qwen2.gguf")
QWEN3_TEMPLATE = os.path.join(LLAMA_SRC, "models", "templates", "Qwen-Qwen3-0.6B.jinja")


class Cell:
    """What one execute_request produced: the reply and every iopub message of its parent."""

    def __init__(self, reply, messages):
        self.reply = reply
        self.messages = messages

    @property
    def status(self):
        return self.reply["content"]["status"]

    def of(self, *types):
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self):
        return "".join(m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stdout")

    @property
    def stderr(self):
        return "".join(m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stderr")

    @property
    def html(self):
        return "".join(m["content"]["data"].get("text/html", "") for m in self.of("display_data", "execute_result"))

    @property
    def text(self):
        parts = [self.stdout, self.stderr]
        parts += [m["content"]["data"].get("text/plain", "") for m in self.of("display_data", "execute_result")]
        return "".join(parts)

    @property
    def error(self):
        errs = self.of("error")
        return errs[0]["content"] if errs else None


class Kernel:
    """A llamagic kernel; LLAMAGIC_HOME defaults to TEST_HOME so llama.cpp builds are shared between runs."""

    def __init__(self, env=None):
        full = {**os.environ, "LLAMAGIC_HOME": TEST_HOME, **(env or {})}
        self.km, self.kc = start_new_kernel(kernel_name="llamagic", startup_timeout=120, env=full)

    def execute(self, code, timeout=120, interrupt_after=None, on_message=None):
        """Runs a cell; with interrupt_after (seconds) sends interrupt_request that long after it started."""
        msg_id = self.kc.execute(code)
        messages = []
        reply = None
        idle = False
        started = time.monotonic()
        interrupted = interrupt_after is None
        deadline = started + timeout
        while time.monotonic() < deadline and (reply is None or not idle):
            if not interrupted and time.monotonic() - started >= interrupt_after:
                self.km.interrupt_kernel()
                interrupted = True
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
                if msg["parent_header"].get("msg_id") == msg_id:
                    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        idle = True
                    elif msg["msg_type"] != "status":
                        messages.append(msg)
                        if on_message:
                            on_message(msg)
                elif msg["msg_type"] not in ("status",):
                    # output of another request: record it as a leak on this cell
                    messages.append(msg)
            except queue.Empty:
                pass
            if reply is None:
                try:
                    r = self.kc.get_shell_msg(timeout=0.01)
                    if r["parent_header"].get("msg_id") == msg_id:
                        reply = r
                except queue.Empty:
                    pass
        if reply is None or not idle:
            raise TimeoutError("cell did not finish within %s s: %r" % (timeout, code[:200]))
        return Cell(reply, messages)

    def shutdown(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    yield k
    k.shutdown()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random Qwen3 in Hugging Face layout (real vocab and chat template) and the same weights as an
    F32 GGUF written by llama.cpp's gguf-py: {"dir": ..., "gguf": ...}."""
    import tiny_qwen3
    out = tmp_path_factory.mktemp("tiny-qwen3")
    model_dir = out / "Qwen3-tiny"
    gguf_path = out / "tiny-qwen3-F32.gguf"
    tiny_qwen3.generate(str(model_dir), gguf_out=str(gguf_path), llama_src=LLAMA_SRC)
    return {"dir": str(model_dir), "gguf": str(gguf_path)}


# ---- %build-llama: one real CPU build of llama.cpp for the whole session (tests/kernel/test_build_llama.py) ----

LLAMA_BUILD_TIMEOUT = 40 * 60  # a cold CPU build takes ~4-8 min on 2 idle cores, far longer on a shared machine
LLAMA_BUILD_CELL = "%build-llama --source {bundle} --cpu"


def _takes_llama_build(item):
    """Whether the test function itself, or one of its fixtures other than llama_bin, takes llama_build as a
    parameter: the tests that check the build, and those (the notebooks') whose fixtures run slow work with it."""
    function = getattr(item, "function", None)
    if function is not None:
        try:
            if "llama_build" in inspect.signature(function).parameters:
                return True
        except (TypeError, ValueError):
            pass
    info = getattr(item, "_fixtureinfo", None)
    if "llama_build" in getattr(info, "argnames", ()):
        return True
    for name, defs in (getattr(info, "name2fixturedefs", None) or {}).items():
        if name != "llama_bin" and any("llama_build" in getattr(d, "argnames", ()) for d in defs):
            return True
    return False


@pytest.hookimpl(trylast=True)  # after any plugin that reorders the items: the first one is the one that runs first
def pytest_collection_modifyitems(config, items):
    """The first test whose fixtures reach llama_build (directly, or through llama_bin, llama_kernel, ...) runs the
    build in its setup, wherever it is; the tests that take llama_build themselves (or through a fixture of their
    own, not llama_bin) as before: give those the build's time. Every other test keeps the default timeout."""
    first = next((item for item in items if "llama_build" in getattr(item, "fixturenames", ())), None)
    for item in items:
        if (item is first or _takes_llama_build(item)) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(LLAMA_BUILD_TIMEOUT + 600))


@pytest.fixture(scope="session")
def llama_build():
    """A CPU build of llama.cpp from the test bundle (conftest.LLAMA_BUNDLE) in TEST_HOME, made by running the magic
    itself in a real kernel (a cache hit after the first run). Later kernels find it through Llama.latest.
    Returns {"bin": dir of llama-server etc., "key": cache key, "cell": the build cell (Cell), "text": its text,
    "built": whether this run compiled (False: answered from the cache), "wall": seconds the cell took}.
    With LLAMAGIC_LLAMA_BIN set, nothing is built: {"bin": that dir, "cell": None, "built": False, ...}."""
    env_bin = os.environ.get("LLAMAGIC_LLAMA_BIN")
    if env_bin:
        return {"bin": env_bin, "key": None, "cell": None, "text": "", "built": False, "wall": 0.0}
    k = Kernel()
    try:
        started = time.monotonic()
        cell = k.execute(LLAMA_BUILD_CELL.format(bundle=LLAMA_BUNDLE), timeout=LLAMA_BUILD_TIMEOUT)
        wall = time.monotonic() - started
    finally:
        k.shutdown()
    if cell.status != "ok":
        pytest.fail("%%build-llama failed: %s" % "\n".join((cell.error or {}).get("traceback", [])), pytrace=False)
    m = re.search(r"llama\.cpp build (\S+)", cell.text)
    assert m, cell.text
    key = m.group(1)
    marker = os.path.join(TEST_HOME, "llama.cpp", "builds", key, "llamagic-build.json")
    with open(marker) as f:
        info = json.load(f)
    return {"bin": info["binDir"], "key": key, "cell": cell, "text": cell.text,
            "built": "answered from the cache" not in cell.text, "wall": wall, "marker": info}


# ---- %ms-download: the fake ModelScope hub (tests/fixtures/fake_hub.py), started in-process on loopback

@pytest.fixture
def fake_hub_factory():
    """fake_hub_factory(models_dir, **FakeHub kwargs) -> a started FakeHub (hub.url), stopped after the test."""
    import fake_hub
    hubs = []

    def start(models_dir, **kw):
        hub = fake_hub.FakeHub(str(models_dir), **kw).start()
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        hub.stop()


# ---- the llama.cpp binaries the GGUF, serve and bench tests run -------------------------------------------

@pytest.fixture(scope="session")
def llama_bin(llama_build):
    """The directory of the llama.cpp binaries: LLAMAGIC_LLAMA_BIN if set, else the suite's llama_build (which
    answers with LLAMAGIC_LLAMA_BIN itself when that is set, building nothing)."""
    return llama_build["bin"]


@pytest.fixture(scope="module")
def llama_kernel(llama_bin):
    """A llamagic kernel that finds the llama.cpp build under test (one per test module)."""
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin})
    yield k
    k.shutdown()


# ---- a failed cell's one-line error ----------------------------------------------------------------------

MAGIC_FAILED = "dev.llamagic.kernel.MagicFailed: "
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line_error(cell, prefix_required=False):
    """The message of a failed cell, asserting that its error shows exactly one line (ANSI codes, blank lines and
    rulers aside), with no surrounding whitespace, no stack trace ("\\tat ") and no exception name ("Exception").
    A leading "dev.llamagic.kernel.MagicFailed: " is cut off; with prefix_required the line must start with it."""
    assert cell.status == "error", cell.text
    lines = [ANSI.sub("", l) for l in cell.error["traceback"]]
    lines = [l for l in lines if l.strip() and not set(l.strip()) <= {"-"}]
    assert len(lines) == 1, cell.error["traceback"]
    line = lines[0]
    assert line == line.strip(), repr(line)
    assert "\tat " not in line and "Exception" not in line, line
    if prefix_required:
        assert line.startswith(MAGIC_FAILED), line
    return line[len(MAGIC_FAILED):] if line.startswith(MAGIC_FAILED) else line


# ---- ports and processes ---------------------------------------------------------------------------------

def free_port():
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    """Whether something listens on 127.0.0.1:port: only a refused connection counts as closed."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != errno.ECONNREFUSED


def alive(pid):
    """Whether the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids, seconds):
    """Waits up to seconds for every pid to be gone; returns those still alive (empty: all gone)."""
    deadline = time.time() + seconds
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if alive(p)]


# ---- llama-server on loopback ----------------------------------------------------------------------------

SERVER_ARGS = ("-c", "512", "-np", "1", "-t", "2", "--no-warmup")


class Server:
    """llama-server -m MODEL on 127.0.0.1 at a free port with args (default SERVER_ARGS), healthy within timeout
    seconds or an AssertionError with its log; stopped (its whole process group) on exit. url, port, proc, log."""

    def __init__(self, bin_dir, model, log_dir, args=SERVER_ARGS, timeout=120):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = os.path.join(str(log_dir), "llama-server-%d.log" % self.port)
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(
                [os.path.join(bin_dir, "llama-server"), "-m", str(model), "--host", "127.0.0.1", "--port", str(self.port),
                 *args],
                stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("llama-server exited %s loading %s:\n%s" % (self.proc.returncode, model, self.tail()))
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("llama-server did not get healthy within %s s:\n%s" % (timeout, self.tail()))

    def tail(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()
