"""scripts/run_notebook.py's TerminalProgress: what ./quickstart.sh prints while a cell's progress bar moves, fed
the kernel's own message shapes (display_data, then update_display_data under the same display_id)."""
import io
import os
import sys

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import run_notebook  # noqa: E402


def msg(kind, **content):
    return {"header": {"msg_type": kind}, "content": content}


def bar(n, display="b1"):
    return {"data": {"text/plain": "building llama.cpp [%d/200] %d%%" % (n, n // 2)}, "transient": {"display_id": display}}


def test_a_moving_bar_is_printed_every_few_seconds_and_once_in_its_final_form():
    now = [0.0]
    out = io.StringIO()
    p = run_notebook.TerminalProgress(out=out, every=5.0, clock=lambda: now[0])
    p.cells = 2
    p.cell_start({"cell_type": "code", "source": "// build\n%build-llama --backend cpu"}, 0)
    p.message(msg("display_data", **bar(0)))
    for n in range(1, 201):
        now[0] += 0.5  # an update every half second for 100 s
        p.message(msg("update_display_data", **bar(n)))
    p.message(msg("stream", name="stdout", text="%build-llama: built and verified llama.cpp de3ff81\n"))
    p.message(msg("status", execution_state="idle"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/2] %build-llama --backend cpu"
    progress = [l for l in lines if "building llama.cpp" in l]
    assert 15 <= len(progress) <= 25, lines  # about one every 5 s over 100 s, not 200
    assert progress[0].strip() == "building llama.cpp [0/200] 0%"
    assert progress[-1].strip() == "building llama.cpp [200/200] 100%"
    assert sum(1 for l in progress if "[200/200]" in l) == 1
    assert lines[-1].strip() == "%build-llama: built and verified llama.cpp de3ff81"


def test_errors_and_long_outputs_stay_short():
    out = io.StringIO()
    p = run_notebook.TerminalProgress(out=out, max_lines=5)
    p.cells = 1
    p.cell_start({"cell_type": "code", "source": "%gpu\n"}, 0)
    p.message(msg("display_data", data={"text/plain": "\n".join("row %d" % i for i in range(50))}))
    p.message(msg("error", ename="MagicFailed", evalue="%gpu: no GPU\nsecond line", traceback=[]))
    lines = out.getvalue().splitlines()
    assert lines[1:5] == ["    row 0", "    row 1", "    row 2", "    row 3"]
    assert lines[5] == "    … (46 more lines)"
    assert lines[6] == "    error: %gpu: no GPU"


def test_the_java_parameters_cell_is_understood():
    cell = {"source": 'String MODEL_ID = "Qwen/Qwen3-0.6B";   // model id\nint MAX_TOKENS = 2048;\n'
                      'boolean OFFLINE = false; // offline demo\n// a comment\n'}
    params = run_notebook.JavaTranslator.inspect(cell)
    assert [(x.name, x.inferred_type_name, x.default, x.help) for x in params] == [
        ("MODEL_ID", "String", '"Qwen/Qwen3-0.6B"', "model id"), ("MAX_TOKENS", "int", "2048", ""),
        ("OFFLINE", "boolean", "false", "offline demo")]
