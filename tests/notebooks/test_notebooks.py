"""Every tutorial notebook, executed headless offline (papermill through scripts/run_notebook.py, kernel
`llamagic`) on the generated tiny model served by the local ModelScope hub and the local PAI-DSW stand-in, then
checked: no error cells, tables present, the chat produced text, progress bars ended full. The executed quickstart
is then opened in JupyterLab (from PyPI) in headless Chromium, and what renders is checked in the DOM."""
import glob
import os
import re
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT, TEST_HOME

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import quickstart  # noqa: E402
from offline_world import offline_world  # noqa: E402

NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
ARTIFACTS = os.path.join(ROOT, ".ci-artifacts")


@pytest.fixture(scope="module")
def executed(tmp_path_factory, llama_build):
    """Runs every notebook once, offline, sharing the suite's llama.cpp build (LLAMAGIC_HOME = the test home)."""
    out = str(tmp_path_factory.mktemp("executed"))
    saved = os.environ.get("LLAMAGIC_HOME")
    os.environ["LLAMAGIC_HOME"] = TEST_HOME
    done = {}
    try:
        # the quickstart as a user runs it: ./quickstart.sh --offline, its terminal output read line by line as it
        # comes (with the time each line arrived)
        done["terminal"] = run_quickstart_sh(out)
        if os.path.exists(os.path.join(out, "01-quickstart.ipynb")):
            done["01-quickstart.ipynb"] = os.path.join(out, "01-quickstart.ipynb")
        else:
            done["01-quickstart.ipynb"] = RuntimeError("./quickstart.sh --offline wrote no notebook:\n"
                                                       + "\n".join(l for _, l in done["terminal"][-40:]))
        for nb in NOTEBOOKS:
            if os.path.basename(nb) in done:
                continue
            with offline_world(os.path.join(out, "models", os.path.basename(nb)[:2]),
                               vision="vision" in os.path.basename(nb)) as params:
                try:
                    done[os.path.basename(nb)] = quickstart.run(nb, out, params)
                except Exception as e:  # noqa: BLE001 - papermill raises on a failed cell; the test says which
                    done[os.path.basename(nb)] = e
    finally:
        if saved is None:
            os.environ.pop("LLAMAGIC_HOME", None)
        else:
            os.environ["LLAMAGIC_HOME"] = saved
    os.makedirs(ARTIFACTS, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith((".ipynb", ".html", "-terminal.txt")):
            shutil.copy(os.path.join(out, name), ARTIFACTS)
    return done


def run_quickstart_sh(out):
    """Runs ./quickstart.sh --offline --out OUT in this test venv; returns [(seconds since start, line), ...]."""
    env = dict(os.environ, LLAMAGIC_TEST_VENV=sys.prefix, PYTHONUNBUFFERED="1")
    start = time.monotonic()
    lines = []
    with subprocess.Popen(["bash", os.path.join(ROOT, "quickstart.sh"), "--offline", "--out", out], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                          errors="replace") as p:
        for line in p.stdout:
            lines.append((time.monotonic() - start, line.rstrip("\n")))
        p.wait(timeout=3600)
    lines.append((time.monotonic() - start, "(exit %d)" % p.returncode))
    with open(os.path.join(out, "quickstart-terminal.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join("%7.1f %s" % (t, l) for t, l in lines) + "\n")
    return lines


def load(executed, name):
    result = executed[name]
    if isinstance(result, Exception):
        pytest.fail("%s did not run through: %s" % (name, str(result)[-2000:]), pytrace=False)
    return nbformat.read(result, as_version=4)


def cell(nb, start):
    for c in nb.cells:
        if c.cell_type == "code" and c.source.lstrip().startswith(start):
            return c
    raise AssertionError("no cell starting with %r" % start)


def html_of(c):
    return "".join(o.get("data", {}).get("text/html", "") for o in c.outputs
                   if o.output_type in ("display_data", "execute_result"))


def test_there_are_the_tutorials():
    names = [os.path.basename(n) for n in NOTEBOOKS]
    assert names == ["01-quickstart.ipynb", "02-qwen3-4b-on-dsw.ipynb", "03-quantization-benchmark.ipynb",
                     "04-vision-qwen2.5-vl.ipynb", "05-dsw-to-eas.ipynb"]


def test_committed_notebooks_are_bilingual_parametrized_and_carry_no_hand_made_outputs():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.kernelspec.name == "llamagic"
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, "%s: one cell tagged parameters" % path
        for name in ("MODEL_ID", "HUB_ENDPOINT", "LLAMA_SOURCE", "BACKEND"):
            assert re.search(r"\b%s\s*=" % name, params[0].source), (path, name)
        first = nb.cells[0].source
        assert re.search(r"[\u4e00-\u9fff]", first) and first.index("#") < first.index("# ", 5), "中文 first"
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, "%s: outputs come from a real run, or none" % path


@pytest.mark.parametrize("name", [os.path.basename(n) for n in NOTEBOOKS])
def test_notebook_runs_offline_without_errors_and_shows_tables(executed, name):
    nb = load(executed, name)
    for c in nb.cells:
        if c.cell_type == "code":
            errors = [o for o in c.outputs if o.output_type == "error"]
            assert not errors, "%s: cell %r failed: %s" % (name, c.source[:80], errors[0].get("evalue"))
    tables = sum(html_of(c).count("<table") for c in nb.cells if c.cell_type == "code")
    assert tables >= 4, "%s: the magics' tables are in the outputs" % name
    bars = "".join(html_of(c) for c in nb.cells if c.cell_type == "code")
    assert 'class="llamagic-progress"' in bars and 'data-state="running"' not in bars, "progress bars end finished"


def test_quickstart_chat_produced_text_and_numbers(executed):
    nb = load(executed, "01-quickstart.ipynb")
    chat = cell(nb, "%chat")
    html = html_of(chat)
    assert 'class="llamagic-chat" data-state="done"' in html
    answer = re.sub(r"<[^>]+>", "", html.split('class="llamagic-answer"', 1)[1])
    assert len(answer.strip()) > 10, "the model's answer is in the cell"
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in chat.outputs)
    assert re.search(r"generated \d+ tokens .* tokens/s \(server\)", text), "the line of token counts and speeds"
    build = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell(nb, "%build-llama").outputs)
    assert "llama-server" in build
    bench = html_of(cell(nb, "%bench"))
    assert "decode tok/s per request" in bench and "<svg" in bench


def test_quantization_conclusion_is_computed_from_the_data(executed):
    nb = load(executed, "03-quantization-benchmark.ipynb")
    assert "<svg" in html_of(cell(nb, "%bench --compare"))
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    out = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    rows = re.findall(r"^(F16|Q8_0|Q4_K_M)\s+([0-9.]+) MiB\s+decode\s+([0-9.]+) tok/s", out, re.M)
    assert [r[0] for r in rows] == ["F16", "Q8_0", "Q4_K_M"], out
    fastest = max(rows, key=lambda r: float(r[2]))[0]
    assert "Conclusion: %s decodes fastest" % fastest in out


def test_vision_tutorial_converts_both_files_and_chats_about_the_picture(executed):
    nb = load(executed, "04-vision-qwen2.5-vl.ipynb")
    converted = html_of(cell(nb, "%to-gguf"))
    assert converted.count("<table") == 2 and "mmproj-" in converted, "the model and its projector"
    served = "".join(o.get("text", "") for o in cell(nb, "%serve $MODEL_DIR").outputs if o.output_type == "stream")
    assert "projector: mmproj-" in served and "--mmproj" in served
    chat = html_of(cell(nb, "%chat --server qwen2.5-vl --max-tokens $MAX_TOKENS --image"))
    assert '<img src="data:image/png;base64,' in chat and "with 1 image" in chat
    with_image = int(re.search(r"prompt (\d+) tokens", chat).group(1))
    text_only = int(re.search(r"prompt (\d+) tokens", html_of(cell(nb, "%chat --server qwen2.5-vl --new"))).group(1))
    assert with_image > text_only, (with_image, text_only)
    java = "".join(o.get("text", "") for o in cell(nb, "import dev.llamagic.engine.chat").outputs if o.output_type == "stream")
    m = re.search(r"prompt tokens with the picture: (\d+), without: (\d+)", java)
    assert m and int(m.group(1)) > int(m.group(2)), java
    assert "the server reads images: true" in java


def test_dsw_tutorial_ends_with_snapshot_and_timer(executed):
    nb = load(executed, "02-qwen3-4b-on-dsw.ipynb")
    snap = "".join(o.get("text", "") for o in cell(nb, "%dsw snapshot").outputs if o.output_type == "stream")
    assert "Saved" in snap
    timer = "".join(o.get("text", "") for o in cell(nb, "%dsw timer").outputs if o.output_type == "stream")
    assert "2 h 00 min" in timer


def test_eas_tutorial_deploys_asks_measures_and_deletes_the_service(executed):
    nb = load(executed, "05-dsw-to-eas.ipynb")
    dry = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell(nb, "%eas deploy").outputs)
    assert '"mount_path" : "/models"' in dry and '"eas:CreateService"' in dry
    deployed = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("%eas deploy") and "--dry-run" not in c.source]
    out = "".join(o.get("text", "") for o in deployed[0].outputs if o.output_type == "stream")
    assert re.search(r"service qwen3_4b_q4 Running \(1/1 instances\) at http://127\.0\.0\.1:\d+/api/predict/qwen3_4b_q4", out), out
    chat = html_of(cell(nb, "%chat --eas"))
    assert 'class="llamagic-chat" data-state="done"' in chat
    assert "decode tok/s per request" in html_of(cell(nb, "%bench --eas"))
    deleted = "".join(o.get("text", "") for o in cell(nb, "%eas delete").outputs if o.output_type == "stream")
    assert "deleting qwen3_4b_q4" in deleted


