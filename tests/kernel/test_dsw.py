"""%dsw through the real kernel, against a local stand-in for the PAI-DSW API (tests/fixtures/fake_dsw.py) that
checks every request's ROA path, method, x-acs-action / x-acs-version headers and ACS3-HMAC-SHA256 signature,
and answers in the API reference's JSON shapes, errors included. Nothing here reaches beyond 127.0.0.1: the ECS
metadata service is disabled for every kernel."""
import glob
import json
import os
import re
import subprocess
import uuid

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import JAR, Kernel, one_line_error
from aliyun_testing import blank_env, clean, recording, requests_since  # tests/fixtures, on sys.path through conftest
from fake_dsw import FakeDsw

AK_ID = "LTAIfakeAccessKeyId" + uuid.uuid4().hex[:8]
SECRET = "fakeSecret" + uuid.uuid4().hex
INSTANCE = "dsw-test123"


def dsw_env(fake, home, llamagic_home, **extra):
    env = blank_env("DSW_INSTANCE_ID", "LLAMAGIC_DSW_ENDPOINT", "LLAMAGIC_DSW_PROTOCOL")
    env.update({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": AK_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "DSW_INSTANCE_ID": INSTANCE,
        "REGION": "cn-hangzhou",
        "PAI_WORKSPACE_ID": "12345",
        "LLAMAGIC_DSW_ENDPOINT": fake.endpoint,
        "LLAMAGIC_DSW_PROTOCOL": "http",
        "HOME": str(home),
        "LLAMAGIC_HOME": str(llamagic_home),
    })
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def fake():
    f = FakeDsw(AK_ID, SECRET, saving_polls=2).start()
    f.add_instance(INSTANCE)
    f.add_instance("dsw-other456", name="other", status="Stopped")
    yield f
    f.stop()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return {"home": tmp_path_factory.mktemp("dsw-home"), "llamagic": tmp_path_factory.mktemp("dsw-llamagic-home")}


SEEN = []  # every message of every cell, checked for the secret at the end


@pytest.fixture(scope="module")
def dsw(fake, dirs):
    k = Kernel(env=dsw_env(fake, dirs["home"], dirs["llamagic"]))
    recording(k, SEEN)
    yield k
    k.shutdown()


