"""Install, remove and self-check the `llamagic` kernelspec. Called by install.sh; needs jupyter_client."""
import json
import os
import shutil
import sys
import tempfile

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
    with open(path, "w") as f:
        json.dump(spec, f, indent=2, ensure_ascii=False)
    print(dest)


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
    elif cmd == "uninstall":
        uninstall(sys.argv[2] if len(sys.argv) > 2 else "")
    elif cmd == "check":
        check(sys.argv[2] if len(sys.argv) > 2 else "")
    else:
        sys.exit("unknown: " + cmd)
