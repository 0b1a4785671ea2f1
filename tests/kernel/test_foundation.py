"""The foundation, through the real JJava kernel: magics registered, one-line errors, progress bars that
update in place, interrupts that stop the command and its children with nothing leaking into the next cell."""
import re
import subprocess

import nbformat
from nbclient import NotebookClient

from conftest import JAR, one_line_error, wait_gone


def test_llamagic_lists_magics_and_versions(kernel):
    cell = kernel.execute("%llamagic")
    assert cell.status == "ok", cell.error
    assert "%llamagic" in cell.html and "<table" in cell.html
    assert "JJava 1.0-a8" in cell.html, "the kernel's version is read off the running JJava"
    assert "Java" in cell.text and "llamagic" in cell.text


def test_unknown_flag_is_one_clear_line(kernel):
    line = one_line_error(kernel.execute("%llamagic --bogus"))
    assert "Unknown option: '--bogus'" in line
    assert "%llamagic --help" in line
    assert "at " not in line


def test_help(kernel):
    cell = kernel.execute("%llamagic --help")
    assert cell.status == "ok"
    assert "Usage: llamagic" in cell.text


PROGRESS_CELL = """
import dev.llamagic.core.*;
var bar = dev.llamagic.kernel.Cell.notebook().progress("counting", 40, Progress.Unit.COUNT);
for (int i = 1; i <= 40; i++) { Thread.sleep(50); bar.set(i); }
bar.finish("all counted");
"""


def test_progress_bar_updates_in_place_and_ends_full(kernel):
    cell = kernel.execute(PROGRESS_CELL)
    assert cell.status == "ok", cell.error
    shown = cell.of("display_data")
    assert len(shown) == 1, "one display, then updates in place"
    display_id = shown[0]["content"]["transient"]["display_id"]
    updates = cell.of("update_display_data")
    assert all(u["content"]["transient"]["display_id"] == display_id for u in updates)
    # 2 s of work throttled to at most 4 redraws a second: several, but far fewer than the 40 calls
    assert 4 <= len(updates) <= 15, len(updates)
    last = updates[-1]["content"]["data"]
    assert 'data-percent="100.0"' in last["text/html"] and 'data-state="done"' in last["text/html"]
    assert "100%" in last["text/plain"] and "all counted" in last["text/plain"]
    percents = [float(re.search(r'data-percent="([0-9.]+)"', u["content"]["data"]["text/html"]).group(1)) for u in updates]
    assert percents == sorted(percents)


def test_final_progress_state_is_kept_in_the_saved_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(PROGRESS_CELL))
    NotebookClient(nb, kernel_name="llamagic", timeout=120).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, str(path))
    saved = nbformat.read(str(path), as_version=4)
    outputs = [o for o in saved.cells[0].outputs if o.output_type == "display_data"]
    assert len(outputs) == 1
    assert 'data-percent="100.0"' in outputs[0].data["text/html"]


def test_interrupt_kills_the_child_tree_and_nothing_leaks(kernel, tmp_path):
    pids = tmp_path / "pids"
    code = """
import dev.llamagic.core.*;
var ctx = dev.llamagic.kernel.Cell.context();
var child = ChildProcess.start(java.util.List.of("bash", "-c", "sleep 300 & echo $! > %s; echo $$ >> %s; wait"),
        null, null, null, null);
var ticker = new Thread(() -> { for (int i = 0; i < 600; i++) { ctx.notebook().print("tick " + i);
        try { Thread.sleep(100); } catch (InterruptedException e) { return; } } });
ticker.setDaemon(true);
ticker.start();
child.waitFor(ctx, "the test command");
""" % (pids, pids)
    cell = kernel.execute(code, timeout=60, interrupt_after=3)
    assert cell.status == "error"
    assert "tick" in cell.stdout, "the command was running and printing when interrupted"
    listed = [int(p) for p in pids.read_text().split()]
    assert len(listed) == 2
    assert not wait_gone(listed, 10), "bash and its grandchild sleep were killed"
    after = kernel.execute('Thread.sleep(1500); System.out.println("clean");')
    assert after.status == "ok"
    assert after.stdout == "clean\n", "nothing of the interrupted cell leaks into the next: %r" % after.messages
    assert not after.of("display_data", "update_display_data", "error")


def test_cli_runs_the_same_commands():
    ok = subprocess.run(["java", "-jar", JAR, "llamagic"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "%llamagic" in ok.stdout and "terminal" in ok.stdout
    bad = subprocess.run(["java", "-jar", JAR, "llamagic", "--bogus"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == ["error: llamagic: Unknown option: '--bogus' (see llamagic --help)"]


def test_llamagic_needs_no_classpath_scan():
    """%llamagic draws its tables without Tablesaw, whose Table class scans the whole 55 MB jar (ClassGraph) as it
    loads: the command many users run first must not pay for that."""
    out = subprocess.run(["java", "-Xlog:class+load=info", "-jar", JAR, "llamagic"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "dev.llamagic.magic.LlamagicCommand" in out.stdout, "the class-loading log is missing"
    assert "%llamagic" in out.stdout
    assert "io.github.classgraph" not in out.stdout
    assert "tech.tablesaw" not in out.stdout


def test_magic_arguments_expand_notebook_variables(kernel):
    setup = kernel.execute('String WHO = "wor\\"ld $x"; int N = 3;')
    assert setup.status == "ok", setup.error
    cell = kernel.execute("%llamagic $WHO")
    # %llamagic takes no positional arguments: the error line shows the expanded value
    assert cell.status == "error"
    assert 'Unmatched argument at index 0: \'wor"ld $x\'' in "".join(cell.error["traceback"])
    cell = kernel.execute("%llamagic ${N}x $NOPE $$HOME")
    assert "'3x', '$NOPE', '$HOME'" in "".join(cell.error["traceback"])


def test_no_logging_noise_in_cells():
    """A fresh kernel's first table-drawing cell shows no SLF4J start-up warning."""
    from conftest import Kernel
    k = Kernel()
    try:
        cell = k.execute("%llamagic")
        assert cell.status == "ok"
        assert "SLF4J" not in cell.text, cell.text
    finally:
        k.shutdown()
