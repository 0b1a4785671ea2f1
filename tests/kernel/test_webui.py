"""llama-server's chat web UI opened the way a PAI-DSW user opens it: %serve (in a kernel that sees a DSW instance
and a Jupyter server under a base URL) prints JupyterLab's proxy path, and a real headless Chromium opens that path
on a real Jupyter server with jupyter-server-proxy, types a message and gets an answer streamed from the tiny
model. The UI is the binary's own, or the one tests/prepare/40-webui.sh builds from the llama.cpp source."""
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import LLAMA_SRC, TEST_HOME, Kernel, free_port

CHROMIUM = os.environ.get("LLAMAGIC_CHROMIUM", "/usr/bin/chromium")
BASE_URL = "/dsw-test/"


def _ui_dir():
    """The UI built from the test source (tests/prepare/40-webui.sh), or None."""
    src = os.path.realpath(LLAMA_SRC)
    d = os.path.join(TEST_HOME, "webui", os.path.basename(src))
    return d if os.path.isfile(os.path.join(d, "index.html")) else None


def _missing():
    if not os.path.exists(CHROMIUM):
        return "no Chromium at %s (apt-get install chromium; tests/prepare/30-chromium.sh does it as root)" % CHROMIUM
    for module, pip in (("playwright", "playwright"), ("jupyter_server_proxy", "jupyter-server-proxy"),
                        ("jupyter_server", "jupyter-server")):
        try:
            __import__(module)
        except ImportError:
            return "Python package %s is not installed (tests/requirements.txt has it)" % pip
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@contextlib.contextmanager
def jupyter_server(root, runtime_dir):
    """A Jupyter server (with jupyter-server-proxy, enabled by its install) under BASE_URL; yields (url, token, pid)."""
    port, token = free_port(), secrets.token_hex(16)
    log = open(os.path.join(root, "jupyter-server.log"), "w")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": runtime_dir}
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", "--port=%d" % port,
                             "--ServerApp.token=" + token, "--ServerApp.base_url=" + BASE_URL, "--ServerApp.root_dir=" + root,
                             "--allow-root"], stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env)
    url = "http://127.0.0.1:%d" % port
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url + BASE_URL + "api/status?token=" + token, timeout=2).read()
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the Jupyter server did not start: see " + log.name)
                time.sleep(0.5)
        yield url, token, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_the_web_ui_through_jupyterlabs_proxy_answers(llama_bin, tiny_model, tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    with jupyter_server(str(tmp_path), str(runtime)) as (jurl, token, jpid):
        # the kernel reads the Jupyter server's runtime file named by its JPY_PARENT_PID; this kernel's parent is the
        # test (jupyter_client sets JPY_PARENT_PID to it), so the server's file is offered under the test's pid too
        shutil.copyfile(str(runtime / ("jpserver-%d.json" % jpid)), str(runtime / ("jpserver-%d.json" % os.getpid())))
        k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(tmp_path / "home"),
                        "DSW_INSTANCE_ID": "dsw-test", "JUPYTER_RUNTIME_DIR": str(runtime)})
        try:
            ui = _ui_dir()
            raw = "-- --threads 1" + (" --path %s" % ui if ui else "")
            cell = k.execute('%%serve "%s" --name ui --ctx 512 %s' % (tiny_model["gguf"], raw), timeout=300)
            assert cell.status == "ok", (cell.error, cell.text)
            port = int(re.search(r"ready at http://127\.0\.0\.1:(\d+)", cell.stdout).group(1))
            if "web UI:" not in cell.text:
                pytest.skip("this llama-server has no web UI and none was built (tests/prepare/40-webui.sh needs npm "
                            "and the npm registry)")
            path = "%sproxy/%d/" % (BASE_URL, port)
            assert "web UI: %s (through JupyterLab's proxy)" % path in cell.text
            assert '<a href="%s" target="_blank">' % path in cell.html

            from playwright.sync_api import sync_playwright
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                try:
                    page = browser.new_page(viewport={"width": 1200, "height": 900})
                    failed = []
                    page.on("response", lambda r: failed.append("%d %s" % (r.status, r.url)) if r.status >= 400 else None)
                    # ready once it has asked the server for its models (through the proxy, like every call)
                    with page.expect_response(lambda r: "/v1/models" in r.url, timeout=120000):
                        page.goto(jurl + path + "?token=" + token, wait_until="load", timeout=120000)
                    box = page.locator("textarea").first
                    box.wait_for(state="visible", timeout=120000)
                    box.fill("Hello from the notebook")
                    with page.expect_response(lambda r: "/v1/chat/completions" in r.url, timeout=120000) as resp:
                        box.press("Enter")
                    assert resp.value.status == 200, failed
                    assert resp.value.url.startswith(jurl + path), resp.value.url  # through the proxy, under the sub-path
                    answer = page.locator(".chat-message-assistant").first
                    answer.wait_for(state="visible", timeout=120000)
                    deadline = time.time() + 120
                    while time.time() < deadline and not answer.inner_text().strip():
                        time.sleep(0.5)
                    page.screenshot(path=str(tmp_path / "webui.png"))
                    assert answer.inner_text().strip(), "no answer shown (failed requests: %s)" % failed
                    assert "Hello from the notebook" in page.content()
                finally:
                    browser.close()
        finally:
            k.execute("%serve --stop all", timeout=60)
            k.shutdown()