def test_info_shows_this_instance_as_a_table(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw info")
    assert cell.status == "ok", cell.error
    assert "<table" in cell.html and INSTANCE in cell.html
    assert cell.stderr == "" and "SLF4J" not in cell.text, "no logging noise from the SDK"
    for shown in ["Running", "ecs.gn7i-c8g1.2xlarge", "NVIDIA A10 × 1", "8 vCPU · 30 GB",
                  "modelscope:1.25.0-pytorch2.6.0-gpu-py311-cu124-ubuntu22.04", "llm-lab (12345)", "cn-hangzhou"]:
        assert shown in cell.html, shown
    assert [(m, p, a) for m, p, a, q, b in requests_since(fake, n)] == [("GET", "/api/v2/instances/" + INSTANCE, "GetInstance")]
    clean(fake)


def test_bare_dsw_is_info_and_help_lists_subcommands(dsw, fake):
    cell = dsw.execute("%dsw")
    assert cell.status == "ok", cell.error
    assert INSTANCE in cell.html and "Running" in cell.html
    helped = dsw.execute("%dsw --help")
    assert helped.status == "ok"
    for sub in ["info", "snapshot", "snapshots", "timer", "stop", "list"]:
        assert re.search(r"^\s+%s\s" % sub, helped.text, re.M), sub
    sub = dsw.execute("%dsw snapshot --help")
    assert sub.status == "ok"
    assert "--exclude" in sub.text and "--name" in sub.text


def test_timer_set_show_cancel(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw timer 2h")
    assert cell.status == "ok", cell.error
    assert "auto-stop timer set: %s stops in 2 h 00 min, at 20" % INSTANCE in cell.stdout
    created = [r for r in requests_since(fake, n) if r[2] == "CreateInstanceShutdownTimer"]
    assert len(created) == 1
    assert created[0][0] == "POST" and created[0][1] == "/api/v2/instances/%s/shutdowntimer" % INSTANCE
    assert created[0][4] == {"RemainingTimeInMs": 7200000}
    shown = dsw.execute("%dsw timer")
    assert shown.status == "ok"
    assert re.search(r"stops at \S+Z \(in 1 h 59 min\)|stops at \S+Z \(in 2 h 00 min\)", shown.stdout), shown.stdout
    info = dsw.execute("%dsw info")
    assert "auto-stop timer" in info.html
    assert "(in 1 h 59 min)" in info.html or "(in 2 h 00 min)" in info.html
    cancelled = dsw.execute("%dsw timer --cancel")
    assert cancelled.status == "ok"
    assert "cancelled" in cancelled.stdout
    assert [r[0] for r in requests_since(fake, n) if r[2] == "DeleteInstanceShutdownTimer"] == ["DELETE"]
    none = dsw.execute("%dsw timer")
    assert "no auto-stop timer on " + INSTANCE in none.stdout
    clean(fake)


def test_timer_mistakes_are_one_line_and_send_nothing(dsw, fake):
    n = len(fake.requests)
    assert "'2x' is not a duration (use 2h, 30m or 1h30m)" in one_line_error(dsw.execute("%dsw timer 2x"))
    assert "give a duration or --cancel, not both" in one_line_error(dsw.execute("%dsw timer 1h --cancel"))
    assert requests_since(fake, n) == []


def test_snapshot_follows_to_saved_with_a_progress_display(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw snapshot --name tutorial-v1 --exclude /mnt/workspace/models /mnt/data --poll 0.3",
                       timeout=120)
    assert cell.status == "ok", cell.error
    reqs = requests_since(fake, n)
    create = [r for r in reqs if r[2] == "CreateInstanceSnapshot"]
    assert len(create) == 1 and create[0][0] == "POST"
    assert create[0][1] == "/api/v2/instances/%s/snapshots" % INSTANCE
    assert create[0][4] == {"SnapshotName": "tutorial-v1", "ExcludePaths": ["/mnt/workspace/models", "/mnt/data"]}
    polls = [r for r in reqs if r[2] == "GetInstanceSnapshot"]
    assert len(polls) == 3, "Saving, Saving, then Saved"
    assert all(re.fullmatch(r"/api/v2/instances/%s/snapshots/snp-[0-9a-f]+" % INSTANCE, r[1]) for r in polls)
    shown = cell.of("display_data")
    updates = cell.of("update_display_data")
    progress = [m for m in shown if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
    assert len(progress) == 1
    display_id = progress[0]["content"]["transient"]["display_id"]
    assert updates and all(u["content"]["transient"]["display_id"] == display_id for u in updates)
    last = updates[-1]["content"]["data"]
    assert 'data-state="done"' in last["text/html"] and "Saved" in last["text/plain"]
    assert re.search(r"snapshot snp-[0-9a-f]+ Saved after .*: registry\.cn-hangzhou\.aliyuncs\.com/pai-dsw/%s:tutorial-v1"
                     % INSTANCE, cell.stdout), cell.stdout
    clean(fake)


def test_snapshot_that_fails_ends_in_one_line_and_a_failed_bar(dsw, fake):
    cell = dsw.execute("%dsw snapshot --name fail-disk --poll 0.2", timeout=120)
    line = one_line_error(cell)
    assert re.search(r"%dsw snapshot: snapshot snp-[0-9a-f]+ SaveFailed: push to the image registry failed: "
                     r"no space left on device \(ImagePushFailed\)", line), line
    updates = cell.of("update_display_data")
    assert 'data-state="failed"' in updates[-1]["content"]["data"]["text/html"]
    clean(fake)


def test_snapshot_name_is_checked_before_anything_is_sent(dsw, fake):
    n = len(fake.requests)
    line = one_line_error(dsw.execute("%dsw snapshot --name Bad_Name"))
    assert "--name 'Bad_Name' must be lower-case letters, digits and '-'" in line
    assert requests_since(fake, n) == []


def test_interrupting_a_followed_snapshot_stops_following_promptly(dsw, fake):
    fake.saving_polls = 10 ** 6
    try:
        cell = dsw.execute("%dsw snapshot --name slow-one --poll 0.2", timeout=60, interrupt_after=3)
    finally:
        fake.saving_polls = 2
    assert cell.status == "error"
    assert "interrupted" in "".join(cell.error["traceback"])
    after = dsw.execute("%dsw snapshots")
    assert after.status == "ok", after.error
    assert not after.of("error")
    assert "slow-one" in after.html and "Saving" in after.html, "the snapshot goes on in the cloud"


def test_snapshots_lists_them_newest_first(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw snapshots")
    assert cell.status == "ok", cell.error
    html = cell.html
    assert "tutorial-v1" in html and "fail-disk" in html and "SaveFailed" in html and "Saved" in html
    assert html.index("fail-disk") < html.index("tutorial-v1"), "newest first"
    assert "no space left on device (ImagePushFailed)" in html
    listed = [r for r in requests_since(fake, n) if r[2] == "ListInstanceSnapshot"]
    assert len(listed) == 1 and listed[0][0] == "GET" and listed[0][1] == "/api/v2/instances/%s/snapshots" % INSTANCE
    assert listed[0][3]["SortBy"] == "GmtCreateTime" and listed[0][3]["Order"] == "DESC"
    info = dsw.execute("%dsw info")
    assert "latest snapshot" in info.html and "slow-one" in info.html
    clean(fake)


def test_list_shows_the_workspace_instances(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw list")
    assert cell.status == "ok", cell.error
    assert INSTANCE + " (this one)" in cell.html and "dsw-other456" in cell.html and "Stopped" in cell.html
    listed = [r for r in requests_since(fake, n) if r[2] == "ListInstances"]
    assert len(listed) == 1 and listed[0][:2] == ("GET", "/api/v2/instances")
    assert listed[0][3]["WorkspaceId"] == "12345"
    clean(fake)


def test_stop_without_yes_is_refused_in_one_line(dsw, fake):
    n = len(fake.requests)
    line = one_line_error(dsw.execute("%dsw stop --save-image"))
    assert line.endswith("%%dsw stop: not stopped: stopping %s ends this kernel and its GPU time; run %%dsw stop "
                         "--save-image --yes to confirm" % INSTANCE), line
    assert requests_since(fake, n) == [], "nothing was sent"


def test_stop_with_yes_stops_and_saves_the_image(dsw, fake):
    n = len(fake.requests)
    cell = dsw.execute("%dsw stop --save-image --yes --instance dsw-other456")
    assert cell.status == "ok", cell.error
    assert re.search(r"stopping dsw-other456, saving its image first \(request id [0-9A-F-]+\)", cell.stdout), cell.stdout
    stops = requests_since(fake, n)
    assert [(m, p, a, q) for m, p, a, q, b in stops] == [
        ("PUT", "/api/v2/instances/dsw-other456/stop", "StopInstance", {"SaveImage": "true"})]
    assert fake.instances["dsw-other456"]["Status"] == "Stopping"
    assert fake.instances[INSTANCE]["Status"] == "Running", "only the instance asked for"
    clean(fake)


def test_api_errors_are_one_line_each_with_the_request_id(dsw, fake):
    forbidden = one_line_error(dsw.execute("%dsw info --instance dsw-forbidden"))
    assert re.search(r"%dsw info: access denied \(HTTP 403 Forbidden\.RAM\): the credentials from env "
                     r"ALIBABA_CLOUD_ACCESS_KEY_ID lack paidsw:GetInstance; grant it in a RAM policy \(the README's DSW section "
                     r"has one\); request id [0-9A-F-]{36}$", forbidden), forbidden
    snap = one_line_error(dsw.execute("%dsw --instance dsw-forbidden snapshot --name x1"))
    assert "lack paidsw:CreateInstanceSnapshot" in snap
    missing = one_line_error(dsw.execute("%dsw snapshots --instance dsw-nope"))
    assert re.search(r"%dsw snapshots: instance dsw-nope not found in region cn-hangzhou \(HTTP 404 InstanceNotFound\)"
                     r": check DSW_INSTANCE_ID / --instance and REGION / --region; request id [0-9A-F-]{36}$",
                     missing), missing
    throttled = one_line_error(dsw.execute("%dsw timer --instance dsw-throttled"))
    assert re.search(r"%dsw timer: the DSW API is throttling requests \(HTTP 400 Throttling\.User\): wait a minute and "
                     r"run it again; request id [0-9A-F-]{36}$", throttled), throttled
    clean(fake)


def test_a_wrong_secret_is_rejected_by_the_signature_check(dsw, fake):
    fake.secret = "another-secret"
    try:
        line = one_line_error(dsw.execute("%dsw info"))
    finally:
        fake.secret = SECRET
        with fake.lock:
            failures, fake.auth_failures = fake.auth_failures, []
    assert failures == ["SignatureDoesNotMatch"]
    assert "Alibaba Cloud rejected the credentials from env ALIBABA_CLOUD_ACCESS_KEY_ID (HTTP 400 " \
           "SignatureDoesNotMatch)" in line, line


def test_unreachable_endpoint_is_one_line(dsw, fake):
    line = one_line_error(dsw.execute("%dsw info --endpoint 127.0.0.1:1"))
    assert "%dsw info: cannot connect to 127.0.0.1:1" in line, line


def test_plain_java_in_a_cell(dsw, fake):
    cell = dsw.execute('var d = dev.llamagic.engine.dsw.DswClient.connect(dev.llamagic.kernel.Cell.context());\n'
                       'var i = d.instance();\n'
                       'System.out.println(i.id() + " " + i.status() + " " + i.gpus() + " " + d.snapshots().size());')
    assert cell.status == "ok", cell.error
    assert re.fullmatch(r"%s Running NVIDIA A10 × 1 \d+\n" % INSTANCE, cell.stdout), cell.stdout
    clean(fake)


def test_cli_runs_dsw_too(fake, dirs):
    env = {**os.environ, **dsw_env(fake, dirs["home"], dirs["llamagic"])}
    ok = subprocess.run(["java", "-jar", JAR, "dsw", "info"], capture_output=True, text=True, timeout=60, env=env)
    assert ok.returncode == 0, ok.stderr
    assert INSTANCE in ok.stdout and "Running" in ok.stdout
    refused = subprocess.run(["java", "-jar", JAR, "dsw", "stop"], capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "error: dsw stop: not stopped: stopping %s ends this kernel and its GPU time; run dsw stop --yes to confirm"
        % INSTANCE]
    assert SECRET not in ok.stdout + ok.stderr + refused.stdout + refused.stderr


def test_without_credentials_one_line_lists_the_sources_tried(fake, tmp_path):
    home = tmp_path / "empty-home"
    home.mkdir()
    env = dsw_env(fake, home, tmp_path / "llamagic",
                  ALIBABA_CLOUD_ACCESS_KEY_ID="", ALIBABA_CLOUD_ACCESS_KEY_SECRET="", DSW_INSTANCE_ID="", REGION="",
                  LLAMAGIC_DSW_ENDPOINT="", JAVA_TOOL_OPTIONS="-Duser.home=%s" % home)
    k = Kernel(env=env)
    try:
        outside = one_line_error(k.execute("%dsw info", timeout=60))
        assert "%dsw info: not inside a PAI-DSW instance (neither DSW_INSTANCE_ID nor REGION is set)" in outside
        n = len(fake.requests)
        cell = k.execute("%%dsw info --instance %s --endpoint %s" % (INSTANCE, fake.endpoint), timeout=60)
        line = one_line_error(cell)
        assert line == ("%dsw info: no Alibaba Cloud credentials found: inside PAI-DSW the instance's RAM role arrives"
                        " through ALIBABA_CLOUD_CREDENTIALS_URI, elsewhere set ALIBABA_CLOUD_ACCESS_KEY_ID and"
                        " ALIBABA_CLOUD_ACCESS_KEY_SECRET"), line
        assert len(line) < 250, "a short line (the places looked at are listed above it)"
        places = cell.stdout
        for tried in ["system properties alibabacloud.accessKeyId: not set",
                      "env ALIBABA_CLOUD_ACCESS_KEY_ID: not set",
                      "OIDC (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE): not set",
                      "%s: no such file" % (home / ".aliyun" / "config.json"),
                      "%s: no such file" % (home / ".alibabacloud" / "credentials"),
                      "ALIBABA_CLOUD_CREDENTIALS_URI: not set",
                      "ECS RAM role (metadata service): disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED"]:
            assert "\n  " + tried + "\n" in places, (tried, places)
        assert requests_since(fake, n) == [], "nothing unsigned was sent"
    finally:
        k.shutdown()


def test_credentials_from_the_cli_config_file_and_the_credentials_uri(fake, tmp_path):
    """The other chain sources through the real kernel: ~/.aliyun/config.json (the CLI's), and the
    ALIBABA_CLOUD_CREDENTIALS_URI PAI-DSW uses for the instance's RAM role (served here on 127.0.0.1)."""
    import http.server
    import threading
    home = tmp_path / "home"
    (home / ".aliyun").mkdir(parents=True)
    (home / ".aliyun" / "config.json").write_text(json.dumps({"current": "default", "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": AK_ID, "access_key_secret": SECRET,
         "region_id": "cn-hangzhou"}]}))
    env = dsw_env(fake, home, tmp_path / "llamagic", ALIBABA_CLOUD_ACCESS_KEY_ID="",
                  ALIBABA_CLOUD_ACCESS_KEY_SECRET="", JAVA_TOOL_OPTIONS="-Duser.home=%s" % home)
    k = Kernel(env=env)
    try:
        cell = k.execute("%dsw info", timeout=60)
        assert cell.status == "ok", cell.error
        assert INSTANCE in cell.html
    finally:
        k.shutdown()

    served = []
    failing = []

    class Creds(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            served.append(self.path)
            answer = {"Code": "Success", "AccessKeyId": AK_ID, "AccessKeySecret": SECRET,
                      "SecurityToken": "fake-sts-token", "Expiration": "2099-01-01T00:00:00Z"}
            if failing:
                answer["Code"] = "Failed"
            raw = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Creds)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dsw_env(fake, empty, tmp_path / "llamagic2", ALIBABA_CLOUD_ACCESS_KEY_ID="",
                  ALIBABA_CLOUD_ACCESS_KEY_SECRET="", JAVA_TOOL_OPTIONS="-Duser.home=%s" % empty,
                  ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:%d/credentials" % server.server_address[1])
    k = Kernel(env=env)
    n = len(fake.requests)
    try:
        cell = k.execute("%dsw timer", timeout=60)
        assert cell.status == "ok", cell.error
        assert served == ["/credentials"]
        assert fake.requests[n:], "signed with the STS credentials the URI gave"
        failing.append(True)
        bad = k.execute("%dsw timer", timeout=60)
        line = one_line_error(bad)
        assert "no Alibaba Cloud credentials found" in line, line
        assert "  ALIBABA_CLOUD_CREDENTIALS_URI: " in bad.stdout, bad.stdout
        assert bad.stderr == "", "the SDK's own logger stays out of the cell"
        assert SECRET not in json.dumps(bad.messages, default=str), "the server's raw answer is not echoed"
    finally:
        k.shutdown()
        server.shutdown()
        server.server_close()
    clean(fake)


def test_the_secret_never_appears_in_outputs_logs_or_the_saved_notebook(fake, dirs, dsw, tmp_path):
    for code in ["%dsw info", "%dsw info --instance dsw-forbidden", "%dsw timer", "%dsw bogus"]:
        dsw.execute(code)
    nb = nbformat.v4.new_notebook()
    for code in ["%dsw info", "%dsw timer 30m", "%dsw snapshot --name nb-v1 --poll 0.2", "%dsw snapshots",
                 "%dsw list", "%dsw info --instance dsw-forbidden", "%dsw stop"]:
        nb.cells.append(nbformat.v4.new_code_cell(code))
    env = {**os.environ, **dsw_env(fake, dirs["home"], dirs["llamagic"])}
    NotebookClient(nb, kernel_name="llamagic", timeout=120, allow_errors=True).execute(env=env)
    path = tmp_path / "dsw.ipynb"
    nbformat.write(nb, str(path))
    saved = path.read_text()
    assert "nb-v1" in saved and "Saved" in saved and "Forbidden.RAM" in saved, "the notebook ran"
    assert SECRET not in saved
    assert AK_ID not in saved
    seen = json.dumps(SEEN, default=str)
    assert INSTANCE in seen
    assert SECRET not in seen and AK_ID not in seen
    for f in glob.glob(os.path.join(str(dirs["llamagic"]), "**", "*"), recursive=True):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                assert SECRET.encode() not in fh.read(), f
    clean(fake)
