"""The CUDA tier: a real CUDA build of llama.cpp with a real nvcc on a machine without a GPU, through %build-llama in
the real kernel (a cross-build for sm_86, the A10), verified without a device. Opt-in: a cold CUDA compile takes
21-30 min on 2 idle cores (hours on a busy machine), more than CI's budget beside everything else.

  LLAMAGIC_TEST_CUDA=1 ./test.sh tests/kernel/test_build_cuda.py     Debian's CUDA 11.8 (apt, non-free)
  LLAMAGIC_TEST_CUDA=13 ./test.sh tests/kernel/test_build_cuda.py    pip's CUDA 13.0 wheels (CUDA_HOME at nvidia/cu13)

tests/prepare/40-cuda-toolkit.sh installs the toolkit first. The build is cached in the test home like the CPU one,
so a second run answers from the cache in seconds and checks the same table."""
import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import LLAMA_BUNDLE, TEST_HOME, Kernel, one_line_error

TIER = os.environ.get("LLAMAGIC_TEST_CUDA", "")
pytestmark = pytest.mark.skipif(TIER not in ("1", "13"), reason="the CUDA tier runs with LLAMAGIC_TEST_CUDA=1 (Debian's"
                                " CUDA 11.8) or =13 (pip's CUDA 13 wheels); a cold CUDA build takes 20 min or more")

CUDA_BUILD_TIMEOUT = 4 * 60 * 60
CELL = "%build-llama --source {bundle} --cuda --cuda-arch a10"


def toolkit_env():
    """The kernel's environment for this tier: pip's CUDA 13 tree as CUDA_HOME, or what PATH holds (Debian's nvcc)."""
    if TIER != "13":
        return {}
    found = glob.glob(os.path.join(TEST_HOME, "cuda13-wheels", "lib", "python3*", "site-packages", "nvidia", "cu13"))
    assert found, "tests/prepare/40-cuda-toolkit.sh installs the CUDA 13 wheels"
    return {"CUDA_HOME": found[0]}


def rows(text):
    """The verification table's rows as {what: value} from the cell's plain text."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^  (\S.*?)\s{2,}(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@pytest.fixture(scope="module")
def cuda_build():
    k = Kernel(env=toolkit_env())
    try:
        cell = k.execute(CELL.format(bundle=LLAMA_BUNDLE), timeout=CUDA_BUILD_TIMEOUT)
    finally:
        k.shutdown()
    if cell.status != "ok":
        pytest.fail("%%build-llama --cuda failed: %s" % "\n".join((cell.error or {}).get("traceback", [])), pytrace=False)
    key = re.search(r"llama\.cpp build (\S+)", cell.text).group(1)
    with open(os.path.join(TEST_HOME, "llama.cpp", "builds", key, "llamagic-build.json")) as f:
        marker = json.load(f)
    return {"cell": cell, "text": cell.text, "rows": rows(cell.text), "marker": marker, "key": key}


@pytest.mark.timeout(CUDA_BUILD_TIMEOUT + 600)
def test_the_verification_table_shows_the_cuda_backend_and_sm_86(cuda_build):
    r = cuda_build["rows"]
    assert "ggml-cuda" in r["backends"], cuda_build["text"]
    assert r["CUDA archs"] == "86"
    assert r["CUDA code"].startswith("sm_86 + PTX compute_86 in libggml-cuda.so"), r["CUDA code"]
    assert re.match(r"(11\.8|13\.0) \(", r["CUDA toolkit"]), r["CUDA toolkit"]
    if shutil.which("nvidia-smi") is None:
        assert r["devices seen"] == "none (no GPU here)"
        assert r["device check"].startswith("pending: cross-built, device check pending")
        assert ("cross-built llama.cpp" in cuda_build["text"] and "device check pending" in cuda_build["text"]) \
            or "answered from the cache" in cuda_build["text"]


@pytest.mark.timeout(CUDA_BUILD_TIMEOUT + 600)
def test_the_install_record_and_the_binaries_without_a_device(cuda_build):
    m = cuda_build["marker"]
    assert m["backend"] == "cuda" and m["cudaArchs"] == "86"
    assert "sm_86" in m["cudaCode"]
    bin_dir = m["binDir"]
    lib = os.path.join(bin_dir, "libggml-cuda.so")
    # cuobjdump (the toolkit's own reader) agrees: machine code for sm_86 and nothing else. Debian's 11.8 cuobjdump
    # misreads CUDA 13 fat binaries ("sm_188", "Support for 'sm_4' has been removed") and the CUDA 13 wheels have none.
    cuobjdump = shutil.which("cuobjdump")
    if cuobjdump and TIER == "1":
        out = subprocess.run([cuobjdump, "--list-elf", lib], capture_output=True, text=True, timeout=300)
        archs = set(re.findall(r"\.(sm_\d+)\.cubin", out.stdout))
        assert archs == {"sm_86"}, out.stdout[-2000:]
    if shutil.which("nvidia-smi") is None:
        assert m["devicePending"] is True
        devices = subprocess.run([os.path.join(bin_dir, "llama-server"), "--list-devices"], capture_output=True,
                                 text=True, timeout=120)
        assert devices.returncode == 0, devices.stderr[-2000:]
        assert "CUDA0" not in devices.stdout


def test_a_missing_host_compiler_fails_in_one_line_before_compiling():
    k = Kernel(env=toolkit_env())
    try:
        cell = k.execute("%build-llama --source " + LLAMA_BUNDLE + " --cuda --cuda-arch 86"
                         " -DCMAKE_CUDA_HOST_COMPILER=/nowhere/g++-11", timeout=120)
        assert "%build-llama: the CUDA host compiler /nowhere/g++-11 (CMAKE_CUDA_HOST_COMPILER) does not exist" \
            in one_line_error(cell)
        typo = k.execute("%build-llama --source " + LLAMA_BUNDLE + " --cuda --cuda-arch 86 -DGGMML_CUDA=ON", timeout=120)
        assert one_line_error(typo).endswith("-DGGMML_CUDA is not a llama.cpp option (did you mean GGML_CUDA?);"
                                             " for a CUDA build use --cuda")
    finally:
        k.shutdown()
