"""%to-gguf, %quantize and %gguf-info through the real kernel, checked against the real llama.cpp (it loads and
serves every result), llama.cpp's own tokenizer cases, an independent numpy forward pass of the same weights, and
llama.cpp's gguf-py (its writer's conversion kernels and its metadata heuristics)."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import LLAMA_SRC, Server, one_line_error

sys.path.insert(0, os.path.join(LLAMA_SRC, "gguf-py"))
import gguf  # noqa: E402  llama.cpp's own gguf-py, from its source tree
import qwen3_numpy  # noqa: E402
import tiny_qwen3  # noqa: E402  (tests/fixtures, on sys.path through conftest)

OUTTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16", "q8_0": "Q8_0"}
FILE_TYPES = {"F32": 0, "F16": 1, "Q8_0": 7, "BF16": 32, "Q4_K_M": 15}


# ---- helpers ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gk(llama_kernel):
    return llama_kernel


@pytest.fixture(scope="module")
def untied_model(tmp_path_factory):
    """A second tiny Qwen3 with its own lm_head (untied), other seed: greedy output that depends on every layer."""
    out = tmp_path_factory.mktemp("untied") / "Qwen3-untied"
    tiny_qwen3.generate(str(out), untied=True, seed=1, llama_src=LLAMA_SRC)
    return str(out)


def convert(gk, model_dir, outtype, outfile=None, extra=""):
    cmd = "%%to-gguf %s --outtype %s" % (model_dir, outtype)
    if outfile:
        cmd += " --outfile %s" % outfile
    cell = gk.execute(cmd + extra, timeout=300)
    assert cell.status == "ok", cell.error
    return cell


def source_tensors(model_dir):
    """{hf name: float32 array} of the safetensors weights (bf16/f16 widen exactly)."""
    return {k: v.astype(np.float32) for k, v in qwen3_numpy.load(model_dir)[1].items()}


def leftovers(d):
    return [f for f in os.listdir(d) if f.endswith(".gguf") or "llamagic-tmp" in f]


# ---- conversion in every outtype: the real llama.cpp loads each ----------------------------------------

@pytest.mark.parametrize("outtype", ["f32", "f16", "bf16", "q8_0"])
def test_every_outtype_converts_and_llama_cpp_loads_it(gk, tiny_model, llama_bin, tmp_path, outtype):
    out = str(tmp_path / ("tiny-%s.gguf" % outtype))
    cell = convert(gk, tiny_model["dir"], outtype, out)
    assert "<table" in cell.html and out in cell.text and "peak memory" in cell.text
    assert 'data-state="done"' in "".join(m["content"]["data"]["text/html"] for m in cell.of("update_display_data"))
    assert sorted(os.listdir(tmp_path)) == ["tiny-%s.gguf" % outtype], "no temp file left"
    r = gguf.GGUFReader(out)
    assert r.fields["general.file_type"].contents() == FILE_TYPES[OUTTYPES[outtype]]
    types = {t.name: t.tensor_type.name for t in r.tensors}
    assert "output.weight" not in types, "tied embeddings: no output tensor, as llama.cpp"
    for name, t in types.items():
        if name.endswith("norm.weight"):
            assert t == "F32", name
        else:
            assert t == OUTTYPES[outtype], name
    with Server(llama_bin, out, tmp_path) as s:
        toks = s.post("/tokenize", {"content": "Hello world", "add_special": False})["tokens"]
        assert toks == [9707, 1879]
        done = s.post("/completion", {"prompt": [9707, 11, 1879], "n_predict": 4, "temperature": 0,
                                      "return_tokens": True, "cache_prompt": False})
        assert len(done["tokens"]) == 4


def test_auto_outtype_and_default_name_like_llama_cpp(gk, tiny_model, tmp_path):
    model = tmp_path / "Qwen3-tiny"
    shutil.copytree(tiny_model["dir"], model)
    cell = convert(gk, str(model), "auto")
    # bf16 weights → BF16; named as convert_hf_to_gguf.py names it: <Name>-<size>-<TYPE>.gguf inside the model dir
    expected = model / "Qwen3-Tiny-10M-BF16.gguf"
    assert expected.is_file(), os.listdir(model)
    assert str(expected) in cell.text
    r = gguf.GGUFReader(str(expected))
    assert r.fields["general.file_type"].contents() == 32
    assert r.fields["general.name"].contents() == "Qwen3 Tiny"
    assert r.fields["general.size_label"].contents() == "10M"


# ---- the bytes: llama.cpp's gguf-py conversion kernels give the same tensors --------------------------

@pytest.mark.parametrize("outtype", ["f32", "f16", "bf16", "q8_0"])
def test_tensor_bytes_equal_gguf_py_kernels(gk, tiny_model, tmp_path, outtype):
    out = str(tmp_path / "t.gguf")
    convert(gk, tiny_model["dir"], outtype, out)
    src = source_tensors(tiny_model["dir"])
    r = gguf.GGUFReader(out)
    assert len(r.tensors) == len(src)
    for t in r.tensors:
        hf = [k for k in src if tiny_qwen3.gguf_name(k) == t.name][0]
        a = src[hf]
        qtype = gguf.GGMLQuantizationType.F32 if (a.ndim <= 1 or t.name.endswith("_norm.weight")) \
            else gguf.GGMLQuantizationType[OUTTYPES[outtype]]
        expected = gguf.quants.quantize(a, qtype)
        assert t.tensor_type == qtype, t.name
        assert list(t.shape) == list(reversed(a.shape)), t.name
        assert np.asarray(t.data).tobytes() == expected.tobytes(), t.name


def test_sharded_untied_f16_source(gk, tmp_path):
    """Three shards + index, f16 weights, its own lm_head: same tensors as the single-file model, plus output."""
    one, three = tmp_path / "one", tmp_path / "three"
    tiny_qwen3.generate(str(one), dtype="f16", untied=True, seed=3, llama_src=LLAMA_SRC)
    tiny_qwen3.generate(str(three), dtype="f16", untied=True, seed=3, shards=3, llama_src=LLAMA_SRC)
    assert os.path.isfile(three / "model.safetensors.index.json")
    convert(gk, str(one), "auto", str(tmp_path / "one.gguf"))
    cell = convert(gk, str(three), "auto", str(tmp_path / "three.gguf"))
    a, b = gguf.GGUFReader(str(tmp_path / "one.gguf")), gguf.GGUFReader(str(tmp_path / "three.gguf"))
    assert a.fields["general.file_type"].contents() == 1, "auto on f16 weights → F16"
    ta = {t.name: np.asarray(t.data).tobytes() for t in a.tensors}
    tb = {t.name: np.asarray(t.data).tobytes() for t in b.tensors}
    assert ta == tb
    assert "output.weight" in tb
    assert re.search(r"tensors\s*\|\s*25\s*\|", cell.text), "24 tensors + output"


# ---- tokenizer: llama.cpp's own cases through the served model ------------------------------------------

def vocab_cases(vocab="qwen2"):
    """llama.cpp's tokenizer test cases for models/ggml-vocab-<vocab>.gguf: [(text, expected ids)]."""
    base = os.path.join(LLAMA_SRC, "models", "ggml-vocab-%s.gguf" % vocab)
    with open(base + ".inp", "rb") as f:
        raw = f.read().decode("utf-8")
    sep = "\n__ggml_vocab_test__\n"
    inputs, pos = [], 0
    while pos < len(raw):
        nxt = raw.find(sep, pos)
        if nxt < 0:
            inputs.append(raw[pos:])
            break
        inputs.append(raw[pos:nxt])
        pos = nxt + len(sep)
    with open(base + ".out", encoding="utf-8") as f:
        outputs = [[int(t) for t in line.split()] for line in f.read().split("\n")[:len(inputs)]]
    assert len(inputs) == len(outputs) and len(inputs) > 40
    return list(zip(inputs, outputs))


