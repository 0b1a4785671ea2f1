"""A %chat conversation that outgrows the server's context: the real llama-server on the tiny Qwen3 with a small
--ctx, several long turns; the oldest turns are left out (the numbers line says so), no request is refused."""
import re

import pytest

from conftest import Kernel, one_line_error

CTX = 512


@pytest.fixture(scope="module")
def ckernel(llama_bin, tmp_path_factory):
    home = tmp_path_factory.mktemp("chat-context-home")
    k = Kernel(env={"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(home)})
    yield k
    k.execute("%serve --stop all", timeout=60)
    k.shutdown()


@pytest.fixture(scope="module")
def small(ckernel, tiny_model):
    cell = ckernel.execute('%%serve "%s" --name small --ctx %d --parallel 1 -- --threads 1' % (tiny_model["gguf"], CTX),
                           timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    return cell


def _numbers(cell):
    """The numbers line under the answer (the last line of the final display's text)."""
    ups = [u for u in cell.of("update_display_data") if 'data-state="done"' in u["content"]["data"]["text/html"]]
    assert ups, cell.text
    return ups[-1]["content"]["data"]["text/plain"].strip().splitlines()[-1]


def _long(topic, words=60):
    return " ".join("%s%d" % (topic, i % 7) for i in range(words))


def test_a_conversation_that_outgrows_the_context_is_trimmed(ckernel, small):
    first = ckernel.execute('%%chat --server small --session grow --new --system "Be brief." --no-think --max-tokens 40 "%s"'
                            % _long("apple"), timeout=180)
    assert first.status == "ok", first.text
    assert "trimmed" not in _numbers(first)
    notes = []
    for i, topic in enumerate(["pear", "plum", "fig", "kiwi"]):
        cell = ckernel.execute('%%chat --server small --session grow --no-think --max-tokens 40 "%s"' % _long(topic),
                               timeout=180)
        assert cell.status == "ok", (i, cell.text)  # never "answered 400: ... exceeds the available context size"
        line = _numbers(cell)
        prompt = int(re.search(r"prompt (\d+) tokens", line).group(1))
        assert prompt + 40 <= CTX, line
        notes.append(re.search(r"trimmed (\d+) earlier turns? to fit the (\d+)-token context", line))
    assert notes[0] is None  # two turns still fit
    assert any(notes), notes
    m = [n for n in notes if n][-1]
    assert int(m.group(1)) >= 1 and int(m.group(2)) == CTX
    # the conversation itself keeps every exchange
    hist = ckernel.execute("%chat --session grow --history")
    assert "session 'grow' (5 exchanges)" in hist.text


def test_the_default_answer_is_bounded_by_what_is_left(ckernel, small):
    cell = ckernel.execute('%%chat --server small --session bound --new --temp 1 "%s"' % _long("apple", 150), timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    line = _numbers(cell)
    prompt = int(re.search(r"prompt (\d+) tokens", line).group(1))
    generated = int(re.search(r"generated (\d+) tokens", line).group(1))
    assert prompt + generated <= CTX, line


def test_a_message_too_long_alone_is_one_line(ckernel, small):
    cell = ckernel.execute('%%chat --server small --session huge --new "%s"' % _long("grape", 700), timeout=120)
    line = one_line_error(cell, prefix_required=True)
    assert re.fullmatch(r"%%chat: the message needs \d+ prompt tokens: it does not fit the server's %d-token context "
                        r"with room for a 128-token answer \(shorten it, lower --max-tokens, or serve with a larger --ctx\)"
                        % CTX, line), line
