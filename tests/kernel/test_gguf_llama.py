"""%to-gguf for Llama 2 and Llama 3.x on the real kernel: tiny random Llamas with llama.cpp's own Llama
vocabularies (a BPE tokenizer.json for Llama 3, a SentencePiece tokenizer.model for Llama 2), loaded and served by
the real llama.cpp; greedy tokens equal the numpy reference forward pass of the Hugging Face weights (which checks
the q/k row reordering and Llama 3.1's RoPE frequency factors), llama.cpp's tokenizer cases pass through the served
model, and every reordered tensor equals gguf-py's kernels on the reordered numpy array, in every outtype."""
import copy
import json
import os

import numpy as np
import pytest

from conftest import LLAMA_SRC, Server, one_line_error
from test_gguf import OUTTYPES, assert_same_as_convert_hf_to_gguf, convert, gguf, gk, vocab_cases  # noqa: F401 (gk: a fixture)

import qwen3_numpy
import tiny_llama

LLAMA3_PROMPT = [9906, 11, 1917, 0, 1115, 374, 264, 1296]            # "Hello, world! This is a test"
LLAMA2_PROMPT = [1, 15043, 29892, 3186, 29991, 910, 338, 263, 1243]  # <s> "Hello, world! This is a test"


@pytest.fixture(scope="module")
def llama3(tmp_path_factory):
    d = tmp_path_factory.mktemp("llama3") / "Llama-3.2-tiny"
    tiny_llama.generate(str(d), "llama3", llama_src=LLAMA_SRC)
    return str(d)


@pytest.fixture(scope="module")
def llama2(tmp_path_factory):
    d = tmp_path_factory.mktemp("llama2") / "Llama-2-tiny"
    tiny_llama.generate(str(d), "llama2", llama_src=LLAMA_SRC)
    return str(d)


