"""%serve and %chat in the real kernel: the real llama-server (CPU build) on the generated tiny Qwen3, a
streamed chat, a conversation, an interrupt, supervision, one-line errors, and no server left behind when the
kernel restarts or is killed."""
import http.server
import json
import os
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import Kernel, alive, free_port, one_line_error, port_open, wait_gone


# ---- helpers -------------------------------------------------------------------------------------------

def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, json.loads(r.read().decode() or "null")


def _servers(kernel):
    """%serve --list as rows of dicts, read off the HTML table."""
    cell = kernel.execute("%serve --list", timeout=60)
    assert cell.status == "ok", cell.error
    html = cell.html
    if "<table" not in html:
        return []
    heads = re.findall(r"<th>(.*?)</th>", html)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S):
        cells = re.findall(r"<td>(.*?)</td>", tr, re.S)
        rows.append(dict(zip(heads, cells)))
    return rows


def _chat_finals(cell):
    """The final state of the chat display (the last update with data-state done)."""
    ups = cell.of("update_display_data")
    done = [u for u in ups if 'data-state="done"' in u["content"]["data"]["text/html"]]
    return done[-1]["content"]["data"] if done else None


# ---- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def serve_env(llama_bin, tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-home")
    return {"LLAMAGIC_LLAMA_BIN": llama_bin, "LLAMAGIC_HOME": str(home)}


@pytest.fixture(scope="module")
def skernel(serve_env):
    k = Kernel(env=serve_env)
    seen = []
    k.seen_pids = seen
    yield k
    k.shutdown()
    left = wait_gone(seen, 20)
    for p in left:  # never leave a server behind, even when a test failed
        os.kill(p, signal.SIGKILL)
    assert not left, "servers outlived the kernel: %s" % left


