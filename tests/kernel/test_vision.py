"""Vision models in the real kernel: a tiny random Qwen2.5-VL in Hugging Face layout (tests/fixtures/tiny_qwen25vl.py)
converted by %to-gguf into the language model GGUF and its projector (mmproj), both checked against the source with
numpy and llama.cpp's gguf-py, served by the real llama-server with the projector found beside the model, and asked
about a generated PNG with %chat --image: the server counts the image's tokens in the prompt. Bad input is one line."""
import json
import os
import re
import signal
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import LLAMA_SRC, Kernel, one_line_error, wait_gone

sys.path.insert(0, os.path.join(LLAMA_SRC, "gguf-py"))
import gguf  # noqa: E402  llama.cpp's own gguf-py
import tiny_qwen25vl  # noqa: E402  (tests/fixtures)
import tiny_qwen3vl  # noqa: E402

QUESTION = "What is in the picture?"


# ---- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vl(tmp_path_factory):
    root = tmp_path_factory.mktemp("vision")
    model = root / "Qwen2.5-VL-Tiny"
    tiny_qwen25vl.generate(str(model), llama_src=LLAMA_SRC)
    return {"dir": str(model), "png": tiny_qwen25vl.png(str(root / "picture.png")), "root": root}


@pytest.fixture(scope="module")
def vk(llama_bin, tmp_path_factory):
    home = tmp_path_factory.mktemp("vision-home")
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(home)})
    k.seen_pids = []
    yield k
    k.shutdown()
    left = wait_gone(k.seen_pids, 20)
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, "servers outlived the kernel: %s" % left


