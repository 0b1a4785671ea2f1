"""%serve fitted to the GPUs, in the real kernel: hub GGUF references (owner/Repo-GGUF:QUANT) against the fake
hub (only the chosen quantization's files are downloaded, split parts included, then served by the real
llama-server), the menu of quantizations, and %serve --plan on fake nvidia-smi output for 1, 2 and 4 × A10 and a T4
(tensor split, layers on the GPU, fitted context), nothing started."""
import os
import re
import shutil
import stat
import urllib.request

import numpy as np
import pytest

import fake_hub
import tiny_qwen3
from conftest import LLAMA_SRC, Kernel, one_line_error

OWNER = "acme"
REPO = "Tiny-GGUF"          # Q4_K_M, F16 (copies of the tiny model) and Q8_0 split in parts
MENU_REPO = "Menu-GGUF"     # two quantizations, never downloaded
VISION_REPO = "Vision-GGUF"  # two quantizations and a projector (random bytes: downloaded, not served)


def _split_gguf(out_dir, path, max_tensors):
    """The tiny Qwen3 written by llama.cpp's gguf-py with --split-max-tensors: path-0000k-of-0000n.gguf."""
    gguf = tiny_qwen3.gguf_module(LLAMA_SRC)
    original = gguf.GGUFWriter

    def splitting(p, arch, **kw):
        return original(p, arch, split_max_tensors=max_tensors, **kw)

    gguf.GGUFWriter = splitting
    try:
        tiny_qwen3.generate(str(out_dir), gguf_out=str(path), llama_src=LLAMA_SRC)
    finally:
        gguf.GGUFWriter = original


@pytest.fixture(scope="module")
def hub_models(tiny_model, tmp_path_factory):
    models = tmp_path_factory.mktemp("gguf-hub")
    repo = models / OWNER / REPO
    repo.mkdir(parents=True)
    shutil.copy(tiny_model["gguf"], repo / "Tiny-Q4_K_M.gguf")
    shutil.copy(tiny_model["gguf"], repo / "Tiny-F16.gguf")
    _split_gguf(tmp_path_factory.mktemp("split-src"), repo / "Tiny-Q8_0.gguf", 8)
    parts = sorted(p.name for p in repo.glob("Tiny-Q8_0-*.gguf"))
    assert len(parts) >= 2 and parts[0].endswith("-00001-of-%05d.gguf" % len(parts)), parts
    (repo / "README.md").write_text("tiny\n")
    menu = models / OWNER / MENU_REPO
    menu.mkdir(parents=True)
    shutil.copy(tiny_model["gguf"], menu / "menu-q8_0.gguf")
    with open(menu / "menu-q8_0.gguf", "ab") as f:  # the larger one (never loaded)
        f.write(b"\0" * 4096)
    shutil.copy(tiny_model["gguf"], menu / "menu-Q4_K_M.gguf")
    fake_hub.generate_model(str(models / OWNER / VISION_REPO),
                            {"Vis-Q4_K_M.gguf": 3000, "Vis-Q8_0.gguf": 5000, "mmproj-F16.gguf": 700, "README.md": 10})
    return {"dir": models, "q8_parts": parts}


@pytest.fixture(scope="module")
def hub(hub_models):
    h = fake_hub.FakeHub(str(hub_models["dir"])).start()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def fake_smi(tmp_path_factory):
    """A fake nvidia-smi on PATH printing what gpus.csv holds (the --query-gpu line format), no processes."""
    d = tmp_path_factory.mktemp("fake-smi")
    script = d / "nvidia-smi"
    script.write_text("#!/bin/sh\ncase \"$*\" in\n  *--query-gpu*) cat \"%s\" ;;\n  *) ;;\nesac\n" % (d / "gpus.csv"))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (d / "gpus.csv").write_text("")
    return d


@pytest.fixture(scope="module")
def fkernel(llama_bin, hub, fake_smi, tmp_path_factory):
    home = tmp_path_factory.mktemp("fit-home")
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(home), "MODELSCOPE_ENDPOINT": hub.url,
                    "PATH": str(fake_smi) + os.pathsep + os.environ.get("PATH", "")})
    k.home = home
    yield k
    k.execute("%serve --stop all", timeout=60)
    k.shutdown()


def _gpus(fake_smi, lines):
    (fake_smi / "gpus.csv").write_text("".join(l + "\n" for l in lines))


def _body_files(hub):
    return {r["file"] for r in hub.body_requests()}


# ---- hub GGUF references -------------------------------------------------------------------------------

