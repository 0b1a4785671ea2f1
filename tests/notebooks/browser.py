"""JupyterLab (from PyPI) on loopback, opened in Debian's headless Chromium through Playwright."""
import contextlib
import os
import secrets
import subprocess
import sys
import time
import urllib.request

from conftest import free_port

CHROMIUM = os.environ.get("LLAMAGIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextlib.contextmanager
def jupyterlab(root_dir, env=None):
    """Starts JupyterLab serving root_dir on 127.0.0.1 (env: extra variables); yields its base URL and token."""
    port, token = free_port(), secrets.token_hex(16)
    log = open(os.path.join(root_dir, "jupyterlab.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", "--port=%d" % port,
                             "--ServerApp.token=" + token, "--ServerApp.root_dir=" + root_dir,
                             "--ServerApp.open_browser=False", "--allow-root", "--LabApp.news_url=", "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=root_dir, env={**os.environ, **(env or {})})
    base = "http://127.0.0.1:%d" % port
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/api/status?token=" + token, timeout=2).read()
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("JupyterLab did not start: see " + log.name)
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()