@pytest.fixture(scope="module")
def converted(vk, vl):
    cell = vk.execute("%%to-gguf %s --outtype f16" % vl["dir"], timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    ggufs = sorted(f for f in os.listdir(vl["dir"]) if f.endswith(".gguf"))
    assert len(ggufs) == 2, ggufs
    mmproj = [f for f in ggufs if f.startswith("mmproj-")][0]
    text = [f for f in ggufs if not f.startswith("mmproj-")][0]
    return {"cell": cell, "text": os.path.join(vl["dir"], text), "mmproj": os.path.join(vl["dir"], mmproj)}


def _serve(vk, cmd, name):
    cell = vk.execute(cmd, timeout=300)
    if cell.status == "ok":
        pid = int(re.search(r"pid (\d+)", cell.stdout).group(1))
        vk.seen_pids.append(pid)
    return cell


@pytest.fixture(scope="module")
def vision_server(vk, converted, vl):
    cell = _serve(vk, '%%serve "%s" --name vl -- --threads 1' % vl["dir"], "vl")
    assert cell.status == "ok", (cell.error, cell.text)
    return cell


def _final(cell):
    ups = cell.of("update_display_data")
    done = [u for u in ups if 'data-state="done"' in u["content"]["data"]["text/html"]]
    return done[-1]["content"]["data"] if done else None


def _prompt_tokens(cell):
    final = _final(cell)
    assert final is not None, (cell.error, cell.text)
    return int(re.search(r"prompt (\d+) tokens", final["text/plain"]).group(1))


def _safetensors(path):
    """name -> float32 array (BF16/F16/F32), read with numpy from the file's own header."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "BF16":
            v = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            v = np.frombuffer(raw, np.float16).astype(np.float32)
        else:
            v = np.frombuffer(raw, np.float32)
        out[name] = v.reshape(e["shape"])
    return out


# ---- %to-gguf --------------------------------------------------------------------------------------------

def test_to_gguf_writes_the_model_and_its_projector(converted, vl):
    text = converted["cell"].text
    assert converted["text"] in text and converted["mmproj"] in text, text
    assert os.path.basename(converted["mmproj"]) == "mmproj-Qwen2.5-VL-Tiny-F16.gguf"
    assert not [f for f in os.listdir(vl["dir"]) if f.endswith(".llamagic-tmp")]

    m = gguf.GGUFReader(converted["text"])
    assert m.fields["general.architecture"].contents() == "qwen2vl"
    assert m.fields["qwen2vl.rope.dimension_sections"].contents() == [2, 3, 3, 0]
    assert not [t.name for t in m.tensors if t.name.startswith(("v.", "mm."))]

    p = gguf.GGUFReader(converted["mmproj"])
    f = {k: v.contents() for k, v in p.fields.items() if not k.startswith("GGUF.")}
    assert f["general.architecture"] == "clip" and f["general.type"] == "mmproj"
    assert f["clip.projector_type"] == "qwen2.5vl_merger"
    assert f["clip.has_vision_encoder"] is True and f["clip.use_silu"] is True
    assert (f["clip.vision.projection_dim"], f["clip.vision.embedding_length"], f["clip.vision.feed_forward_length"],
            f["clip.vision.block_count"], f["clip.vision.attention.head_count"], f["clip.vision.patch_size"],
            f["clip.vision.image_size"], f["clip.vision.n_wa_pattern"]) == (64, 32, 64, 4, 2, 14, 560, 2)
    assert np.allclose(f["clip.vision.image_mean"], [0.48145466, 0.4578275, 0.40821073])

    # every tensor against numpy's reading of the source: the converter's reshapes, F16 matrices, F32 vectors
    src = _safetensors(os.path.join(vl["dir"], "model.safetensors"))
    want = {"v.patch_embd.weight": src["visual.patch_embed.proj.weight"][:, :, 0],
            "v.patch_embd.weight.1": src["visual.patch_embed.proj.weight"][:, :, 1],
            "v.post_ln.weight": src["visual.merger.ln_q.weight"]}
    for i in range(4):
        b = "visual.blocks.%d." % i
        for suffix in ("weight", "bias"):
            q, k, v = np.split(src[b + "attn.qkv." + suffix], 3, axis=0)
            want.update({"v.blk.%d.attn_q.%s" % (i, suffix): q, "v.blk.%d.attn_k.%s" % (i, suffix): k,
                         "v.blk.%d.attn_v.%s" % (i, suffix): v,
                         "v.blk.%d.attn_out.%s" % (i, suffix): src[b + "attn.proj." + suffix]})
            for hf, gg in (("gate_proj", "ffn_gate"), ("up_proj", "ffn_up"), ("down_proj", "ffn_down")):
                want["v.blk.%d.%s.%s" % (i, gg, suffix)] = src[b + "mlp.%s.%s" % (hf, suffix)]
        want["v.blk.%d.ln1.weight" % i] = src[b + "norm1.weight"]
        want["v.blk.%d.ln2.weight" % i] = src[b + "norm2.weight"]
    for n in (0, 2):
        for suffix in ("weight", "bias"):
            want["mm.%d.%s" % (n, suffix)] = src["visual.merger.mlp.%d.%s" % (n, suffix)]
    got = {t.name: t for t in p.tensors}
    assert sorted(got) == sorted(want)
    for name, w in want.items():
        t = got[name]
        typ = gguf.GGMLQuantizationType.F32 if w.ndim == 1 else gguf.GGMLQuantizationType.F16
        assert t.tensor_type == typ, name
        assert list(t.shape) == list(reversed(w.shape)), name
        expected = w.astype(np.float16 if typ == gguf.GGMLQuantizationType.F16 else np.float32)
        assert np.asarray(t.data).tobytes() == expected.tobytes(), name


# ---- %serve and %chat --image ------------------------------------------------------------------------

def test_serve_finds_the_projector_beside_the_model(vision_server, converted):
    out = vision_server.stdout
    assert "projector: %s (beside the model" % os.path.basename(converted["mmproj"]) in out, out
    assert "--mmproj %s" % converted["mmproj"] in out, out


def test_chat_with_an_image_counts_its_tokens(vk, vision_server, vl):
    text_only = vk.execute('%%chat --server vl --session t --new --max-tokens 4 "%s"' % QUESTION, timeout=180)
    assert text_only.status == "ok", text_only.error
    with_image = vk.execute('%%chat --server vl --session i --new --max-tokens 4 --image %s "%s"' % (vl["png"], QUESTION),
                            timeout=180)
    assert with_image.status == "ok", (with_image.error, with_image.text)
    a, b = _prompt_tokens(text_only), _prompt_tokens(with_image)
    assert b > a + 4, "the image was encoded into the prompt (%d tokens with it, %d without)" % (b, a)
    final = _final(with_image)
    assert '<img src="data:image/png;base64,' in final["text/html"], "a thumbnail above the answer"
    assert "[image: picture.png, PNG," in final["text/plain"]
    assert "with 1 image" in final["text/plain"].splitlines()[-1]
    # %%chat takes --image on its first line, the message in the body; two images give more tokens than one
    two = vk.execute("%%%%chat --server vl --session b --new --max-tokens 4 --image %s --image %s\n%s"
                     % (vl["png"], vl["png"], QUESTION), timeout=180)
    assert two.status == "ok", (two.error, two.text)
    assert _prompt_tokens(two) > b
    assert "with 2 images" in _final(two)["text/plain"]


def test_java_door_sends_images(vk, vision_server, vl):
    cell = vk.execute('var ctx = dev.llamagic.kernel.Cell.context();\n'
                      'var s = dev.llamagic.engine.serve.Servers.of(ctx).get("vl");\n'
                      'var r = dev.llamagic.engine.chat.Chat.ask(ctx, dev.llamagic.engine.chat.ChatRequest.to(s.url())'
                      '.user("%s").image("%s").maxTokens(2).build());\n'
                      'var t = dev.llamagic.engine.chat.Chat.ask(ctx, dev.llamagic.engine.chat.ChatRequest.to(s.url())'
                      '.user("%s").maxTokens(2).build());\n'
                      'System.out.println((r.promptTokenCount() > t.promptTokenCount()) + " " + '
                      'dev.llamagic.engine.chat.Chat.readsImages(s.url(), null));' % (QUESTION, vl["png"], QUESTION),
                      timeout=180)
    assert cell.status == "ok", cell.error
    assert cell.stdout.strip() == "true true"


def test_bad_images_are_one_line(vk, vision_server, vl, tmp_path):
    line = one_line_error(vk.execute('%%chat --server vl --image %s "hi"' % (tmp_path / "none.png")), prefix_required=True)
    assert line == "%%chat: no such image: %s" % (tmp_path / "none.png")
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture\n")
    line = one_line_error(vk.execute('%%chat --server vl --image %s "hi"' % notes), prefix_required=True)
    assert line == "%%chat: %s is not an image (PNG, JPEG, WebP or GIF)" % notes


def test_text_only_serve_says_which_projector_and_chat_refuses_images(vk, converted, vl):
    cell = _serve(vk, '%%serve "%s" --name textonly --no-mmproj -- --threads 1' % converted["text"], "textonly")
    assert cell.status == "ok", (cell.error, cell.text)
    assert ("text only: images need a projector; this model's is %s beside it (drop --no-mmproj to use it)"
            % os.path.basename(converted["mmproj"])) in cell.stdout
    assert "--mmproj" not in cell.stdout.split("starting 'textonly'")[1].splitlines()[0]
    line = one_line_error(vk.execute('%%chat --server textonly --max-tokens 2 --image %s "hi"' % vl["png"], timeout=120),
                          prefix_required=True)
    assert line.startswith("%chat: textonly @ http://127.0.0.1:") and line.endswith(
        " cannot read images: it was started without a vision projector (%serve the model with --mmproj FILE, "
        "or put its mmproj-*.gguf beside it)"), line
    vk.execute("%serve --stop textonly")


def test_a_projector_for_another_model_is_refused(vk, converted, tmp_path):
    data = bytearray(open(converted["mmproj"], "rb").read())
    key = b"clip.vision.projection_dim"
    at = data.index(key) + len(key)
    assert struct.unpack_from("<I", data, at)[0] == 4  # GGUF type UINT32
    struct.pack_into("<I", data, at + 4, 32)
    other = tmp_path / "mmproj-other-F16.gguf"
    other.write_bytes(bytes(data))
    line = one_line_error(vk.execute('%%serve "%s" --name wrong --mmproj %s' % (converted["text"], other)), prefix_required=True)
    assert line == ("%%serve: the projector mmproj-other-F16.gguf does not match the model %s: it makes 32-wide image "
                    "embeddings, the model's are 64 wide (use the mmproj file made with this model)"
                    % os.path.basename(converted["text"]))
    line = one_line_error(vk.execute('%%serve "%s" --mmproj %s' % (converted["text"], tmp_path / "nope.gguf")),
                          prefix_required=True)
    assert line == "%%serve: no such file: %s" % (tmp_path / "nope.gguf")
    line = one_line_error(vk.execute('%%serve "%s" --mmproj %s' % (converted["text"], converted["text"])), prefix_required=True)
    assert line == "%%serve: %s is not a multimodal projector (its architecture is qwen2vl, a projector's is clip)" % (
        os.path.basename(converted["text"]))


def test_a_build_without_multimodal_support_is_refused(converted, tmp_path):
    """A llama-server whose --help has no --mmproj (an old build): one line, before anything starts."""
    fake = tmp_path / "bin"
    fake.mkdir()
    server = fake / "llama-server"
    server.write_text("#!/bin/sh\necho '-m,    --model FNAME     model path'\necho '--port PORT   port'\n")
    server.chmod(0o755)
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": str(fake), "LLAMAGIC_HOME": str(tmp_path / "home")})
    try:
        line = one_line_error(k.execute('%%serve "%s"' % converted["text"], timeout=120), prefix_required=True)
    finally:
        k.shutdown()
    assert line == ("%serve: this llama.cpp build's llama-server has no --mmproj (no multimodal support): "
                    "rebuild it with %build-llama from a newer llama.cpp"), line


# ---- Qwen3-VL ------------------------------------------------------------------------------------------------

def test_qwen3_vl_converts_serves_and_reads_the_picture(vk, vl, tmp_path):
    model = tmp_path / "Qwen3-VL-Tiny"
    tiny_qwen3vl.generate(str(model), llama_src=LLAMA_SRC)
    cell = vk.execute("%%to-gguf %s --outtype bf16" % model, timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    text, mmproj = model / "Qwen3-VL-Tiny-10M-BF16.gguf", model / "mmproj-Qwen3-VL-Tiny-BF16.gguf"
    assert str(text) in cell.text and str(mmproj) in cell.text, cell.text
    m = gguf.GGUFReader(str(text))
    assert m.fields["general.architecture"].contents() == "qwen3vl"
    assert m.fields["qwen3vl.n_deepstack_layers"].contents() == 1
    p = gguf.GGUFReader(str(mmproj))
    assert p.fields["clip.projector_type"].contents() == "qwen3vl_merger"
    assert p.fields["clip.vision.is_deepstack_layers"].contents() == [True, False]
    names = {t.name: t for t in p.tensors}
    assert {"v.deepstack.0.fc1.weight", "v.blk.1.attn_qkv.weight", "v.position_embd.weight", "v.patch_embd.bias",
            "v.patch_embd.weight.1", "mm.2.bias"} <= set(names)
    assert names["v.position_embd.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    assert names["v.patch_embd.weight"].tensor_type == gguf.GGMLQuantizationType.F32, "forced F32 unless the file is F16"
    assert names["v.blk.0.attn_qkv.weight"].tensor_type == gguf.GGMLQuantizationType.BF16

    served = _serve(vk, '%%serve "%s" --name q3vl -- --threads 1' % text, "q3vl")
    assert served.status == "ok", (served.error, served.text)
    assert "projector: %s" % mmproj.name in served.stdout
    try:
        a = vk.execute('%%chat --server q3vl --session q3t --new --max-tokens 4 "%s"' % QUESTION, timeout=180)
        b = vk.execute('%%chat --server q3vl --session q3i --new --max-tokens 4 --image %s "%s"' % (vl["png"], QUESTION),
                       timeout=180)
        assert _prompt_tokens(b) > _prompt_tokens(a) + 4
    finally:
        vk.execute("%serve --stop q3vl")


# ---- the reference converter, where it can run ------------------------------------------------------------

def test_same_as_convert_hf_to_gguf(vk, vl, tmp_path):
    """Where LLAMAGIC_CONVERT_PYTHON has torch and transformers: both files equal convert_hf_to_gguf.py's (text, and
    --mmproj), byte for byte."""
    py = os.environ.get("LLAMAGIC_CONVERT_PYTHON") or sys.executable
    probe = subprocess.run([py, "-c", "import torch, transformers"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("convert_hf_to_gguf.py needs torch and transformers (set LLAMAGIC_CONVERT_PYTHON)")
    qwen3vl = tmp_path / "Qwen3-VL-Tiny"
    tiny_qwen3vl.generate(str(qwen3vl), llama_src=LLAMA_SRC)
    for src, outtype in [(vl["dir"], "f16"), (vl["dir"], "q8_0"), (str(qwen3vl), "f16")]:
        ours = tmp_path / ("ours-%s-%s" % (os.path.basename(src), outtype))
        theirs = tmp_path / ("theirs-%s-%s" % (os.path.basename(src), outtype))
        ours.mkdir()
        theirs.mkdir()
        cell = vk.execute("%%to-gguf %s --outtype %s --outfile %s" % (src, outtype, ours), timeout=300)
        assert cell.status == "ok", cell.error
        conv = os.path.join(LLAMA_SRC, "convert_hf_to_gguf.py")
        for extra in [[], ["--mmproj"]]:
            r = subprocess.run([py, conv, src, "--outtype", outtype, "--outfile", str(theirs)] + extra,
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr[-2000:]
        assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))
        for f in os.listdir(ours):
            assert open(ours / f, "rb").read() == open(theirs / f, "rb").read(), f