def permute(w, heads):
    """convert_hf_to_gguf.py's LlamaModel.permute, in numpy."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, heads):
    """HF rows read as llama.cpp would read them without the reordering (for the sensitivity check)."""
    return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def greedy(cfg, w, prompt, steps=16):
    return qwen3_numpy.greedy_weights(cfg, w, prompt, steps)


def serve_greedy(llama_bin, gguf_path, prompt, tmp_path):
    with Server(llama_bin, gguf_path, tmp_path) as s:
        return s.post("/completion", {"prompt": prompt, "n_predict": 16, "temperature": 0, "top_k": 1,
                                      "return_tokens": True, "cache_prompt": False})["tokens"]


def fields(path):
    r = gguf.GGUFReader(path)
    return r, {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}


# ---- Llama 3.x: BPE tokenizer.json, llama3 RoPE scaling, tied embeddings ------------------------------------

def test_llama3_metadata_rope_freqs_and_greedy_equal_numpy(gk, llama3, llama_bin, tmp_path):
    out = str(tmp_path / "llama3-F32.gguf")
    convert(gk, llama3, "f32", out)
    r, kv = fields(out)
    assert kv["general.architecture"] == "llama"
    assert kv["llama.vocab_size"] == 128256 and kv["llama.rope.dimension_count"] == 16
    assert kv["llama.rope.freq_base"] == 500000.0 and kv["llama.attention.head_count_kv"] == 2
    assert "llama.rope.scaling.type" not in kv, "llama3 scaling is carried by rope_freqs, as llama.cpp's converter does"
    assert kv["tokenizer.ggml.model"] == "gpt2" and kv["tokenizer.ggml.pre"] == "llama-bpe"
    assert kv["tokenizer.ggml.bos_token_id"] == 128000 and kv["tokenizer.ggml.eos_token_id"] == 128009
    assert kv["tokenizer.ggml.add_bos_token"] is True, "the post-processor adds <|begin_of_text|>"
    with open(os.path.join(LLAMA_SRC, "models", "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"), encoding="utf-8") as f:
        assert kv["tokenizer.chat_template"] == f.read()
    tensors = {t.name: t for t in r.tensors}
    assert r.tensors[0].name == "rope_freqs.weight", "generated tensors come first, as llama.cpp writes them"
    assert "output.weight" not in tensors, "tied embeddings"
    # the factors: 1 for short wavelengths, `factor` for long ones, smoothed between (Hugging Face's formula)
    cfg = json.load(open(os.path.join(llama3, "config.json")))
    plain = copy.deepcopy(cfg)
    plain["rope_scaling"] = None
    expected = qwen3_numpy.inv_freq(plain, 16) / qwen3_numpy.inv_freq(cfg, 16)
    got = np.asarray(tensors["rope_freqs.weight"].data)
    assert tensors["rope_freqs.weight"].tensor_type.name == "F32"
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[0] == 1.0 and got[-1] == 8.0 and ((got > 1) & (got < 8)).any(), got

    cfg, w = qwen3_numpy.load(llama3)
    expected, margins = greedy(cfg, w, LLAMA3_PROMPT)
    assert min(margins) > 1e-3, "the reference's choices are not ties"
    # the check can fail: without the frequency factors, or without the q/k reordering, the tokens differ
    assert greedy(plain, w, LLAMA3_PROMPT)[0] != expected
    w2 = dict(w)
    for k in w2:
        if k.endswith("q_proj.weight"):
            w2[k] = unpermute(w[k], 4)
        elif k.endswith("k_proj.weight"):
            w2[k] = unpermute(w[k], 2)
    assert greedy(cfg, w2, LLAMA3_PROMPT)[0] != expected
    assert serve_greedy(llama_bin, out, LLAMA3_PROMPT, tmp_path) == expected


def test_llama3_tokenizer_matches_llama_cpp_cases(gk, llama3, llama_bin, tmp_path):
    out = str(tmp_path / "llama3-F16.gguf")
    convert(gk, llama3, "f16", out)
    with Server(llama_bin, out, tmp_path) as s:
        wrong = [(text, ids) for text, ids in vocab_cases("llama-bpe")
                 if s.post("/tokenize", {"content": text, "add_special": False, "parse_special": False})["tokens"] != ids]
        special = s.post("/tokenize", {"content": "<|start_header_id|>user<|end_header_id|>", "add_special": True})["tokens"]
    assert not wrong, wrong[:3]
    assert special[:2] == [128000, 128006] and special[-1] == 128007, special


@pytest.mark.parametrize("outtype", ["f16", "bf16", "q8_0"])
def test_reordered_tensor_bytes_equal_gguf_py_kernels(gk, llama3, tmp_path, outtype):
    out = str(tmp_path / "t.gguf")
    convert(gk, llama3, outtype, out)
    src = {k: v.astype(np.float32) for k, v in qwen3_numpy.load(llama3)[1].items()}
    r = gguf.GGUFReader(out)
    checked = 0
    for t in r.tensors:
        if not t.name.endswith(("attn_q.weight", "attn_k.weight", "attn_v.weight")):
            continue
        block = t.name.split(".")[1]
        module = {"attn_q": "q_proj", "attn_k": "k_proj", "attn_v": "v_proj"}[t.name.split(".")[2]]
        a = src["model.layers.%s.self_attn.%s.weight" % (block, module)]
        if module == "q_proj":
            a = permute(a, 4)
        elif module == "k_proj":
            a = permute(a, 2)
        expected = gguf.quants.quantize(a, gguf.GGMLQuantizationType[OUTTYPES[outtype]])
        assert np.asarray(t.data).tobytes() == expected.tobytes(), t.name
        checked += 1
    assert checked == 6


# ---- Llama 2: SentencePiece tokenizer.model, untied, no head_dim ------------------------------------------

def test_llama2_sentencepiece_vocab_and_greedy_equal_numpy(gk, llama2, llama_bin, tmp_path):
    out = str(tmp_path / "llama2-F32.gguf")
    convert(gk, llama2, "f32", out)
    r, kv = fields(out)
    _, ref = fields(os.path.join(LLAMA_SRC, "models", "ggml-vocab-llama-spm.gguf"))
    assert kv["tokenizer.ggml.model"] == "llama" and kv["tokenizer.ggml.pre"] == "default"
    for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token"]:
        assert kv[key] == ref[key], key
    # every piece's score and type as in tokenizer.model; tokenizer_config.json's added_tokens_decoder (<unk>, <s>,
    # </s>, all special) overrides them as convert_hf_to_gguf.py does: control, score -1000
    assert kv["tokenizer.ggml.scores"][3:] == ref["tokenizer.ggml.scores"][3:]
    assert kv["tokenizer.ggml.token_type"][3:] == ref["tokenizer.ggml.token_type"][3:]
    assert kv["tokenizer.ggml.scores"][:3] == [-1000.0] * 3 and kv["tokenizer.ggml.token_type"][:3] == [3, 3, 3]
    assert set(kv["tokenizer.ggml.token_type"]) == {1, 3, 6}, "normal, control, byte"
    assert kv["llama.rope.dimension_count"] == 16, "no head_dim: hidden_size / heads"
    # convert_hf_to_gguf.py reads config.json through transformers' LlamaConfig, which supplies the missing head_dim
    assert kv["llama.attention.key_length"] == kv["llama.attention.value_length"] == 16
    names = {t.name for t in r.tensors}
    assert "output.weight" in names and "rope_freqs.weight" not in names

    with Server(llama_bin, out, tmp_path) as s:
        wrong = [(text, ids) for text, ids in vocab_cases("llama-spm")
                 if s.post("/tokenize", {"content": text, "add_special": False, "parse_special": False})["tokens"] != ids]
        with_bos = s.post("/tokenize", {"content": "Hello, world! This is a test", "add_special": True})["tokens"]
    assert not wrong, wrong[:3]
    assert with_bos == LLAMA2_PROMPT

    cfg, w = qwen3_numpy.load(llama2)
    expected, margins = greedy(cfg, w, LLAMA2_PROMPT)
    assert min(margins) > 1e-3 and len(set(expected)) > 4
    assert serve_greedy(llama_bin, out, LLAMA2_PROMPT, tmp_path) == expected


def test_llama_mistakes_are_one_line(gk, llama2, tmp_path):
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(llama2, broken)
    with open(broken / "tokenizer.model", "wb") as f:
        f.write(b"\x0a\xff\xff\xff\xff\x0f")  # a piece longer than the file
    line = one_line_error(gk.execute("%%to-gguf %s --outtype f16" % broken))
    assert "tokenizer.model in %s is not a SentencePiece model" % broken in line
    cfg = json.load(open(os.path.join(llama2, "config.json")))
    cfg["num_attention_heads"] = 3
    os.remove(broken / "tokenizer.model")
    shutil.copy(os.path.join(llama2, "tokenizer.model"), broken / "tokenizer.model")
    json.dump(cfg, open(broken / "config.json", "w"))
    line = one_line_error(gk.execute("%%to-gguf %s --outtype f16" % broken))
    assert "does not split into" in line and "head counts do not match the weights" in line
    assert not [f for f in os.listdir(broken) if f.endswith(".gguf") or "llamagic-tmp" in f]


# ---- the reference converter, where it can run (torch, transformers, sentencepiece) ----------------------

@pytest.mark.parametrize("variant", ["llama3", "llama2"])
def test_same_as_convert_hf_to_gguf(gk, llama3, llama2, tmp_path, variant):
    assert_same_as_convert_hf_to_gguf(gk, llama3 if variant == "llama3" else llama2, tmp_path)