def test_tokenizer_matches_llama_cpp_cases(gk, tiny_model, llama_bin, tmp_path):
    out = str(tmp_path / "tok.gguf")
    convert(gk, tiny_model["dir"], "f16", out)
    cases = vocab_cases()
    with Server(llama_bin, out, tmp_path) as s:
        wrong = []
        for text, ids in cases:
            got = s.post("/tokenize", {"content": text, "add_special": False, "parse_special": False})["tokens"]
            if got != ids:
                wrong.append((text, ids, got))
        # special tokens of the Qwen3 vocabulary are recognised as such
        special = s.post("/tokenize", {"content": "<|im_start|>user\n<think>", "add_special": False})["tokens"]
    assert not wrong, wrong[:3]
    assert special[0] == 151644 and special[-1] == 151667
    r = gguf.GGUFReader(out)
    types = r.fields["tokenizer.ggml.token_type"].contents()
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    assert len(tokens) == 151936 and tokens[151700] == "[PAD151700]" and types[151700] == 5
    assert types[151644] == 3 and types[151659] == 3, "special, and <|...|> looking special → control"
    assert types[151667] == 4, "<think> is not special → user-defined"


# ---- greedy decoding equals an independent numpy forward pass ----------------------------------------

@pytest.mark.parametrize("which", ["tied", "untied"])
def test_greedy_tokens_equal_numpy_reference(gk, tiny_model, untied_model, llama_bin, tmp_path, which):
    model_dir = tiny_model["dir"] if which == "tied" else untied_model
    out = str(tmp_path / "ref-F32.gguf")
    convert(gk, model_dir, "f32", out)
    prompt = [9707, 11, 1879, 0, 576, 374, 264, 1273]   # "Hello, world! This is a test"
    expected, margins = qwen3_numpy.greedy(model_dir, prompt, 16)
    assert min(margins) > 1e-3, "the reference's choices are not ties"
    with Server(llama_bin, out, tmp_path) as s:
        done = s.post("/completion", {"prompt": prompt, "n_predict": 16, "temperature": 0, "top_k": 1,
                                      "return_tokens": True, "cache_prompt": False, "n_probs": 1})
    assert done["tokens"] == expected
    if which == "untied":
        assert len(set(expected)) > 4, "a discriminating sequence, not one token repeated"


