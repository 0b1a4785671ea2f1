"""Install, remove and self-check the `llamagic` kernelspec. Called by install.sh; needs jupyter_client."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NAME = "llamagic"
DISPLAY = "Java · llamagic (LLM)"


def _manager(prefix):
    from jupyter_client.kernelspec import KernelSpecManager
    if prefix:
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    return KernelSpecManager()


def jjava_dir():
    """The directory holding jjava.jar and jjava-launcher.jar, as pip installed them."""
    candidates = [os.path.join(sys.prefix, "share", "jupyter", "kernels", "java")]
    try:
        import site
        candidates.append(os.path.join(site.getuserbase(), "share", "jupyter", "kernels", "java"))
    except Exception:
        pass
    try:
        candidates.append(_manager(None).get_kernel_spec("java").resource_dir)
    except Exception:
        pass
    for c in candidates:
        if os.path.isfile(os.path.join(c, "jjava.jar")) and os.path.isfile(os.path.join(c, "jjava-launcher.jar")):
            return c
    sys.exit("install: jjava's jars were not found after 'pip install jjava' (looked in: %s)" % ", ".join(candidates))


# JJava names its loggers after threads ("Loop-Shell-0"), so the level is set for all of them
LOGGING = """# the llamagic kernel's java.util.logging settings: JJava's INFO lines ("Loop started.") stay out of the terminal,
# its warnings and errors do not
handlers = java.util.logging.ConsoleHandler
.level = WARNING
java.util.logging.ConsoleHandler.level = ALL
"""


def install(java, jar, mode, prefix):
    src = jjava_dir()
    tmp = tempfile.mkdtemp(prefix="llamagic-kernelspec-")
    try:
        shutil.copy2(os.path.join(src, "jjava.jar"), os.path.join(tmp, "jjava.jar"))
        shutil.copy2(jar, os.path.join(tmp, "llamagic.jar"))
        spec = {
            # jjava.jar runs directly on the JDK found at install time (JJava's launcher would start whatever
            # `java` is first on PATH, in a second JVM that a forced shutdown can orphan); the flag is the
            # one the launcher adds
            # JJava logs through java.util.logging at INFO ("Loop started." for each channel): logging.properties
            # keeps its warnings and errors only, so a terminal running a notebook shows nothing that looks wrong
            "argv": [java, "--add-opens", "jdk.jshell/jdk.jshell=ALL-UNNAMED",
                     "-Djava.util.logging.config.file={resource_dir}/logging.properties",
                     "-jar", "{resource_dir}/jjava.jar", "{connection_file}"],
            "display_name": DISPLAY,
            "language": "java",
            "interrupt_mode": "message",
            "env": {},
            "metadata": {"llamagic": True},
        }
        with open(os.path.join(tmp, "logging.properties"), "w") as f:
            f.write(LOGGING)
        with open(os.path.join(tmp, "kernel.json"), "w") as f:
            json.dump(spec, f, indent=2)
        ksm = _manager(prefix)
        kwargs = {"kernel_name": NAME}
        if mode == "user":
            kwargs["user"] = True
        elif mode == "sys-prefix":
            kwargs["prefix"] = sys.prefix
        else:
            kwargs["prefix"] = prefix
        dest = ksm.install_kernel_spec(tmp, **kwargs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # JJAVA_CLASSPATH must be absolute: only argv gets {resource_dir} substituted
    path = os.path.join(dest, "kernel.json")
    with open(path) as f:
        spec = json.load(f)
    spec["env"]["JJAVA_CLASSPATH"] = os.path.join(dest, "llamagic.jar")
    _write(path, spec)
    print(dest)


# The start-up archive (AppCDS, JDK 17's dynamic archive): the classes a kernel loads to start and run its first
# cells (JDK, JShell and javac, JJava, llamagic), parsed and verified once at install time and mapped by every
# kernel after. The JVM uses it only with the same JDK and the same jjava.jar (path, size, time); otherwise it starts
# without it. -Xlog:cds*=off keeps the JVM's notes about an archive it cannot use out of the terminal.
ARCHIVE = "llamagic.jsa"
ARCHIVE_FLAGS = ["-XX:SharedArchiveFile={resource_dir}/" + ARCHIVE, "-Xshare:auto", "-Xlog:cds*=off"]
# What the training kernel runs: magics (the table, help, a one-line error) and plain Java, as a first session does
TRAINING_CELLS = ["%llamagic", "%llamagic --help", "%llamagic --bogus", "int llamagicTraining = 1 + 1;",
                  "llamagicTraining"]


def archive(dest, timeout=600):
    """Makes DEST/llamagic.jsa by running a kernel from DEST's spec once, then adds it to DEST's kernel.json.
    Without an archive (an error, a JDK that cannot make one) the kernelspec stays as it was."""
    path = os.path.join(dest, "kernel.json")
    with open(path) as f:
        spec = json.load(f)
    spec["argv"] = [a for a in spec["argv"] if a not in ARCHIVE_FLAGS]
    final = os.path.join(dest, ARCHIVE)
    for stale in (final, final + ".tmp"):
        if os.path.exists(stale):
            os.remove(stale)
    _write(path, spec)  # a failure below leaves a kernelspec without the archive, never one naming a missing file
    java = spec["argv"][0]
    made = _train(dest, spec, final + ".tmp", timeout)
    # JDK 17 crashes on a truncated archive: only a complete one that the JVM accepts becomes llamagic.jsa
    check = subprocess.run([java, "-XX:SharedArchiveFile=" + made, "-Xshare:on", "-Xlog:cds*=off",
                            "-XX:ErrorFile=" + os.devnull, "-XX:-CreateCoredumpOnCrash", "-cp",
                            os.path.join(dest, "jjava.jar"), "-version"],
                           capture_output=True, text=True, timeout=120, cwd=dest)
    if check.returncode != 0:
        os.remove(made)
        raise RuntimeError("the JVM does not accept the archive it made: " + (check.stdout + check.stderr).strip()[:300])
    os.replace(made, final)
    spec["argv"][1:1] = ARCHIVE_FLAGS
    _write(path, spec)
    print("%s (%.0f MB)" % (final, os.path.getsize(final) / 1e6))


def _train(dest, spec, out, timeout):
    """Starts a kernel as the spec does plus -XX:ArchiveClassesAtExit, runs TRAINING_CELLS, stops it with SIGTERM
    (the JVM writes the archive as it exits; JJava's own shutdown takes a minute). Returns the archive's path."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    tmp = tempfile.mkdtemp(prefix="llamagic-archive-")
    try:
        train = dict(spec)
        # the same class path as the kernel's: absolute paths in place of {resource_dir}
        train["argv"] = [a.replace("{resource_dir}", dest) for a in spec["argv"]]
        train["argv"][1:1] = ["-XX:ArchiveClassesAtExit=" + out, "-Xlog:cds*=off"]
        train["env"] = {**spec.get("env", {}), "LLAMAGIC_HOME": os.path.join(tmp, "home")}
        os.makedirs(os.path.join(tmp, "kernels", NAME))
        _write(os.path.join(tmp, "kernels", NAME, "kernel.json"), train)
        km = KernelManager(kernel_name=NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[os.path.join(tmp, "kernels")]))
        with open(os.path.join(tmp, "kernel.log"), "w") as log:
            km.start_kernel(stdout=log, stderr=log)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            for cell in TRAINING_CELLS:
                kc.execute_interactive(cell, timeout=timeout, output_hook=lambda msg: None)
            process = km.provisioner.process
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            kc.stop_channels()
            if km.has_kernel:
                km.shutdown_kernel(now=True)
        if not os.path.isfile(out):
            with open(os.path.join(tmp, "kernel.log")) as f:
                raise RuntimeError("the training kernel wrote no archive: " + f.read()[-500:])
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write(path, spec):
    with open(path, "w") as f:
        json.dump(spec, f, indent=2, ensure_ascii=False)


