"""Shared test helpers: a real llamagic kernel started by kernelspec name, driven over ZMQ."""
import os
import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "kernel", "target", "llamagic.jar")

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
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    import tiny_qwen3
    out = tmp_path_factory.mktemp("tiny-qwen3")
    model_dir = out / "Qwen3-tiny"
    gguf_path = out / "tiny-qwen3-F32.gguf"
    tiny_qwen3.generate(str(model_dir), gguf_out=str(gguf_path), llama_src=LLAMA_SRC)
    return {"dir": str(model_dir), "gguf": str(gguf_path)}


# ---- %build-llama: one real CPU build of llama.cpp for the whole session (tests/kernel/test_build_llama.py) ----

LLAMA_BUILD_TIMEOUT = 40 * 60  # a cold CPU build takes ~4-8 min on 2 idle cores, far longer on a shared machine
LLAMA_BUILD_CELL = "%build-llama --source {bundle} --cpu"


def pytest_collection_modifyitems(config, items):
    """Whichever test first asks for llama_build runs the build in its setup: give those tests the build's time."""
    for item in items:
        if "llama_build" in getattr(item, "fixturenames", ()) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(LLAMA_BUILD_TIMEOUT + 600))


@pytest.fixture(scope="session")
def llama_build():
    """A CPU build of llama.cpp from the test bundle (conftest.LLAMA_BUNDLE) in TEST_HOME, made by running the magic
    itself in a real kernel (a cache hit after the first run). Later kernels find it through Llama.latest.
    Returns {"bin": dir of llama-server etc., "key": cache key, "cell": the build cell (Cell), "text": its text,
    "built": whether this run compiled (False: answered from the cache), "wall": seconds the cell took}.
    With LLAMAGIC_LLAMA_BIN set, nothing is built: {"bin": that dir, "cell": None, "built": False, ...}."""
    import json
    import re
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
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
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
def llama_bin(request):
    """The directory of the llama.cpp binaries: LLAMAGIC_LLAMA_BIN if set, else the suite's llama_build."""
    return os.environ.get("LLAMAGIC_LLAMA_BIN") or request.getfixturevalue("llama_build")["bin"]


@pytest.fixture(scope="module")
def llama_kernel(llama_bin):
    """A llamagic kernel that finds the llama.cpp build under test (one per test module)."""
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin})
    yield k
    k.shutdown()
