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


def _kernel_from(kernels_dir, log):
    """A kernel started from the llamagic kernelspec in kernels_dir, its terminal output going to log."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name="llamagic", kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels_dir]))
    km.start_kernel(stdout=log, stderr=log)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=180)
    return km, kc


def _run_llamagic(kc):
    seen = []

    def hook(msg):
        c = msg["content"]
        seen.append(c.get("text", "") + c.get("data", {}).get("text/plain", "") + c.get("evalue", ""))
    reply = kc.execute_interactive("%llamagic", timeout=180, output_hook=hook)
    return reply["content"]["status"], "".join(seen)


def _maps_archive(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "llamagic.jsa" in f.read()


def test_install_makes_a_start_up_archive_that_the_kernel_maps_silently(tmp_path):
    prefix = str(tmp_path / "prefix")
    r = _run("--prefix", prefix, "--no-check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "start-up archive: " in r.stdout, r.stdout
    kernels = os.path.join(prefix, "share", "jupyter", "kernels")
    spec_dir = os.path.join(kernels, "llamagic")
    archive = os.path.join(spec_dir, "llamagic.jsa")
    assert os.path.getsize(archive) > 1_000_000
    assert not os.path.exists(archive + ".tmp")
    with open(os.path.join(spec_dir, "kernel.json")) as f:
        argv = json.load(f)["argv"]
    assert "-XX:SharedArchiveFile={resource_dir}/llamagic.jsa" in argv and "-Xlog:cds*=off" in argv
    assert argv.index("-Xlog:cds*=off") < argv.index("-jar"), "JVM options go before -jar"

    # a kernel started from the kernelspec maps the archive, and its first magic works and prints no note
    log_path = tmp_path / "kernel.log"
    with open(log_path, "w") as log:
        km, kc = _kernel_from(kernels, log)
        try:
            assert _maps_archive(km.provisioner.process.pid), "the kernel did not map llamagic.jsa"
            status, text = _run_llamagic(kc)
            assert status == "ok" and "%llamagic" in text, text
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    assert log_path.read_text() == "", "the kernel wrote to the terminal: %r" % log_path.read_text()[:500]

    # an archive the JVM cannot use (jjava.jar changed after it was made): the kernel starts without it, silently
    os.utime(os.path.join(spec_dir, "jjava.jar"), (1, 1))
    with open(log_path, "w") as log:
        km, kc = _kernel_from(kernels, log)
        try:
            assert not _maps_archive(km.provisioner.process.pid)
            status, text = _run_llamagic(kc)
            assert status == "ok" and "%llamagic" in text, text
            assert "archive" not in text and "cds" not in text, text
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    assert log_path.read_text() == "", "a mismatched archive printed: %r" % log_path.read_text()[:500]


def test_no_archive_leaves_the_jvm_options_as_they_were(tmp_path):
    prefix = str(tmp_path / "prefix")
    r = _run("--prefix", prefix, "--no-check", "--no-archive")
    assert r.returncode == 0, r.stdout + r.stderr
    spec_dir = os.path.join(prefix, "share", "jupyter", "kernels", "llamagic")
    assert not os.path.exists(os.path.join(spec_dir, "llamagic.jsa"))
    with open(os.path.join(spec_dir, "kernel.json")) as f:
        argv = json.load(f)["argv"]
    assert not [a for a in argv if "SharedArchive" in a or "Xshare" in a or "Xlog" in a], argv