def test_executed_quickstart_renders_in_jupyterlab(executed, tmp_path):
    """JupyterLab on loopback, the executed quickstart opened in headless Chromium: bars, tables, chat render."""
    if not os.path.exists(os.environ.get("LLAMAGIC_CHROMIUM", "/usr/bin/chromium")):
        pytest.skip("no Chromium here (tests/prepare/30-chromium.sh installs Debian's where it can)")
    import browser
    load(executed, "01-quickstart.ipynb")
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(executed["01-quickstart.ipynb"], root / "quickstart.ipynb")
    # the user's own executed notebook is trusted (JupyterLab sanitizes the HTML of untrusted outputs)
    data = {"JUPYTER_DATA_DIR": str(root / ".jupyter-data")}  # where the trust database lives
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(root / "quickstart.ipynb")], check=True,
                   capture_output=True, env={**os.environ, **data})
    with browser.jupyterlab(str(root), env=data) as (base, token), browser.chromium_page() as page:
        page.goto("%s/lab/tree/quickstart.ipynb?token=%s" % (base, token), timeout=90_000)
        page.wait_for_selector(".jp-OutputArea-output", timeout=90_000)
        count = """() => ({
            bars: document.querySelectorAll('.llamagic-progress[data-state=done]').length,
            tables: document.querySelectorAll('.jp-OutputArea-output table').length,
            chat: (document.querySelector('.llamagic-chat .llamagic-answer') || {}).innerText || '',
            svg: document.querySelectorAll('.jp-OutputArea-output svg').length,
            chinese: document.body.innerText.includes('快速上手'),
            note: (() => {
                const chat = document.querySelector('.llamagic-chat');
                const note = [...document.querySelectorAll('.jp-OutputArea-output')]
                    .find(o => o.innerText.includes('随机权重') && o.innerText.includes('random weights'));
                if (!chat || !note) return 'missing';
                return (note.compareDocumentPosition(chat) & Node.DOCUMENT_POSITION_FOLLOWING) ? 'above' : 'below';
            })()})"""
        try:
            # JupyterLab renders a long notebook's outputs progressively (the last cell's chart can come seconds
            # after the first bar): wait for everything, then count (a timeout leaves the counts to the asserts)
            page.wait_for_function("() => { const c = (%s)(); return c.bars >= 3 && c.tables >= 4 && "
                                   "c.chat.trim().length > 10 && c.svg >= 1; }" % count, timeout=60_000)
        except Exception as e:  # playwright's TimeoutError: the asserts below say what is missing
            print("not everything rendered within 60 s:", e)
        finally:
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, "quickstart-jupyterlab.png"), full_page=True)
        counts = page.evaluate(count)
    assert counts["bars"] >= 3, counts
    assert counts["tables"] >= 4, counts
    assert len(counts["chat"].strip()) > 10, counts
    assert counts["svg"] >= 1, counts
    assert counts["chinese"], "the Chinese text renders"
    assert counts["note"] == "above", "the offline note sits above the chat answer: %s" % counts


