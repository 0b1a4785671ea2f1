"""%eas, %chat --eas and %bench --eas through the real kernel, against a local stand-in for the PAI-EAS API
(tests/fixtures/fake_eas.py) that checks every request's ROA path, method, x-acs-action / x-acs-version, signature
and service JSON, answers in the API reference's shapes (403, throttling and a service that fails to start
included), and runs a deployed service's container script for real: llama-server with the tiny Qwen3 behind a
gateway that requires `Authorization: <the service's token>`. Nothing here leaves 127.0.0.1."""
import glob
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import JAR, Kernel, one_line_error
from aliyun_testing import blank_env, clean, recording, requests_since as since
from fake_eas import FakeEas

AK_ID = "LTAIfakeEasKey" + uuid.uuid4().hex[:8]
SECRET = "fakeEasSecret" + uuid.uuid4().hex
SERVICE = "tiny_q"


def eas_env(fake, home, llamagic_home, **extra):
    env = blank_env("LLAMAGIC_EAS_ENDPOINT", "LLAMAGIC_EAS_PROTOCOL", "LLAMAGIC_EAS_IMAGE")
    env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
                "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "REGION": "cn-hangzhou",
                "LLAMAGIC_EAS_ENDPOINT": fake.endpoint, "LLAMAGIC_EAS_PROTOCOL": "http", "LLAMAGIC_EAS_RETRY_MS": "20",
                "HOME": str(home), "LLAMAGIC_HOME": str(llamagic_home)})
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_model):
    """The bucket the stand-in mounts: oss://test-bucket/ is this directory, holding the tiny GGUF."""
    d = tmp_path_factory.mktemp("oss-test-bucket")
    shutil.copy(tiny_model["gguf"], d / "tiny-q.gguf")
    return d


@pytest.fixture(scope="module")
def fake(llama_bin, models):
    f = FakeEas(AK_ID, SECRET, llama_bin=llama_bin, buckets={"oss://test-bucket/": str(models)}).start()
    f.add_service("chat_bot_prod", status="Running", instances=2)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return {"home": tmp_path_factory.mktemp("eas-home"), "llamagic": tmp_path_factory.mktemp("eas-llamagic-home")}


SEEN = []  # every message of every cell, checked for tokens and secrets at the end


@pytest.fixture(scope="module")
def eas(fake, dirs, llama_bin):
    k = Kernel(env=eas_env(fake, dirs["home"], dirs["llamagic"], LLAMAGIC_LLAMA_BIN=llama_bin))
    recording(k, SEEN)
    yield k
    k.shutdown()


def shown(cell):
    """Every HTML the cell showed, its displays' later updates included."""
    return "".join(m["content"]["data"].get("text/html", "")
                   for m in cell.of("display_data", "execute_result", "update_display_data"))


def test_dry_run_prints_the_service_json_and_the_policy_and_sends_nothing(eas, fake, models):
    n = len(fake.requests)
    cell = eas.execute("%%eas deploy %s %s --oss oss://test-bucket/ --max-instances 3 --qps 4 --dry-run"
                       % (SERVICE, models / "tiny-q.gguf"))
    assert cell.status == "ok", cell.error
    text = cell.text
    blocks = [m["content"]["data"]["text/plain"] for m in cell.of("display_data")]
    body = json.loads(blocks[0])
    assert json.loads(blocks[1])["Statement"][0]["Action"] == ["eas:CreateService", "eas:DescribeService"]
    assert body["name"] == SERVICE and body["metadata"] == {"instance": 1}
    assert body["containers"][0]["script"].startswith("llama-server -m /models/tiny-q.gguf --host 0.0.0.0 --port 8000")
    assert body["storage"] == [{"oss": {"path": "oss://test-bucket/", "readOnly": True}, "mount_path": "/models"}]
    assert body["autoscaler"] == {"min": 1, "max": 3, "scaleStrategies": [{"metricName": "qps", "threshold": 4.0}]}
    assert FakeEas._check_service_json(body) is None, "the stand-in would take it"
    assert '"eas:CreateService"' in text and '"Effect" : "Allow"' in text
    assert "the model must be at oss://test-bucket/tiny-q.gguf" in text
    assert since(fake, n) == [], "a dry run calls nothing"


