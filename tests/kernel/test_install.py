"""install.sh: a kernelspec named llamagic that runs the JJava jars with our jar on JJAVA_CLASSPATH; idempotent;
--prefix puts it where asked; --uninstall removes it."""
import json
import os
import subprocess
import sys

from conftest import ROOT


def _run(*args, env=None):
    e = {**os.environ, "PYTHON": sys.executable, **(env or {})}
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e["PATH"]
    return subprocess.run([os.path.join(ROOT, "install.sh"), *args], capture_output=True, text=True, env=e, timeout=600)


def _specs(prefix):
    env = {**os.environ, "JUPYTER_PATH": os.path.join(prefix, "share", "jupyter")}
    out = subprocess.run([sys.executable, "-m", "jupyter_client.kernelspecapp", "list", "--json"], capture_output=True,
                         text=True, env=env, timeout=60)
    if out.returncode != 0:  # older jupyter_client: use the API
        from jupyter_client.kernelspec import KernelSpecManager
        os.environ["JUPYTER_PATH"] = env["JUPYTER_PATH"]
        return {k: {"resource_dir": v} for k, v in KernelSpecManager().find_kernel_specs().items()}
    return json.loads(out.stdout)["kernelspecs"]


def test_install_is_idempotent_and_uninstall_removes_it(tmp_path):
    prefix = str(tmp_path / "prefix")
    for _ in range(2):
        r = _run("--prefix", prefix, "--no-check")
        assert r.returncode == 0, r.stdout + r.stderr
    spec_dir = os.path.join(prefix, "share", "jupyter", "kernels", "llamagic")
    with open(os.path.join(spec_dir, "kernel.json")) as f:
        spec = json.load(f)
    assert spec["display_name"] == "Java · llamagic (LLM)"
    assert spec["env"]["JJAVA_CLASSPATH"] == os.path.join(spec_dir, "llamagic.jar")
    assert os.path.isfile(os.path.join(spec_dir, "jjava.jar")) and os.path.isfile(spec["env"]["JJAVA_CLASSPATH"])
    assert os.path.isabs(spec["argv"][0]) and spec["argv"][0].endswith("/java")
    assert "llamagic" in _specs(prefix)
    r = _run("--prefix", prefix, "--uninstall")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(spec_dir)


def test_install_rejects_an_unknown_option():
    r = _run("--bogus")
    assert r.returncode != 0
    assert r.stderr.strip() == "llamagic install: unknown option '--bogus' (see ./install.sh --help)"