# ---- %quantize ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("qtype", ["Q4_K_M", "Q8_0"])
def test_quantize_f16_result_and_load_it(gk, tiny_model, llama_bin, tmp_path, qtype):
    f16 = str(tmp_path / "Qwen3-Tiny-F16.gguf")
    convert(gk, tiny_model["dir"], "f16", f16)
    cell = gk.execute("%%quantize %s %s" % (f16, qtype), timeout=300)
    assert cell.status == "ok", cell.error
    out = tmp_path / ("Qwen3-Tiny-%s.gguf" % qtype)
    assert out.is_file(), os.listdir(tmp_path)
    assert not [f for f in os.listdir(tmp_path) if "llamagic-tmp" in f]
    assert "before" in cell.text and "after" in cell.text and qtype in cell.text
    updates = cell.of("update_display_data")
    assert updates and 'data-state="done"' in updates[-1]["content"]["data"]["text/html"]
    assert "24 / 24" in updates[-1]["content"]["data"]["text/plain"]
    r = gguf.GGUFReader(str(out))
    assert r.fields["general.file_type"].contents() == FILE_TYPES[qtype]
    assert os.path.getsize(out) < os.path.getsize(f16)
    with Server(llama_bin, str(out), tmp_path) as s:
        assert s.post("/tokenize", {"content": "Hello world"})["tokens"] == [9707, 1879]
        assert len(s.post("/completion", {"prompt": [9707], "n_predict": 2, "return_tokens": True})["tokens"]) == 2