def test_deploy_follows_to_running_and_chat_and_bench_reach_it_with_the_token(eas, fake, models):
    n = len(fake.requests)
    cell = eas.execute("%%eas deploy %s %s --oss oss://test-bucket/ --ctx 1024 --parallel 2 --poll 0.3 --timeout 5m"
                       % (SERVICE, models / "tiny-q.gguf"), timeout=300)
    assert cell.status == "ok", cell.error
    create = [r for r in since(fake, n) if r[2] == "CreateService"]
    assert len(create) == 1 and create[0][:2] == ("POST", "/api/v2/services")
    assert create[0][4]["containers"][0]["image"] == "registry.cn-hangzhou.aliyuncs.com/llamagic/llama-server:cuda12"
    polls = [r for r in since(fake, n) if r[2] == "DescribeService"]
    assert polls and all(r[:2] == ("GET", "/api/v2/services/cn-hangzhou/" + SERVICE) for r in polls)
    updates = cell.of("update_display_data")
    assert 'data-state="done"' in updates[-1]["content"]["data"]["text/html"], "the progress display ends done"
    assert "service %s Running (1/1 instances) at %s" % (SERVICE, fake.service_url(SERVICE)) in cell.stdout
    token = fake.services[SERVICE]["AccessToken"]

    chat = eas.execute('%%chat --eas %s --max-tokens 8 "Hello"' % SERVICE, timeout=120)
    assert chat.status == "ok", chat.error
    assert 'class="llamagic-chat" data-state="done"' in shown(chat)
    assert (SERVICE, "/v1/chat/completions", 200) in fake.proxied
    assert fake.proxy_refused == []

    bench = eas.execute("%%bench --eas %s --quick --prompts 32 --gen 4 --concurrency 1,2 --reps 1" % SERVICE, timeout=300)
    assert bench.status == "ok", bench.error
    assert "decode tok/s per request" in shown(bench)
    paths = [r[1] for r in fake.proxied if r[2] == 200]
    assert "/props" in paths and paths.count("/completion") >= 3, "the workload went through the gateway"

    # the gateway does check the token: without it, or with another, the same endpoint refuses
    nokey = one_line_error(eas.execute('%%chat --url %s --max-tokens 4 "Hi"' % fake.service_url(SERVICE)))
    assert "401" in nokey, nokey
    assert fake.proxy_refused[-1] == (SERVICE, "missing")
    req = urllib.request.Request(fake.service_url(SERVICE) + "/v1/models", headers={"Authorization": "Bearer " + token})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 401, "EAS takes the token as it is, not as a Bearer token"
    for c in (cell, chat, bench):
        assert token not in json.dumps(c.messages, default=str)
    clean(fake)


