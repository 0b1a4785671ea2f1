"""Every tutorial notebook, executed headless offline (papermill through scripts/run_notebook.py, kernel
`llamagic`) on the generated tiny model served by the local ModelScope hub, then checked: no error cells, tables
present, the chat produced text. The executed quickstart is then opened in JupyterLab in headless Chromium."""
import glob
import os
import re
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import quickstart  # noqa: E402
from offline_world import offline_world  # noqa: E402

NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
ARTIFACTS = os.path.join(ROOT, ".ci-artifacts")


@pytest.fixture(scope="module")
def world():
    with offline_world() as params:
        yield params


@pytest.fixture(scope="module")
def executed(world, tmp_path_factory, llama_build):
    out = str(tmp_path_factory.mktemp("executed"))
    done = {}
    for nb in NOTEBOOKS:
        extra = dict(world)
        done[os.path.basename(nb)] = quickstart.run(nb, out, extra)
    return done


def outputs(nb, cell_source_start):
    for c in nb.cells:
        if c.cell_type == "code" and c.source.lstrip().startswith(cell_source_start):
            return c.outputs
    raise AssertionError("no cell starting with %r" % cell_source_start)


def html_of(outs):
    return "".join(o.get("data", {}).get("text/html", "") for o in outs if o.output_type in ("display_data", "execute_result"))


def test_there_are_three_tutorials():
    names = [os.path.basename(n) for n in NOTEBOOKS]
    assert names == ["01-quickstart.ipynb", "02-qwen3-4b-on-dsw.ipynb", "03-quantization-benchmark.ipynb"]


def test_committed_notebooks_carry_no_hand_made_outputs():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, "%s: one cell tagged parameters" % path
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs, "%s: committed outputs must come from a real run, or be cleared" % path


@pytest.mark.parametrize("name", [os.path.basename(n) for n in NOTEBOOKS])
def test_notebook_runs_offline_without_errors(executed, name):
    nb = nbformat.read(executed[name], as_version=4)
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        errors = [o for o in c.outputs if o.output_type == "error"]
        assert not errors, "%s: cell %r failed: %s" % (name, c.source[:80], errors[0].get("evalue"))
    tables = sum(html_of(c.outputs).count("<table") for c in nb.cells if c.cell_type == "code")
    assert tables >= 3, "%s: the magics' tables are in the outputs" % name