def test_quantize_bad_type_and_missing_file_one_line(gk, tmp_path):
    assert "unknown type Q4KM" in one_line_error(gk.execute("%%quantize %s Q4KM" % (tmp_path / "x.gguf")))
    msg = one_line_error(gk.execute("%%quantize %s Q4_K_M" % (tmp_path / "missing.gguf")))
    assert msg.count("%quantize") == 1 and "does not exist" in msg


# ---- %gguf-info -----------------------------------------------------------------------------------------

def test_gguf_info_tables_show_what_was_written(gk, tiny_model, tmp_path):
    out = str(tmp_path / "info.gguf")
    convert(gk, tiny_model["dir"], "q8_0", out)
    cell = gk.execute("%gguf-info " + out)
    assert cell.status == "ok", cell.error
    assert cell.html.count("<table") == 3
    r = gguf.GGUFReader(out)
    n_params = sum(int(np.prod(t.shape)) for t in r.tensors)
    assert "{:,}".format(n_params) in cell.text
    assert "qwen3" in cell.text and "Q8_0" in cell.text
    assert re.search(r"tokenizer\.ggml\.tokens.*151936 × string", cell.text)
    assert re.search(r"qwen3\.attention\.head_count_kv\s*\|\s*uint32\s*\|\s*2", cell.text)
    # every tensor with its type, shape (ggml order) and bytes
    for t in r.tensors:
        shape = "[" + ", ".join(str(int(d)) for d in t.shape) + "]"
        assert re.search(r"%s\s*\|\s*%s\s*\|\s*%s\s*\|\s*%d" % (re.escape(t.name), t.tensor_type.name, re.escape(shape),
                                                               t.n_bytes), cell.text), t.name


def test_gguf_info_on_a_non_gguf_is_one_line(gk, tiny_model):
    msg = one_line_error(gk.execute("%gguf-info " + os.path.join(tiny_model["dir"], "config.json")))
    assert "not a GGUF file" in msg


# ---- metadata: the same general.* and tokenizer keys gguf-py derives ------------------------------------

def test_metadata_matches_gguf_py_heuristics(gk, tiny_model, tmp_path):
    model = tmp_path / "Qwen3-4B-Instruct"
    shutil.copytree(tiny_model["dir"], model)
    convert(gk, str(model), "f16")
    files = [f for f in os.listdir(model) if f.endswith(".gguf")]
    r = gguf.GGUFReader(str(model / files[0]))
    params = sum(int(np.prod(t.shape)) for t in r.tensors)
    meta = gguf.Metadata.load(None, model, None, params)
    if meta.size_label is None:
        meta.size_label = gguf.size_label(params, 0, 0, 0)
    expected_name = gguf.naming_convention(meta.name, meta.basename, meta.finetune, meta.version, meta.size_label, "F16")
    assert files == [expected_name + ".gguf"]
    got = {k: f.contents() for k, f in r.fields.items()}
    for key, value in [("general.name", meta.name), ("general.basename", meta.basename),
                       ("general.finetune", meta.finetune), ("general.size_label", meta.size_label),
                       ("general.version", meta.version), ("general.sampling.top_k", meta.sampling_top_k)]:
        assert got.get(key) == value, key
    assert abs(got["general.sampling.top_p"] - meta.sampling_top_p) < 1e-6
    sv = gguf.SpecialVocab(model, load_merges=True)
    assert got["tokenizer.ggml.merges"] == sv.merges
    assert got["tokenizer.chat_template"] == sv.chat_template
    for typ, tid in sv.special_token_ids.items():
        key = {"bos": "bos_token_id", "eos": "eos_token_id", "pad": "padding_token_id"}[typ]
        assert got["tokenizer.ggml." + key] == tid
    for typ, flag in sv.add_special_token.items():
        assert got["tokenizer.ggml.add_%s_token" % typ] == flag


# ---- bad input: one line each, nothing half-written left ------------------------------------------------