def test_list_status_scale_autoscale_logs_stop_start(eas, fake):
    n = len(fake.requests)
    listed = eas.execute("%eas list")
    assert listed.status == "ok", listed.error
    assert "chat_bot_prod" in listed.html and SERVICE in listed.html and "2/2" in listed.html
    assert [r[:3] for r in since(fake, n)] == [("GET", "/api/v2/services", "ListServices")]
    assert since(fake, n)[0][3]["PageNumber"] == "1"
    assert eas.execute("%eas").html.count("<table") == 1, "bare %eas lists"

    status = eas.execute("%eas status chat_bot_prod")
    assert status.status == "ok", status.error
    for shown in ["Running", "2/2 running", fake.service_url("chat_bot_prod"), "hidden", "cn-hangzhou"]:
        assert shown in status.html, shown
    assert fake.services["chat_bot_prod"]["AccessToken"] not in status.html

    n = len(fake.requests)
    scaled = eas.execute("%eas scale chat_bot_prod 3 --poll 0.2")
    assert scaled.status == "ok", scaled.error
    assert "scaling chat_bot_prod from 2 to 3 instances" in scaled.stdout
    assert "service chat_bot_prod Running (3/3 instances)" in scaled.stdout
    upd = [r for r in since(fake, n) if r[2] == "UpdateService"]
    assert [(r[0], r[1], r[4]) for r in upd] == [("PUT", "/api/v2/services/cn-hangzhou/chat_bot_prod",
                                                  {"metadata": {"instance": 3}})]

    n = len(fake.requests)
    auto = eas.execute("%eas autoscale chat_bot_prod --min 1 --max 5 --qps 20")
    assert auto.status == "ok", auto.error
    assert "autoscaling chat_bot_prod between 1 and 5 instances at 20 QPS per instance" in auto.stdout
    calls = [(r[0], r[2]) for r in since(fake, n) if "autoscaler" in r[1]]
    assert calls == [("PUT", "UpdateServiceAutoScaler"), ("POST", "CreateServiceAutoScaler")], "none yet: created"
    assert fake.autoscalers["chat_bot_prod"] == {"min": 1, "max": 5,
                                                 "scaleStrategies": [{"metricName": "qps", "threshold": 20.0}]}
    again = eas.execute("%eas autoscale chat_bot_prod --min 2 --max 6")
    assert again.status == "ok"
    assert fake.autoscalers["chat_bot_prod"]["max"] == 6

    n = len(fake.requests)
    logs = eas.execute("%%eas logs %s --lines 50" % SERVICE)
    assert logs.status == "ok", logs.error
    assert "model loaded" in logs.text
    assert since(fake, n)[0][:4] == ("GET", "/api/v2/services/cn-hangzhou/%s/logs" % SERVICE, "DescribeServiceLog",
                                     {"PageNum": "1", "PageSize": "50"})

    stopped = eas.execute("%eas stop chat_bot_prod --poll 0.2")
    assert stopped.status == "ok", stopped.error
    assert "service chat_bot_prod Stopped" in stopped.stdout
    assert fake.services["chat_bot_prod"]["Status"] == "Stopped"
    started = eas.execute("%eas start chat_bot_prod --poll 0.2")
    assert started.status == "ok", started.error
    assert "service chat_bot_prod Running (3/3 instances)" in started.stdout
    methods = [(r[0], r[1].rsplit("/", 1)[-1], r[2]) for r in fake.requests if r[2] in ("StopService", "StartService")]
    assert methods == [("PUT", "stop", "StopService"), ("PUT", "start", "StartService")]
    clean(fake)


def test_delete_asks_for_yes_then_deletes(eas, fake):
    fake.add_service("old_svc")
    n = len(fake.requests)
    line = one_line_error(eas.execute("%eas delete old_svc"))
    assert line == ("%eas delete: not deleted: deleting old_svc removes the service, its endpoint and its token; run"
                    " %eas delete old_svc --yes to confirm"), line
    assert since(fake, n) == []
    cell = eas.execute("%eas delete old_svc --yes")
    assert cell.status == "ok", cell.error
    assert "deleting old_svc" in cell.stdout
    assert [r[:3] for r in since(fake, n)] == [("DELETE", "/api/v2/services/cn-hangzhou/old_svc", "DeleteService")]
    assert "old_svc" not in fake.services
    clean(fake)


def test_api_errors_are_one_line_each(eas, fake, models, tmp_path):
    fake.add_service("forbidden_svc")
    denied = one_line_error(eas.execute("%eas status forbidden_svc"))
    assert re.fullmatch(r"%eas status: access denied \(HTTP 403 Forbidden\.RAM\): the credentials from env "
                        r"ALIBABA_CLOUD_ACCESS_KEY_ID lack eas:DescribeService; grant it in a RAM policy \(the README's "
                        r"EAS section has one\); request id [0-9A-F-]{36}", denied), denied

    unknown = one_line_error(eas.execute("%eas status chat_bot_prd"))
    assert re.fullmatch(r"%eas status: service chat_bot_prd not found in region cn-hangzhou \(HTTP 404 "
                        r"InvalidService\.NotFound\); request id [0-9A-F-]{36}; did you mean chat_bot_prod\?", unknown), unknown
    chat_unknown = one_line_error(eas.execute('%chat --eas tiny "Hi"'))
    assert chat_unknown.startswith("%chat: service tiny not found") and "did you mean tiny_q?" in chat_unknown

    n = len(fake.requests)
    fake.throttle_next = 2
    ok = eas.execute("%eas list")
    assert ok.status == "ok", "two throttled answers are retried"
    assert len(since(fake, n)) == 3
    fake.throttle_next = 100
    try:
        throttled = one_line_error(eas.execute("%eas list"))
    finally:
        fake.throttle_next = 0
    assert re.fullmatch(r"%eas list: the EAS API is still throttling requests after 4 tries over 0\.14 s \(HTTP 400 "
                        r"Throttling\.User\): wait a minute and run it again; request id [0-9A-F-]{36}", throttled), throttled

    elsewhere = tmp_path / "not-uploaded.gguf"
    shutil.copy(models / "tiny-q.gguf", elsewhere)
    failed = eas.execute("%%eas deploy fail_svc %s --oss oss://test-bucket/ --poll 0.2" % elsewhere, timeout=120)
    line = one_line_error(failed)
    assert re.fullmatch(r"%eas deploy: service fail_svc Failed: CONTAINER_EXITED: llama-server exited 1: failed to load "
                        r"model '/models/not-uploaded\.gguf': no such file \(is it uploaded where the mount points\?\) "
                        r"\(after .+\)", line), line
    assert 'data-state="failed"' in failed.of("update_display_data")[-1]["content"]["data"]["text/html"]

    bad = one_line_error(eas.execute("%%eas deploy Bad-Name %s --oss oss://test-bucket/" % elsewhere))
    assert "service name 'Bad-Name' must start with a lower-case letter" in bad
    clean(fake)