def test_serve_a_quantization_downloads_only_its_files_and_serves_the_first_part(fkernel, hub, hub_models, fake_smi):
    _gpus(fake_smi, [])
    hub.clear_log()
    cell = fkernel.execute("%%serve %s/%s:q8_0 --ctx 512 --name q8" % (OWNER, REPO), timeout=300)
    assert cell.status == "ok", (cell.error, cell.text[-3000:])
    local = fkernel.home / "models" / REPO
    have = sorted(p.name for p in local.glob("*.gguf"))
    assert have == hub_models["q8_parts"], have
    assert not (local / "Tiny-Q4_K_M.gguf").exists() and not (local / "Tiny-F16.gguf").exists()
    assert not (local / "README.md").exists()
    assert _body_files(hub) <= set(hub_models["q8_parts"]), _body_files(hub)
    first = hub_models["q8_parts"][0]
    assert "using %s (Q8_0)" % first in cell.text
    assert re.search(r"-m \S*%s" % re.escape(first), cell.text), cell.text
    m = re.search(r"ready at (http://\S+) ", cell.text)
    with urllib.request.urlopen(m.group(1) + "/health", timeout=10) as r:
        assert r.status == 200
    assert fkernel.execute("%serve --stop q8", timeout=60).status == "ok"

    # again: served from the download, the hub not asked for a byte
    hub.clear_log()
    cell = fkernel.execute("%%serve %s/%s:Q8_0 --ctx 512 --name q8b" % (OWNER, REPO), timeout=300)
    assert cell.status == "ok", cell.error
    assert "downloaded before" in cell.text
    assert not hub.body_requests()
    assert fkernel.execute("%serve --stop q8b", timeout=60).status == "ok"


def test_no_quantization_lists_them_with_sizes_and_stops(fkernel, hub):
    hub.clear_log()
    cell = fkernel.execute("%%serve %s/%s" % (OWNER, MENU_REPO), timeout=120)
    line = one_line_error(cell)
    assert line.endswith("%s/%s holds 2 quantizations: pick one, e.g. %%serve %s/%s:Q8_0" % (OWNER, MENU_REPO, OWNER, MENU_REPO)), line
    assert "Q4_K_M" in cell.html and "Q8_0" in cell.html and "largest that fits" in cell.html
    assert "no GPU: available RAM" in cell.text
    assert not hub.body_requests()


def test_a_quantization_that_matches_nothing_is_one_line(fkernel):
    line = one_line_error(fkernel.execute("%%serve %s/%s:Q4_K" % (OWNER, MENU_REPO), timeout=120))
    assert line.endswith("%s/%s has no quantization 'Q4_K' (did you mean Q4_K_M?); it has Q8_0, Q4_K_M" % (OWNER, MENU_REPO)) \
        or line.endswith("%s/%s has no quantization 'Q4_K' (did you mean Q4_K_M?); it has Q4_K_M, Q8_0" % (OWNER, MENU_REPO)), line


def test_ms_download_of_a_quantization_takes_its_projector(fkernel, hub, tmp_path):
    out = tmp_path / "vision"
    cell = fkernel.execute("%%ms-download %s/%s:Q8_0 --local_dir %s" % (OWNER, VISION_REPO, out), timeout=120)
    assert cell.status == "ok", cell.error
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["Vis-Q8_0.gguf", "mmproj-F16.gguf"]
    cell = fkernel.execute("%%ms-download %s/%s --local_dir %s" % (OWNER, VISION_REPO, tmp_path / "all"), timeout=120)
    line = one_line_error(cell)
    assert line.endswith("holds 2 quantizations: pick one, e.g. %%ms-download %s/%s:Q8_0" % (OWNER, VISION_REPO)), line
    assert not (tmp_path / "all" / "Vis-Q4_K_M.gguf").exists()


# ---- %serve --plan on fake nvidia-smi ---------------------------------------------------------------------

MIB = 1 << 20


@pytest.fixture(scope="module")
def big_gguf(tmp_path_factory):
    """A Qwen3-32B-like GGUF header (64 layers of 300 MiB F16, output 600 MiB, GQA 8 × 128, context 40960, vocabulary
    151936) over a sparse file: the shape MemoryPlanTest works out by hand."""
    gguf = tiny_qwen3.gguf_module(LLAMA_SRC)
    path = tmp_path_factory.mktemp("big") / "Big-32B-F16.gguf"
    w = gguf.GGUFWriter(str(path), "qwen3")
    w.add_block_count(64)
    w.add_context_length(40960)
    w.add_embedding_length(5120)
    w.add_head_count(64)
    w.add_head_count_kv(8)
    w.add_key_length(128)
    w.add_value_length(128)
    w.add_vocab_size(151936)
    F16 = gguf.GGMLQuantizationType.F16
    w.add_tensor_info("token_embd.weight", [151936, 2560], np.dtype(np.float16), 151936 * 2560 * 2, raw_dtype=F16)
    for i in range(64):
        w.add_tensor_info("blk.%d.ffn_up.weight" % i, [30720, 5120], np.dtype(np.float16), 300 * MIB, raw_dtype=F16)
    w.add_tensor_info("output.weight", [61440, 5120], np.dtype(np.float16), 600 * MIB, raw_dtype=F16)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    total = os.path.getsize(path) + 64 + 151936 * 2560 * 2 + 64 * (300 * MIB) + 600 * MIB + (1 << 20)
    with open(path, "r+b") as f:
        f.truncate(total)
    return str(path)