def broken_model(tmp_path, tiny_model, what):
    d = tmp_path / "Broken"
    shutil.copytree(tiny_model["dir"], d)
    st = d / "model.safetensors"
    if what == "no config":
        os.remove(d / "config.json")
    elif what == "no weights":
        os.remove(st)
    elif what == "truncated header":
        with open(st, "r+b") as f:
            f.truncate(200)
    elif what == "truncated data":
        with open(st, "r+b") as f:
            f.truncate(os.path.getsize(st) - 1000)
    elif what == "corrupt header":
        with open(st, "r+b") as f:
            f.seek(8)
            f.write(b"{not json")
    elif what in ("I64", "F8_E4M3"):
        data = open(st, "rb").read()
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + n])
        header["model.norm.weight"]["dtype"] = what
        header.pop("__metadata__", None)
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (n - len(h)) if len(h) <= n else b""
        assert len(h) == n
        with open(st, "wb") as f:
            f.write(data[:8] + h + data[8 + n:])
    return d


@pytest.mark.parametrize("what,expected", [
    ("no config", "has no config.json"),
    ("no weights", "has no model weights"),
    ("truncated header", "is truncated"),
    ("truncated data", "is truncated"),
    ("corrupt header", "corrupt safetensors header"),
    ("I64", "has dtype I64"),
    ("F8_E4M3", "has dtype F8_E4M3"),
])
def test_bad_input_is_one_line_and_leaves_nothing(gk, tiny_model, tmp_path, what, expected):
    d = broken_model(tmp_path, tiny_model, what)
    out = tmp_path / "out"
    out.mkdir()
    msg = one_line_error(gk.execute("%%to-gguf %s --outfile %s" % (d, out / "x.gguf"), timeout=120))
    assert msg.count("%to-gguf") == 1 and expected in msg, msg
    assert leftovers(out) == [] and leftovers(d) == []


