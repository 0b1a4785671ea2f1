"""The offline world the notebooks run in where ModelScope or GitHub cannot be reached (CI, this project's
machines): llama.cpp's source from the npm package node-llama-cpp (a git bundle), a tiny random Qwen3 with the
real Qwen vocabulary and chat template, served by the faithful local ModelScope hub in tests/fixtures/fake_hub.py,
the local stand-in for the PAI-DSW API (tests/fixtures/fake_dsw.py) for the `%dsw` cells, and the one for PAI-EAS
(tests/fixtures/fake_eas.py) for the `%eas` cells: its bucket oss://llamagic-offline/ is the notebook's MODEL_DIR, and a
deployed service runs llama-server from the notebook's own build behind a gateway that checks the service's token.

    with offline_world(model_dir) as params:  # {"MODEL_ID", "MODEL_DIR", "HUB_ENDPOINT", "LLAMA_SOURCE", "BACKEND", ...}
        run the notebook with those parameters (the kernel inherits the environment that points %dsw at the stand-in)
"""
import contextlib
import os
import secrets
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_HOME = os.environ.get("LLAMAGIC_TEST_HOME") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "llamagic-test")
SRC = os.path.join(TEST_HOME, "src")
OFFLINE_MODEL = "llamagic-test/Qwen3-tiny"
OFFLINE_VISION_MODEL = "llamagic-test/Qwen2.5-VL-tiny"


def llama_source():
    """The llama.cpp git bundle (and a checkout of it for the tiny model's vocabulary), fetched once from npm."""
    subprocess.run(["bash", os.path.join(ROOT, "tests", "prepare", "10-llama-source.sh")], check=True,
                   stdout=sys.stderr)
    return os.path.realpath(os.path.join(SRC, "llama.cpp.bundle")), os.path.realpath(os.path.join(SRC, "llama.cpp"))


def tiny_hub_dir(llama_src):
    """<hub>/llamagic-test/Qwen3-tiny: a tiny random Qwen3 in Hugging Face layout (generated once, cached)."""
    hub = os.path.join(TEST_HOME, "hub")
    model = os.path.join(hub, *OFFLINE_MODEL.split("/"))
    if not os.path.isfile(os.path.join(model, "model.safetensors")):
        sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
        import tiny_qwen3
        tmp = model + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        tiny_qwen3.generate(tmp, shape="tiny", dtype="bf16", llama_src=llama_src)
        os.makedirs(os.path.dirname(model), exist_ok=True)
        shutil.rmtree(model, ignore_errors=True)
        os.rename(tmp, model)
    return hub


def tiny_vision_hub_dir(llama_src):
    """<hub>/llamagic-test/Qwen2.5-VL-tiny (a tiny random Qwen2.5-VL, tests/fixtures/tiny_qwen25vl.py) and a generated
    picture beside the hub: (hub, picture.png), generated once, cached."""
    hub = os.path.join(TEST_HOME, "hub")
    model = os.path.join(hub, *OFFLINE_VISION_MODEL.split("/"))
    picture = os.path.join(TEST_HOME, "offline-picture.png")
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    import tiny_qwen25vl
    if not os.path.isfile(os.path.join(model, "model.safetensors")):
        tmp = model + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        tiny_qwen25vl.generate(tmp, shape="tiny", dtype="bf16", llama_src=llama_src)
        os.makedirs(os.path.dirname(model), exist_ok=True)
        shutil.rmtree(model, ignore_errors=True)
        os.rename(tmp, model)
    if not os.path.isfile(picture):
        tiny_qwen25vl.png(picture)
    return hub, picture


@contextlib.contextmanager
def _environment(env):
    """os.environ with env set, restored as it was on the way out."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def local_dsw():
    """The PAI-DSW stand-in, and the environment that points %dsw at it (fake credentials, never real ones)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    from fake_dsw import FakeDsw
    key_id, secret = "LTAIofflineQuickstart", secrets.token_hex(16)
    fake = FakeDsw(key_id, secret, saving_polls=1).start()
    fake.add_instance("dsw-offline-quickstart", name="llamagic-offline")
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
           "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "DSW_INSTANCE_ID": "dsw-offline-quickstart",
           "REGION": "cn-hangzhou", "LLAMAGIC_DSW_ENDPOINT": fake.endpoint, "LLAMAGIC_DSW_PROTOCOL": "http"}
    try:
        with _environment(env):
            yield fake
    finally:
        fake.stop()


def _latest_llama_bin():
    """The bin directory of the newest llama.cpp build in LLAMAGIC_HOME (the notebook's own %build-llama)."""
    if os.environ.get("LLAMAGIC_LLAMA_BIN"):
        return os.environ["LLAMAGIC_LLAMA_BIN"]
    import glob
    import json
    home = os.environ.get("LLAMAGIC_HOME") or os.path.expanduser("~/.llamagic")
    markers = sorted(glob.glob(os.path.join(home, "llama.cpp", "builds", "*", "llamagic-build.json")), key=os.path.getmtime)
    if not markers:
        return None
    with open(markers[-1]) as f:
        return json.load(f).get("binDir")


@contextlib.contextmanager
def local_eas(access_key_id, secret, model_dir):
    """The PAI-EAS stand-in (same fake credentials as the DSW one) and the environment that points %eas at it."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
    from fake_eas import FakeEas
    fake = FakeEas(access_key_id, secret, llama_bin=_latest_llama_bin,
                   buckets={"oss://llamagic-offline/": os.path.abspath(model_dir)}).start()
    env = {"LLAMAGIC_EAS_ENDPOINT": fake.endpoint, "LLAMAGIC_EAS_PROTOCOL": "http"}
    try:
        with _environment(env):
            yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def offline_world(model_dir, vision=False):
    """vision: the hub also serves the tiny Qwen2.5-VL, MODEL_ID names it and IMAGE is a generated picture."""
    bundle, checkout = llama_source()
    hub = tiny_hub_dir(checkout)
    extra = {}
    if vision:
        hub, picture = tiny_vision_hub_dir(checkout)
        extra = {"MODEL_ID": OFFLINE_VISION_MODEL, "IMAGE": picture}
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fixtures", "fake_hub.py"),
                             "--models-dir", hub, "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the local ModelScope hub did not start (it printed %r)" % url)
        with local_dsw() as dsw, local_eas(dsw.access_key_id, dsw.secret, model_dir):
            yield {"MODEL_ID": OFFLINE_MODEL, "MODEL_DIR": model_dir, "HUB_ENDPOINT": url, "LLAMA_SOURCE": bundle,
                   "BACKEND": "cpu", "MAX_TOKENS": "128", "OFFLINE": "true", **extra}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