def test_quickstart_sh_shows_each_cell_its_progress_and_the_answer_in_the_terminal(executed):
    lines = executed["terminal"]
    text = "\n".join(l for _, l in lines)
    assert lines[-1][1] == "(exit 0)", text[-3000:]
    cells = [(t, l) for t, l in lines if re.match(r"^\[\d+/\d+\] ", l)]
    starts = [l.split("] ", 1)[1] for _, l in cells]
    for magic in ("%llamagic", "%build-llama", "%ms-download", "%to-gguf", "%serve", "%chat", "%bench", "%gpu"):
        assert any(s.startswith(magic) for s in starts), "no progress line for %s in:\n%s" % (magic, text[-3000:])
    # the lines came while the notebook ran, not all at its end
    build = next(t for t, l in cells if "%build-llama" in l)
    assert lines[-1][0] - build > 5, "the terminal showed nothing until the end"
    # what each magic said is there: the build's verdict, the download, the offline note, the answer's numbers line
    assert re.search(r"llama\.cpp [0-9a-f]{7}", text), text[-3000:]
    assert "随机权重" in text and "random weights" in text
    chat_at = starts.index(next(s for s in starts if s.startswith("%chat")))
    after_chat = text.split(cells[chat_at][1], 1)[1]
    assert re.search(r"tokens", after_chat), after_chat[:2000]


def test_quickstart_sh_prints_nothing_that_looks_like_a_failure(executed):
    text = "\n".join(l for _, l in executed["terminal"])
    for noise in ("Passed unknown parameter", "does not support parameter introspection", "Loop started",
                  "Loop stopped", "Traceback", "WARNING", "SLF4J"):
        assert noise not in text, "%r in the terminal:\n%s" % (noise, text[-3000:])