def test_not_enough_disk_is_one_line_and_leaves_nothing(gk, tiny_model, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # honest: the check compares the GGUF's exact size plus what must stay free with the disk's real free space
    msg = one_line_error(gk.execute("%%to-gguf %s --outfile %s --keep-free 1000000T" % (tiny_model["dir"], out / "x.gguf")))
    assert "not enough disk space" in msg and "free" in msg
    assert leftovers(out) == []


def test_unknown_architecture_says_so(gk, tiny_model, tmp_path):
    d = tmp_path / "Other"
    shutil.copytree(tiny_model["dir"], d)
    cfg = json.load(open(d / "config.json"))
    cfg["architectures"] = ["FancyNewForCausalLM"]
    json.dump(cfg, open(d / "config.json", "w"))
    msg = one_line_error(gk.execute("%%to-gguf %s --outfile %s" % (d, tmp_path / "x.gguf")))
    assert "FancyNewForCausalLM" in msg and "--engine python" in msg
    msg = one_line_error(gk.execute("%%to-gguf %s --engine python --outfile %s" % (d, tmp_path / "x.gguf"), timeout=120))
    assert "convert_hf_to_gguf.py" in msg or "Python packages" in msg or "exit" in msg
    assert leftovers(tmp_path) == []


# ---- the reference converter, where it can run ------------------------------------------------------------

def test_same_as_convert_hf_to_gguf(gk, tiny_model, tmp_path):
    assert_same_as_convert_hf_to_gguf(gk, tiny_model["dir"], tmp_path)


# The Python that runs convert_hf_to_gguf.py: this one, or LLAMAGIC_CONVERT_PYTHON (a venv with torch).
CONVERT_PYTHON = os.environ.get("LLAMAGIC_CONVERT_PYTHON") or sys.executable


def skip_without_convert_python():
    probe = subprocess.run([CONVERT_PYTHON, "-c", "import torch, transformers, sentencepiece"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("convert_hf_to_gguf.py needs torch, transformers and sentencepiece (set LLAMAGIC_CONVERT_PYTHON to a "
                    "Python that has them): %s" % (probe.stderr.strip().splitlines() or ["?"])[-1])


def assert_same_gguf(ours, theirs):
    """Same keys and values, same tensor names, types, shapes and bytes."""
    a, b = gguf.GGUFReader(ours), gguf.GGUFReader(theirs)
    fa = {k: f.contents() for k, f in a.fields.items() if not k.startswith("GGUF.")}
    fb = {k: f.contents() for k, f in b.fields.items() if not k.startswith("GGUF.")}
    assert {k: v for k, v in fa.items() if fb.get(k) != v} == {k: v for k, v in fb.items() if fa.get(k) != v}
    ta = {t.name: (t.tensor_type, list(t.shape), np.asarray(t.data).tobytes()) for t in a.tensors}
    tb = {t.name: (t.tensor_type, list(t.shape), np.asarray(t.data).tobytes()) for t in b.tensors}
    assert [t.name for t in a.tensors] == [t.name for t in b.tensors]
    assert {k for k in ta if ta[k] != tb.get(k)} == set()


def assert_same_as_convert_hf_to_gguf(gk, model_dir, tmp_path):
    """Our GGUF and convert_hf_to_gguf.py's for the same model: same keys and values, same tensors and bytes."""
    skip_without_convert_python()
    for outtype in ["f16", "q8_0"]:
        ours, theirs = str(tmp_path / ("ours-%s.gguf" % outtype)), str(tmp_path / ("theirs-%s.gguf" % outtype))
        convert(gk, model_dir, outtype, ours)
        subprocess.run([CONVERT_PYTHON, os.path.join(LLAMA_SRC, "convert_hf_to_gguf.py"), model_dir,
                        "--outtype", outtype, "--outfile", theirs], check=True, capture_output=True)
        assert_same_gguf(ours, theirs)


def test_engine_python_runs_convert_hf_to_gguf_with_progress(gk, tiny_model, llama_bin, tmp_path):
    """--engine python on a kernel whose python3 has torch: convert_hf_to_gguf.py runs to the end, with a progress
    bar, and its file is the one our Java engine writes."""
    skip_without_convert_python()
    from conftest import Kernel
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_LLAMA_SRC": LLAMA_SRC,
                    "PATH": "%s:%s" % (os.path.dirname(CONVERT_PYTHON), os.environ["PATH"])})
    try:
        theirs = tmp_path / "py" / "tiny-F16.gguf"
        theirs.parent.mkdir()
        cell = k.execute("%%to-gguf %s --engine python --outtype f16 --outfile %s" % (tiny_model["dir"], theirs), timeout=600)
        assert cell.status == "ok", cell.error
        assert 'data-state="done"' in "".join(m["content"]["data"]["text/html"] for m in cell.of("update_display_data"))
        assert sorted(os.listdir(theirs.parent)) == ["tiny-F16.gguf"], "the temp name was renamed"
    finally:
        k.shutdown()
    ours = str(tmp_path / "ours-F16.gguf")
    convert(gk, tiny_model["dir"], "f16", ours)
    assert_same_gguf(ours, str(theirs))


# ---- interrupt: the conversion stops, nothing half-written is left, the kernel goes on -------------------

def test_interrupt_stops_and_leaves_nothing(gk, tiny_model, tmp_path):
    d = tmp_path / "Big"
    shutil.copytree(tiny_model["dir"], d)
    # a 10 GB F32 embedding as a sparse file (zeros cost no disk): long enough to interrupt mid-way
    rows, cols = 151936, 16384
    header = {"model.embed_tokens.weight": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, rows * cols * 4]}}
    h = json.dumps(header).encode()
    st = d / "model.safetensors"
    with open(st, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h)
        f.truncate(8 + len(h) + rows * cols * 4)
    out = tmp_path / "out"
    out.mkdir()
    sent = []

    def interrupt_once_writing(msg):
        # interrupt as soon as the progress bar shows: the conversion is under way (planning is done)
        if not sent and msg["msg_type"] == "display_data" and "to-gguf big.gguf" in msg["content"]["data"].get("text/plain", ""):
            time.sleep(1)
            gk.km.interrupt_kernel()
            sent.append(time.monotonic())

    cell = gk.execute("%%to-gguf %s --outtype q8_0 --threads 1 --outfile %s" % (d, out / "big.gguf"),
                      timeout=300, on_message=interrupt_once_writing)
    assert sent, "the conversion showed its progress bar"
    assert cell.status == "error", "interrupted before it could finish 10 GB"
    # the command stops at its next check and deletes its temporary file
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and leftovers(out):
        time.sleep(0.2)
    assert leftovers(out) == [], "no .gguf and no temp file left"
    after = gk.execute('Thread.sleep(1500); System.out.println("clean");')
    assert after.status == "ok" and after.stdout == "clean\n", after.messages
    assert leftovers(out) == []