A10 = "%d, NVIDIA A10, 0, 23028, 0, 30, 15.0"
T4 = "0, Tesla T4, 0, 15360, 0, 30, 10.0"


def _plan(fkernel, model, extra=""):
    cell = fkernel.execute("%%serve %s --plan %s" % (model, extra), timeout=120)
    assert cell.status == "ok", (cell.error, cell.text)
    return cell


def _rows(cell):
    """The budget table's rows (device, layers) from the text."""
    return re.findall(r"(GPU \d+ [^|\n]*?|CPU \(RAM\))\s*\|\s*(\d+)\s*\|", cell.text)


def test_plan_on_one_a10_fits_the_context(fkernel, fake_smi, big_gguf):
    _gpus(fake_smi, [A10 % 0])
    cell = _plan(fkernel, big_gguf)
    assert "context 6912 (fitted), 65/65 layers on GPU" in cell.text, cell.text
    assert "command: " in cell.text and "llama-server -m %s" % big_gguf in cell.text
    assert "-fit" not in cell.text.split("command: ")[1].split("\n")[0]
    assert [r[1] for r in _rows(cell)] == ["64", "0"], _rows(cell)
    servers = fkernel.execute("%serve --list")
    assert "no servers started" in servers.text


def test_plan_on_two_and_four_a10s_splits_them(fkernel, fake_smi, big_gguf):
    _gpus(fake_smi, [A10 % 0, A10 % 1])
    cell = _plan(fkernel, big_gguf)
    assert "context 40960 (fitted), 65/65 layers on GPU, tensor split 1,1" in cell.text, cell.text
    assert [r[1] for r in _rows(cell)][:2] == ["33", "31"]
    _gpus(fake_smi, [A10 % i for i in range(4)])
    cell = _plan(fkernel, big_gguf)
    assert "context 40960 (fitted), 65/65 layers on GPU, tensor split 1,1,1,1" in cell.text, cell.text
    assert [r[1] for r in _rows(cell)][:4] == ["17", "16", "16", "15"]
    # one A10 half used: the split follows free memory; --gpus picks GPUs, --tensor-split overrides
    _gpus(fake_smi, [A10 % 0, "1, NVIDIA A10, 11514, 23028, 0, 30, 15.0"])
    cell = _plan(fkernel, big_gguf)
    assert "tensor split 2,1" in cell.text, cell.text
    cell = _plan(fkernel, big_gguf, "--tensor-split 3,1 --gpus 0,1 --cache-type q8_0 --split-mode row --fit")
    assert "tensor split 3,1" in cell.text
    command = cell.text.split("command: ")[1].split("\n")[0]
    assert command.startswith("CUDA_VISIBLE_DEVICES=0,1 ")
    for flags in ("-ts 3,1", "-ctk q8_0", "-ctv q8_0", "-sm row", "-fit on", "-fa on"):
        assert flags in command, (flags, command)
    assert "fits context and layers itself at load time" in cell.text


def test_plan_on_a_t4_takes_layers_off_the_gpu(fkernel, fake_smi, big_gguf):
    _gpus(fake_smi, [T4])
    cell = _plan(fkernel, big_gguf)
    assert "context 5632 (fitted), 44/65 layers on GPU" in cell.text, cell.text
    assert [r[1] for r in _rows(cell)] == ["44", "20"]


def test_bad_gpu_options_are_one_line(fkernel, fake_smi, big_gguf):
    _gpus(fake_smi, [A10 % 0])
    cases = {
        "--tensor-split a,b": "--tensor-split takes proportions per GPU separated by commas, e.g. 3,1 (not 'a,b')",
        "--gpus x": "--gpus takes GPU numbers separated by commas, e.g. 0,1 (not 'x')",
        "--split-mode rows": "--split-mode takes none, layer, row, tensor (not 'rows')",
        "--cache-type q3_k": "--cache-type takes f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 (not 'q3_k')",
        "--cache-type q8_0 --fa off": "--cache-type q8_0 quantizes the V cache, which needs flash attention: drop --fa off "
                                      "(or keep V at f16: --cache-type q8_0,f16)",
        "--parallel 0": "--parallel must be 1 or more (not 0)",
        "--draft-max 0": "--draft-max must be 1 or more (not 0)",
        "--gpus 3": "there is no GPU 3 (nvidia-smi lists 0)",
    }
    for extra, want in cases.items():
        line = one_line_error(fkernel.execute("%%serve %s --plan %s" % (big_gguf, extra), timeout=60))
        assert line.endswith(want), (extra, line)