def uninstall(prefix):
    ksm = _manager(prefix)
    try:
        print(ksm.remove_kernel_spec(NAME))
    except KeyError:
        pass


def check(prefix, timeout=180):
    """Starts the kernel by name, as JupyterLab does, and runs %llamagic."""
    _manager(prefix)
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name=NAME, startup_timeout=timeout)
    try:
        reply = kc.execute_interactive("%llamagic", timeout=timeout, output_hook=_collect)
        if reply["content"]["status"] != "ok":
            sys.exit("install: self-check failed: %llamagic answered " + json.dumps(reply["content"])[:500])
        text = "".join(_seen)
        if "%llamagic" not in text:
            sys.exit("install: self-check failed: %llamagic printed no magic list")
        print("self-check: the llamagic kernel started and %llamagic listed the magics")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


_seen = []


def _collect(msg):
    c = msg.get("content", {})
    if "text" in c:
        _seen.append(c["text"])
    data = c.get("data", {})
    if "text/plain" in data:
        _seen.append(data["text/plain"])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "install":
        install(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else "")
    elif cmd == "archive":
        try:
            archive(sys.argv[2])
        except Exception as e:  # the kernel works without the archive, it only starts slower
            sys.exit("no start-up archive: %s" % e)
    elif cmd == "uninstall":
        uninstall(sys.argv[2] if len(sys.argv) > 2 else "")
    elif cmd == "check":
        check(sys.argv[2] if len(sys.argv) > 2 else "")
    else:
        sys.exit("unknown: " + cmd)