# ---- Qwen2 / Qwen2.5: biases on q, k, v, no q/k norms ------------------------------------------------

def qwen2_from(qwen3_dir, out):
    """The tiny Qwen3 turned into a Qwen2 (untied, with random q/k/v biases, no head_dim key)."""
    shutil.copytree(qwen3_dir, out)
    cfg = json.load(open(os.path.join(out, "config.json")))
    cfg.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2", tie_word_embeddings=False)
    cfg.pop("head_dim")  # Qwen2 configs have none: hidden_size / heads (64 / 4 = 16)
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    w = qwen3_numpy.read_safetensors(os.path.join(out, "model.safetensors"))
    rng = np.random.default_rng(7)
    entries = []
    for name in sorted(w):
        if name.endswith(("q_norm.weight", "k_norm.weight")):
            continue
        entries.append((name, w[name].astype(np.float32)))
        if name.endswith(("q_proj.weight", "k_proj.weight", "v_proj.weight")):
            entries.append((name[:-len("weight")] + "bias", (0.5 * rng.standard_normal(w[name].shape[0])).astype(np.float32)))
    entries.append(("lm_head.weight", (0.5 * rng.standard_normal(w["model.embed_tokens.weight"].shape)).astype(np.float32)))
    tiny_qwen3.write_safetensors(os.path.join(out, "model.safetensors"),
                                 [(n, "F32", a.shape, a.tobytes()) for n, a in entries])


def test_qwen2_converts_and_greedy_equals_numpy(gk, tiny_model, llama_bin, tmp_path):
    model = tmp_path / "Qwen2.5-tiny"
    qwen2_from(tiny_model["dir"], str(model))
    out = str(tmp_path / "qwen2-F32.gguf")
    convert(gk, str(model), "f32", out)
    r = gguf.GGUFReader(out)
    assert r.fields["general.architecture"].contents() == "qwen2"
    names = {t.name: t.tensor_type.name for t in r.tensors}
    assert names["blk.0.attn_q.bias"] == "F32" and "blk.0.attn_q_norm.weight" not in names and "output.weight" in names
    assert "qwen2.attention.key_length" not in r.fields, "no head_dim in config.json, none written (as llama.cpp)"
    prompt = [9707, 11, 1879, 0, 576, 374, 264, 1273]
    expected, margins = qwen3_numpy.greedy(str(model), prompt, 16)
    assert min(margins) > 1e-3
    with Server(llama_bin, out, tmp_path) as s:
        done = s.post("/completion", {"prompt": prompt, "n_predict": 16, "temperature": 0, "top_k": 1,
                                      "return_tokens": True, "cache_prompt": False})
    assert done["tokens"] == expected
    assert len(set(expected)) > 4


def test_qwen2_same_as_convert_hf_to_gguf(gk, tiny_model, tmp_path):
    model = tmp_path / "Qwen2.5-tiny"
    qwen2_from(tiny_model["dir"], str(model))
    assert_same_as_convert_hf_to_gguf(gk, str(model), tmp_path)
