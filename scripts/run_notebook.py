"""Runs a llamagic notebook headless, papermill-style: the cell tagged `parameters` holds Java variables;
-p NAME VALUE overrides them in an injected cell right after it; magics see them as $NAME. Writes the
executed notebook and, with --html, an HTML export.

    python scripts/run_notebook.py IN.ipynb OUT.ipynb [-p NAME VALUE]... [--html OUT.html] [--kernel llamagic]
"""
import argparse
import json
import os
import re
import sys
import time

import papermill
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.models import Parameter
from papermill.translators import Translator, papermill_translators
from papermill.utils import merge_kwargs, remove_args


class JavaTranslator(Translator):
    """Papermill parameters as Java statements (JShell accepts redeclaring a variable)."""

    @classmethod
    def translate_str(cls, val):
        return json.dumps(val, ensure_ascii=False)  # a JSON string is a valid Java string literal here

    @classmethod
    def translate_none(cls, val):
        return "null"

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_int(cls, val):
        return str(val) + ("L" if abs(val) > 2**31 - 1 else "")

    @classmethod
    def translate_float(cls, val):
        return repr(val)

    @classmethod
    def comment(cls, cmt_str):
        return "// " + cmt_str.strip()

    @classmethod
    def assign(cls, name, str_val):
        kind = "String" if str_val.startswith('"') else "var"
        return "%s %s = %s;" % (kind, name, str_val)

    # a declaration in the parameters cell: `String MODEL_ID = "Qwen/Qwen3-0.6B";  // help`
    DECLARATION = re.compile(r"^\s*(?:final\s+)?([A-Za-z_][\w<>\[\]]*)\s+([A-Za-z_]\w*)\s*=\s*(.+?);\s*(?://\s*(.*))?$")

    @classmethod
    def inspect(cls, parameters_cell):
        """The parameters a Java parameters cell declares, so papermill knows them (and says nothing of them)."""
        params = []
        for line in parameters_cell["source"].splitlines():
            m = cls.DECLARATION.match(line)
            if m:
                kind, name, default, help_ = m.groups()
                params.append(Parameter(name=name, inferred_type_name=kind, default=default.strip(), help=(help_ or "").strip()))
        return params

    @classmethod
    def translate_dict(cls, val):
        raise ValueError("llamagic notebooks take strings, numbers and booleans as parameters")

    translate_list = translate_dict


papermill_translators.register("java", JavaTranslator)


class TerminalProgress:
    """What a person watching the terminal needs while a notebook runs headless: a line per cell (its first line of
    code), what the cell prints, live displays (progress bars, the streamed chat answer) at most every few seconds
    and once more in their final form, and errors. Writes to `out` (stdout), flushing each line."""

    def __init__(self, out=sys.stdout, every=5.0, max_lines=30, clock=time.monotonic):
        self.out, self.every, self.max_lines, self.clock = out, every, max_lines, clock
        self.live = {}  # display_id -> [last text, printed text, last print time]
        self.cells = 0
        self.index = 0

    def say(self, text, indent="    "):
        lines = text.rstrip("\n").splitlines() or [""]
        if len(lines) > self.max_lines:
            lines = lines[: self.max_lines - 1] + ["… (%d more lines)" % (len(lines) - self.max_lines + 1)]
        for line in lines:
            self.out.write(indent + line + "\n")
        self.out.flush()

    def cell_start(self, cell, index):
        self.flush()
        if cell.get("cell_type") != "code":
            return
        self.index += 1
        code = [l for l in cell.get("source", "").splitlines() if l.strip() and not l.strip().startswith("//")]
        first = code[0].strip() if code else "(empty)"
        more = " …" if len(code) > 1 else ""
        self.say("[%d/%d] %s%s" % (self.index, self.cells, first[:120], more), indent="")

    def message(self, msg):
        kind, content = msg["header"]["msg_type"], msg.get("content", {})
        if kind == "stream":
            self.say(content.get("text", ""))
        elif kind == "error":
            lines = (content.get("evalue") or content.get("ename") or "").strip().splitlines()
            self.say("error: " + (lines[0] if lines else "the cell failed"))
        elif kind in ("display_data", "update_display_data", "execute_result"):
            text = content.get("data", {}).get("text/plain")
            if text is None:
                return
            display = content.get("transient", {}).get("display_id")
            if display is None:
                self.say(text)
                return
            now = self.clock()
            state = self.live.setdefault(display, [text, None, 0.0])
            state[0] = text
            if kind == "display_data" or now - state[2] >= self.every:
                if state[1] != text:
                    self.say(text)
                    state[1], state[2] = text, now
        elif kind == "status" and content.get("execution_state") == "idle":
            self.flush()

    def flush(self):
        """Prints each live display's final form, if the last line printed was not it."""
        for state in self.live.values():
            if state[1] != state[0]:
                self.say(state[0])
                state[1] = state[0]
        self.live.clear()


class ProgressClient(PapermillNotebookClient):
    progress = None

    def process_message(self, msg, cell, cell_index):
        if self.progress is not None:
            self.progress.message(msg)
        return super().process_message(msg, cell, cell_index)


class TerminalEngine(NBClientEngine):
    """papermill's nbclient engine, reporting progress in the terminal as the cells run."""

    progress = None

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        progress = cls.progress
        if progress is not None:
            progress.cells = sum(1 for c in nb_man.nb.cells if c.cell_type == "code")
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=False,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            on_cell_start=(lambda cell, cell_index: progress.cell_start(cell, cell_index)) if progress else None,
        )
        final_kwargs = {k: v for k, v in final_kwargs.items() if v is not None}
        client = ProgressClient(nb_man, **final_kwargs)
        client.progress = progress
        try:
            return client.execute()
        finally:
            if progress is not None:
                progress.flush()


papermill_engines.register("llamagic-terminal", TerminalEngine)


def typed(v):
    """As papermill's CLI does for -p: booleans and numbers become typed, the rest stays a string."""
    if v in ("True", "true", "False", "false"):
        return v in ("True", "true")
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            pass
    return v


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    ap.add_argument("--html")
    ap.add_argument("--kernel", default="llamagic")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("--quiet", action="store_true", help="no progress in the terminal")
    a = ap.parse_args(argv)
    TerminalEngine.progress = None if a.quiet else TerminalProgress()
    params = {k: typed(v) for k, v in a.p}
    try:
        # the kernel works in the executed notebook's folder, as Jupyter runs a notebook in its own: files a cell
        # writes by a relative path (the quantization benchmark's --save quantization.csv) land beside it, never
        # in the directory this script was started from (a checkout)
        papermill.execute_notebook(a.input, a.output, parameters=params, kernel_name=a.kernel, language="java",
                                   progress_bar=False, log_output=False, execution_timeout=a.timeout,
                                   engine_name="llamagic-terminal",
                                   cwd=os.path.dirname(os.path.abspath(a.output)))
    finally:
        if a.html:
            import nbformat
            from nbconvert import HTMLExporter
            nb = nbformat.read(a.output, as_version=4)
            body, _ = HTMLExporter().from_notebook_node(nb)
            with open(a.html, "w", encoding="utf-8") as f:
                f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
