"""Runs a llamagic notebook headless, papermill-style: the cell tagged `parameters` holds Java variables;
-p NAME VALUE overrides them in an injected cell right after it; magics see them as $NAME. Writes the
executed notebook and, with --html, an HTML export.

    python scripts/run_notebook.py IN.ipynb OUT.ipynb [-p NAME VALUE]... [--html OUT.html] [--kernel llamagic]
"""
import argparse
import json
import os
import sys

import papermill
from papermill.translators import Translator, papermill_translators


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

    @classmethod
    def translate_dict(cls, val):
        raise ValueError("llamagic notebooks take strings, numbers and booleans as parameters")

    translate_list = translate_dict


papermill_translators.register("java", JavaTranslator)


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
    a = ap.parse_args(argv)
    params = {k: typed(v) for k, v in a.p}
    try:
        # the kernel works in the executed notebook's folder, as Jupyter runs a notebook in its own: files a cell
        # writes by a relative path (the quantization benchmark's --save quantization.csv) land beside it, never
        # in the directory this script was started from (a checkout)
        papermill.execute_notebook(a.input, a.output, parameters=params, kernel_name=a.kernel, language="java",
                                   progress_bar=False, log_output=True, execution_timeout=a.timeout,
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
