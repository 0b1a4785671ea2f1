"""%serve --router: the real llama-server's router mode serving two tiny models at one URL (the tiny GGUF under two
names), %chat --model reaching each (the answer's model field), --list showing them, --ttl unloading an idle one."""
import json
import os
import re
import shutil
import time
import urllib.request

import pytest

from conftest import Kernel, one_line_error


@pytest.fixture(scope="module")
def rkernel(llama_bin, tmp_path_factory):
    home = tmp_path_factory.mktemp("router-home")
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(home)})
    yield k
    k.execute("%serve --stop all", timeout=60)
    k.shutdown()


@pytest.fixture(scope="module")
def models_dir(tiny_model, tmp_path_factory):
    d = tmp_path_factory.mktemp("router-models")
    for name in ("tiny-a", "tiny-b"):
        shutil.copyfile(tiny_model["gguf"], str(d / (name + ".gguf")))
    return d


def _rows(kernel):
    cell = kernel.execute("%serve --list", timeout=60)
    assert cell.status == "ok", cell.error
    heads = re.findall(r"<th>(.*?)</th>", cell.html)
    return [dict(zip(heads, re.findall(r"<td>(.*?)</td>", tr, re.S)))
            for tr in re.findall(r"<tr>(.*?)</tr>", cell.html.split("<tbody>")[1], re.S)]


def _statuses(url):
    with urllib.request.urlopen(url + "/models", timeout=10) as r:
        return {m["id"]: m["status"]["value"] for m in json.loads(r.read())["data"]}


def _footer(cell):
    ups = [u for u in cell.of("update_display_data") if 'data-state="done"' in u["content"]["data"]["text/html"]]
    assert ups, cell.text
    return ups[-1]["content"]["data"]["text/html"]


def test_router_serves_two_models_and_chat_reaches_each(rkernel, models_dir):
    cell = rkernel.execute('%%serve --router "%s" --name duo --ctx 512 --ttl 4 -- --threads 1' % models_dir, timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    m = re.search(r"router 'duo' ready at (http://127\.0\.0\.1:\d+) \(OpenAI API: \S+/v1, pid \d+\) serving 2 models: "
                  r"tiny-a, tiny-b — each loads on its first request and unloads after 4 s idle; "
                  r"%chat --model tiny-a \"\.\.\.\" talks to one; %serve --stop duo stops it", cell.stdout)
    assert m, cell.stdout
    url = m.group(1)
    assert "--models-dir %s" % models_dir in cell.stdout and "--sleep-idle-seconds 4" in cell.stdout
    row = [r for r in _rows(rkernel) if r["name"] == "duo"][0]
    assert row["model"] == "router: tiny-a (unloaded), tiny-b (unloaded)", row

    for name in ("tiny-a", "tiny-b"):
        chat = rkernel.execute('%%chat --server duo --model %s --session %s --max-tokens 5 "Hello"' % (name, name),
                               timeout=300)
        assert chat.status == "ok", chat.text
        assert "duo @ %s · model %s" % (url, name) in _footer(chat)

    # each was loaded on its first request; an idle one goes to sleep after the TTL
    deadline = time.time() + 120
    while time.time() < deadline and _statuses(url).get("tiny-a") != "sleeping":
        time.sleep(1)
    assert _statuses(url)["tiny-a"] == "sleeping"
    row = [r for r in _rows(rkernel) if r["name"] == "duo"][0]
    assert "tiny-a (sleeping)" in row["model"], row
    # and the next request wakes it
    again = rkernel.execute('%chat --server duo --model tiny-a --session tiny-a --max-tokens 3 "Again"', timeout=300)
    assert again.status == "ok", again.text


def test_router_of_files(rkernel, models_dir):
    a, b = str(models_dir / "tiny-a.gguf"), str(models_dir / "tiny-b.gguf")
    cell = rkernel.execute('%%serve --router "%s" "%s" --name pair -- --threads 1' % (a, b), timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    assert "router 'pair' ready at" in cell.stdout and "serving 2 models: tiny-a, tiny-b" in cell.stdout
    row = [r for r in _rows(rkernel) if r["name"] == "pair"][0]
    assert row["model"] == "router: tiny-a (unloaded), tiny-b (unloaded)", row
    rkernel.execute("%serve --stop pair", timeout=60)


@pytest.mark.parametrize("cell, expected", [
    ('%serve --router /nonexistent --ttl soon', "%serve: --ttl takes a positive number of seconds (not 'soon')"),
    ('%serve --router /nonexistent --ttl 0', "%serve: --ttl takes a positive number of seconds (not '0')"),
])
def test_bad_values_are_one_line(rkernel, cell, expected):
    assert one_line_error(rkernel.execute(cell), prefix_required=True) == expected