@pytest.fixture(scope="module")
def tiny(skernel, tiny_model):
    """One server on the tiny model, started once for the module (one thread: the test machine is shared)."""
    cell = skernel.execute('%%serve "%s" --name tiny -- --threads 1' % tiny_model["gguf"], timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    row = [r for r in _servers(skernel) if r["name"] == "tiny"][0]
    skernel.seen_pids.append(int(row["pid"]))
    return {"cell": cell, "port": int(row["port"]), "pid": int(row["pid"]), "url": row["url"]}


# ---- %serve ----------------------------------------------------------------------------------------------

def test_serve_loads_with_progress_and_is_ready(skernel, tiny, tiny_model):
    cell = tiny["cell"]
    assert "server 'tiny' ready at http://127.0.0.1:%d" % tiny["port"] in cell.stdout
    # the loading display: one progress display updated in place, ending "done"
    shown = [m for m in cell.of("display_data") if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
    assert len(shown) == 1
    final = cell.of("update_display_data")[-1]["content"]["data"]
    assert 'data-state="done"' in final["text/html"] and "ready at" in final["text/plain"]
    # really up: /health answers 200, the process is llama-server, its log is where it says
    assert _get(tiny["url"] + "/health")[0] == 200
    assert _comm(tiny["pid"]) == "llama-server"
    log = re.search(r"log: (\S+)", cell.stdout).group(1)
    assert log.endswith("logs/serve-tiny.log") and os.path.getsize(log) > 0
    assert "--host 127.0.0.1" in cell.stdout and "--port %d" % tiny["port"] in cell.stdout


def test_list_shows_the_server(skernel, tiny, tiny_model):
    rows = _servers(skernel)
    row = [r for r in rows if r["name"] == "tiny"][0]
    assert row["model"] == os.path.basename(tiny_model["gguf"])
    assert row["state"] == "ready"
    assert row["uptime"].endswith(" s") or "min" in row["uptime"]
    assert row["GPU memory"] == ""  # no GPU here


def test_logs_tail(skernel, tiny):
    cell = skernel.execute("%serve --logs tiny --tail 5")
    assert cell.status == "ok", cell.error
    assert "serve-tiny.log (last 5 lines)" in cell.text
    body = re.search(r"<pre>(.*)</pre>", cell.html, re.S).group(1)
    assert len(body.strip().splitlines()) == 5


# ---- %chat -----------------------------------------------------------------------------------------------

def test_chat_streams_into_the_cell(skernel, tiny):
    cell = skernel.execute('%chat --session stream --max-tokens 400 --temp 1 "Tell me a long story."', timeout=180)
    assert cell.status == "ok", cell.error
    shown = [m for m in cell.of("display_data") if "llamagic-chat" in m["content"]["data"]["text/html"]]
    assert len(shown) == 1, "one display, redrawn in place"
    did = shown[0]["content"]["transient"]["display_id"]
    ups = cell.of("update_display_data")
    assert all(u["content"]["transient"]["display_id"] == did for u in ups)
    streaming = [u for u in ups if 'data-state="streaming"' in u["content"]["data"]["text/html"]]
    assert len(streaming) >= 3, "several partial answers were drawn before the end (%d)" % len(streaming)
    lengths = [len(u["content"]["data"]["text/plain"]) for u in streaming]
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0], "the answer grows as tokens arrive"
    final = _chat_finals(cell)
    assert final is not None and ups[-1]["content"]["data"] == final
    stats = final["text/plain"].splitlines()[-1]
    m = re.match(r"prompt (\d+) tokens · generated (\d+) tokens · TTFT [\d.]+ m?s · ([\d.]+) tokens/s \(server\) · "
                 r"([\d.]+) tokens/s \(client\)", stats)
    assert m, stats
    assert int(m.group(1)) > 5 and 0 < int(m.group(2)) <= 400
    assert float(m.group(3)) > 0 and float(m.group(4)) > 0


def test_no_think_and_markdown_escaping(skernel, tiny):
    cell = skernel.execute('%chat --session nothink --no-think --max-tokens 30 "Hi"', timeout=120)
    assert cell.status == "ok", cell.error
    final = _chat_finals(cell)
    assert "<script" not in final["text/html"]
    assert "llamagic-answer" in final["text/html"]


def test_cell_magic_body_and_history(skernel, tiny):
    cell = skernel.execute('%%chat --session body --new --max-tokens 8\nThe message is\nthe cell body.', timeout=120)
    assert cell.status == "ok", cell.error
    assert _chat_finals(cell) is not None
    hist = skernel.execute("%chat --session body --history")
    assert hist.status == "ok", hist.error
    assert "session 'body' (1 exchanges)" in hist.text
    assert "user: The message is\nthe cell body." in hist.text


class _Proxy(http.server.ThreadingHTTPServer):
    """A loopback proxy in front of llama-server that records every chat request body and answer text."""
    daemon_threads = True


def _proxy(upstream):
    seen = []

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with urllib.request.urlopen(upstream + self.path, timeout=10) as r:
                body = r.read()
                self.send_response(r.status)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            record = {"request": json.loads(body), "answer": "", "path": self.path}
            seen.append(record)
            req = urllib.request.Request(upstream + self.path, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=120) as r:
                self.send_response(r.status)
                self.send_header("Content-Type", r.headers.get("Content-Type"))
                self.end_headers()
                for line in r:
                    self.wfile.write(line)
                    self.wfile.flush()
                    s = line.decode().strip()
                    if s.startswith("data: {"):
                        for ch in json.loads(s[6:]).get("choices", []):
                            record["answer"] += ch.get("delta", {}).get("content") or ""

    srv = _Proxy(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


def test_consecutive_chats_form_a_conversation(skernel, tiny):
    proxy, seen = _proxy(tiny["url"])
    try:
        url = "http://127.0.0.1:%d" % proxy.server_address[1]
        first = skernel.execute('%%chat --url %s --session conv --new --system "Be brief." --max-tokens 12 "My name is Ada."' % url,
                                timeout=120)
        assert first.status == "ok", first.error
        second = skernel.execute('%%chat --url %s --session conv --max-tokens 12 "What is my name?"' % url, timeout=120)
        assert second.status == "ok", second.error
        other = skernel.execute('%%chat --url %s --session other --max-tokens 4 "Unrelated."' % url, timeout=120)
        assert other.status == "ok", other.error
        fresh = skernel.execute('%%chat --url %s --session conv --new --max-tokens 4 "Again."' % url, timeout=120)
        assert fresh.status == "ok", fresh.error
    finally:
        proxy.shutdown()
    # the chat requests themselves (fitting the context also posts the messages to /apply-template first)
    chats = [s for s in seen if s["path"].endswith("/chat/completions")]
    assert len(chats) == 4
    m1 = chats[0]["request"]["messages"]
    m2 = chats[1]["request"]["messages"]
    assert [m["role"] for m in m1] == ["system", "user"]
    assert [m["role"] for m in m2] == ["system", "user", "assistant", "user"]
    assert m2[1]["content"] == "My name is Ada."
    assert m2[2]["content"] == chats[0]["answer"].strip(), "the second request carries the first answer"
    assert m2[3]["content"] == "What is my name?"
    assert [m["role"] for m in chats[2]["request"]["messages"]] == ["user"], "another session starts empty"
    assert [m["role"] for m in chats[3]["request"]["messages"]] == ["user"], "--new forgets the history and the system prompt"
    assert chats[0]["request"]["stream"] is True


def test_server_conversation_grows_its_prompt(skernel, tiny):
    """Without the proxy: against the server itself, the second prompt holds the first exchange."""
    def prompt_tokens(cell):
        return int(re.search(r"prompt (\d+) tokens", _chat_finals(cell)["text/plain"]).group(1))
    a = skernel.execute('%chat --server tiny --session grow --new --no-think --max-tokens 20 "First question."', timeout=120)
    b = skernel.execute('%chat --server tiny --session grow --no-think --max-tokens 20 "Second question."', timeout=120)
    assert a.status == "ok" and b.status == "ok", (a.error, b.error)
    generated = int(re.search(r"generated (\d+) tokens", _chat_finals(a)["text/plain"]).group(1))
    assert prompt_tokens(b) >= prompt_tokens(a) + generated // 2


def test_java_api(skernel, tiny):
    cell = skernel.execute('var ctx = dev.llamagic.kernel.Cell.context();\n'
                           'var s = dev.llamagic.engine.serve.Servers.of(ctx).get("tiny");\n'
                           'var r = dev.llamagic.engine.chat.Chat.ask(ctx, dev.llamagic.engine.chat.ChatRequest.to(s.url())'
                           '.apiKey(s.apiKey()).user("Hello").maxTokens(20).build());\n'
                           'System.out.println(s.name() + " " + s.port() + " " + s.pid() + " " + s.state() + " "'
                           ' + (r.generatedTokens() > 0) + " " + (r.timings() != null));', timeout=120)
    assert cell.status == "ok", cell.error
    assert cell.stdout.strip() == "tiny %d %d READY true true" % (tiny["port"], tiny["pid"])


def test_interrupt_stops_the_generation(skernel, tiny):
    cell = skernel.execute('%chat --session long --max-tokens 100000 --temp 1 "Write forever."', timeout=60, interrupt_after=3)
    assert cell.status == "error"
    assert "interrupted" in "".join(cell.error["traceback"])  # JJava's own "Evaluation interrupted."
    assert [u for u in cell.of("update_display_data") if 'data-state="streaming"' in u["content"]["data"]["text/html"]], \
        "it was streaming when interrupted"
    # the server stops generating at once: every slot idle within a few seconds
    deadline = time.time() + 5
    busy = True
    while time.time() < deadline and busy:
        busy = any(s.get("is_processing") for s in _get(tiny["url"] + "/slots")[1])
        time.sleep(0.2)
    assert not busy, "a slot is still generating after the interrupt"
    after = skernel.execute('%chat --session long --max-tokens 5 "Short one."', timeout=60)
    assert after.status == "ok", after.error
    assert "%chat was interrupted" not in after.text


# ---- one clear line for each mistake --------------------------------------------------------------------

def test_missing_model_file(skernel):
    line = one_line_error(skernel.execute("%serve /nonexistent/model.gguf"), prefix_required=True)
    assert line == "%serve: no such file: /nonexistent/model.gguf"


def test_not_a_gguf(skernel, tmp_path):
    bad = tmp_path / "fake.gguf"
    bad.write_bytes(b"PK\x03\x04not a model")
    line = one_line_error(skernel.execute("%%serve %s" % bad), prefix_required=True)
    assert line == "%%serve: %s is not a GGUF file (it is a zip archive)" % bad


def test_busy_port_is_refused_with_its_owner(skernel, tiny, tiny_model):
    line = one_line_error(skernel.execute('%%serve "%s" --port %d' % (tiny_model["gguf"], tiny["port"])),
                          prefix_required=True)
    assert line == ("%%serve: port %d is in use by server 'tiny' (stop it with %%serve --stop tiny, or use --port auto)"
                    % tiny["port"])
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        port = s.getsockname()[1]
        line = one_line_error(skernel.execute('%%serve "%s" --port %d' % (tiny_model["gguf"], port)),
                              prefix_required=True)
        assert line.startswith("%%serve: port %d is in use by process %d (" % (port, os.getpid())), line
    finally:
        s.close()


def test_unknown_flag_is_refused_before_launch(skernel, tiny_model):
    before = {r["name"] for r in _servers(skernel)}
    line = one_line_error(skernel.execute('%%serve "%s" -- --flash-atention on' % tiny_model["gguf"]),
                          prefix_required=True)
    assert line == ("%serve: llama-server does not know the flag --flash-atention (did you mean --flash-attn?) "
                    "(see its --help: %serve --server-help)")
    line = one_line_error(skernel.execute('%%serve "%s" --bogus' % tiny_model["gguf"]), prefix_required=True)
    assert line == "%serve: Unknown option: '--bogus' (see %serve --help)"
    assert {r["name"] for r in _servers(skernel)} == before, "nothing was started"


def test_chat_without_a_server(serve_env):
    k = Kernel(env=serve_env)
    try:
        line = one_line_error(k.execute('%chat "hello"'), prefix_required=True)
        assert line == ("%chat: no server is running: start one with %serve <model.gguf> "
                        "(or chat with any endpoint: --url URL)")
        line = one_line_error(k.execute('%chat --server nope "hello"'), prefix_required=True)
        assert line == "%chat: no server named 'nope' (none started: %serve <model.gguf>)"
        port = free_port()
        line = one_line_error(k.execute('%%chat --url http://127.0.0.1:%d "hello"' % port), prefix_required=True)
        assert line == "%%chat: cannot reach http://127.0.0.1:%d/v1 (connection refused)" % port
    finally:
        k.shutdown()


# ---- flags fitted to the binary, the preset, stop and restart -------------------------------------------

def test_tutorial_flags_are_fitted_and_preset_applies(skernel, tiny_model):
    cell = skernel.execute('%%serve "%s" --name q3 --preset qwen3 -- -fa -np 1' % tiny_model["gguf"], timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    out = cell.stdout
    assert "note: bare -fa means '-fa on' for this llama-server (it wants on|off|auto)" in out
    assert "note: CPU-only llama.cpp build: every layer stays in RAM (no -ngl)" in out
    assert re.search(r"note: context 40960: its KV cache \(.*\) and the weights \(.*\) fit in the .* free RAM", out), out
    start = re.search(r"starting 'q3': llama-server (.*)", out).group(1)
    for part in ["-c 40960", "-fa on", "--temp 0.6", "--top-k 20", "--top-p 0.95", "--min-p 0.0",
                 "--reasoning-format deepseek", "-fa on -np 1"]:
        assert part in start, (part, start)
    assert "-ngl" not in start
    rows = {r["name"]: r for r in _servers(skernel)}
    pid = int(rows["q3"]["pid"])
    skernel.seen_pids.append(pid)
    # restart: same name and port, a new process
    cell = skernel.execute("%serve --restart q3", timeout=300)
    assert cell.status == "ok", cell.error
    rows2 = {r["name"]: r for r in _servers(skernel)}
    assert rows2["q3"]["port"] == rows["q3"]["port"] and rows2["q3"]["pid"] != rows["q3"]["pid"]
    assert not wait_gone([pid], 10)
    pid2 = int(rows2["q3"]["pid"])
    skernel.seen_pids.append(pid2)
    # stop: gone from the list and from the machine
    cell = skernel.execute("%serve --stop q3", timeout=60)
    assert cell.status == "ok", cell.error
    assert "stopped 'q3' (pid %d" % pid2 in cell.stdout
    assert not wait_gone([pid2], 10)
    assert "q3" not in {r["name"] for r in _servers(skernel)}


def test_other_host_warns_and_api_key_is_used(skernel, tiny_model):
    cell = skernel.execute('%%serve "%s" --name pub --host 0.0.0.0 --api-key sekrit -- -t 1' % tiny_model["gguf"], timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    assert "warning: --host 0.0.0.0 makes the server reachable from other machines (it asks for the API key)" in cell.stderr
    assert "sekrit" not in cell.text, "the key is not shown"
    with open("/proc/%d/cmdline" % int(re.search(r"pid (\d+)\)", cell.stdout).group(1))) as f:
        assert "sekrit" not in f.read(), "the key is not on the command line (ps): it goes by LLAMA_API_KEY"
    row = {r["name"]: r for r in _servers(skernel)}["pub"]
    skernel.seen_pids.append(int(row["pid"]))
    try:
        ok = skernel.execute('%chat --server pub --session pub --max-tokens 4 "hi"', timeout=120)
        assert ok.status == "ok", ok.error  # the server's own key is sent
        line = one_line_error(skernel.execute('%%chat --url %s --max-tokens 4 "hi"' % row["url"], timeout=60),
                              prefix_required=True)
        assert line.startswith("%%chat: %s/v1 refused the request (401" % row["url"]), line
        assert line.endswith("pass the server's key with --api-key"), line
        ok = skernel.execute('%%chat --url %s --api-key sekrit --max-tokens 4 "hi"' % row["url"], timeout=120)
        assert ok.status == "ok", ok.error
    finally:
        skernel.execute("%serve --stop pub", timeout=60)
    assert not wait_gone([int(row["pid"])], 10)


def test_interrupt_while_loading_stops_the_server(skernel, serve_env, tiny_model):
    _servers(skernel)  # a warm kernel: the interrupt must find the magic running, not JShell compiling the cell
    cell = skernel.execute('%%serve "%s" --name halfway -- -t 1' % tiny_model["gguf"], timeout=120, interrupt_after=1.0)
    if cell.status == "ok":
        skernel.execute("%serve --stop halfway", timeout=60)
        pytest.skip("the model loaded before the interrupt arrived")
    # JJava answers the interrupt at once while the magic's thread still cleans up: give it a moment
    deadline = time.time() + 10
    while time.time() < deadline and "halfway" in {r["name"] for r in _servers(skernel)}:
        time.sleep(0.5)
    assert "halfway" not in {r["name"] for r in _servers(skernel)}
    log = os.path.join(serve_env["LLAMAGIC_HOME"], "logs", "serve-halfway.log")
    if not os.path.exists(log):
        pytest.skip("interrupted before llama-server was launched")
    header = [l for l in open(log) if l.startswith("=== llamagic")][-1]
    port = int(re.search(r"--port (\d+)", header).group(1))
    deadline = time.time() + 10
    while time.time() < deadline and port_open(port):
        time.sleep(0.2)
    assert not port_open(port), "the interrupted server still listens on %d" % port


def test_a_failed_load_shows_why(skernel, tmp_path):
    # a GGUF header with nothing behind it: llama-server starts, then exits while loading
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (5).to_bytes(8, "little") + (0).to_bytes(8, "little"))
    cell = skernel.execute("%%serve %s --name broken" % bad, timeout=120)
    line = one_line_error(cell, prefix_required=True)
    assert line.startswith("%serve: llama-server exited while loading broken.gguf (exit code 1)"), line
    assert "log: " in line
    block = [m for m in cell.of("display_data") if "llamagic-serve-failed" in m["content"]["data"].get("text/html", "")]
    assert len(block) == 1, "the reason shows in one block"
    assert "<pre" in block[0]["content"]["data"]["text/html"]


# ---- nothing outlives the kernel --------------------------------------------------------------------------

def _start_in(k, gguf, name):
    cell = k.execute('%%serve "%s" --name %s -- -t 1' % (gguf, name), timeout=300)
    assert cell.status == "ok", (cell.error, cell.text)
    rows = {r["name"]: r for r in _servers(k)}
    return int(rows[name]["pid"])


def test_stop_all_and_kernel_restart_leave_no_server(serve_env, tiny_model):
    k = Kernel(env=serve_env)
    try:
        a = _start_in(k, tiny_model["gguf"], "a")
        b = _start_in(k, tiny_model["gguf"], "b")
        cell = k.execute("%serve --stop all", timeout=60)
        assert cell.status == "ok"
        assert "stopped 'a'" in cell.stdout and "stopped 'b'" in cell.stdout
        assert not wait_gone([a, b], 10)
        c = _start_in(k, tiny_model["gguf"], "c")
        assert _comm(c) == "llama-server"
        k.km.restart_kernel(now=False)
        assert not wait_gone([c], 20), "the server outlived the restart of its kernel"
    finally:
        k.shutdown()


def test_kill_9_of_the_kernel_leaves_no_server(serve_env, tiny_model):
    k = Kernel(env=serve_env)
    pid = None
    try:
        pid = _start_in(k, tiny_model["gguf"], "orphan")
        jvm = k.execute("System.out.println(ProcessHandle.current().pid());")
        jvm_pid = int(jvm.stdout.strip())
        assert _comm(jvm_pid) == "java"
        os.kill(jvm_pid, signal.SIGKILL)
        assert not wait_gone([pid], 20), "the server outlived a kill -9 of its kernel (no shutdown hook ran: the lifeline must kill it)"
    finally:
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        k.shutdown()