def test_interrupting_a_followed_scale_stops_only_the_following(eas, fake):
    fake.settle_polls = 10 ** 6
    try:
        cell = eas.execute("%eas scale chat_bot_prod 4 --poll 0.2", timeout=60, interrupt_after=3)
    finally:
        fake.settle_polls = 1
    assert cell.status == "error"
    assert "interrupted" in "".join(cell.error["traceback"])
    after = eas.execute("%eas status chat_bot_prod")
    assert after.status == "ok" and "Updating" in after.html, "the scaling goes on in the cloud"


def test_without_credentials_one_line_lists_the_sources_tried(fake, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    env = eas_env(fake, home, tmp_path / "llamagic", ALIBABA_CLOUD_ACCESS_KEY_ID="", ALIBABA_CLOUD_ACCESS_KEY_SECRET="",
                  JAVA_TOOL_OPTIONS="-Duser.home=%s" % home)
    k = Kernel(env=env)
    try:
        n = len(fake.requests)
        cell = k.execute("%eas list", timeout=60)
        line = one_line_error(cell)
        assert line.startswith("%eas list: no Alibaba Cloud credentials found"), line
        assert "  env ALIBABA_CLOUD_ACCESS_KEY_ID: not set" in cell.stdout
        assert since(fake, n) == [], "nothing unsigned was sent"
    finally:
        k.shutdown()


def test_cli_runs_eas_too(fake, dirs):
    env = {**os.environ, **eas_env(fake, dirs["home"], dirs["llamagic"])}
    ok = subprocess.run(["java", "-jar", JAR, "eas", "list"], capture_output=True, text=True, timeout=60, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "chat_bot_prod" in ok.stdout


def test_tokens_and_secrets_never_appear_in_outputs_logs_or_the_saved_notebook(fake, dirs, eas, tmp_path):
    nb = nbformat.v4.new_notebook()
    for code in ["%%eas status %s" % SERVICE, '%%chat --eas %s --max-tokens 4 "Hi"' % SERVICE, "%eas list",
                 "%eas status forbidden_svc"]:
        nb.cells.append(nbformat.v4.new_code_cell(code))
    env = {**os.environ, **eas_env(fake, dirs["home"], dirs["llamagic"])}
    NotebookClient(nb, kernel_name="llamagic", timeout=120, allow_errors=True).execute(env=env)
    path = tmp_path / "eas.ipynb"
    nbformat.write(nb, str(path))
    saved = path.read_text()
    assert SERVICE in saved and "Forbidden.RAM" in saved and "llamagic-chat" in saved, "the notebook ran"
    tokens = [s["AccessToken"] for s in fake.services.values()]
    seen = json.dumps(SEEN, default=str)
    for secret in tokens + [SECRET, AK_ID]:
        assert secret not in saved
        assert secret not in seen
    for f in glob.glob(os.path.join(str(dirs["llamagic"]), "**", "*"), recursive=True):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                data = fh.read()
            for secret in tokens + [SECRET]:
                assert secret.encode() not in data, f
    # no process of ours carries a token in its arguments
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    args = f.read()
            except OSError:
                continue
            for t in tokens:
                assert t.encode() not in args, pid
    clean(fake)
