"""%ms-download through the real kernel against the fake ModelScope hub (tests/fixtures/fake_hub.py):
byte-identical results under every fault kind, resume after an interrupt without re-fetching completed ranges,
fast re-runs, replaced wrong content, one clear line for each bad input, the official on-disk layout."""
import json
import os
import pickle
import re
import subprocess
import sys
import time

import pytest

from conftest import JAR, ROOT, one_line_error
import fake_hub  # from tests/fixtures, on sys.path through conftest

REPO = "acme/tiny-1.5"
BIG = "model-00001-of-00002.safetensors"
FILES = {
    "config.json": '{"architectures": ["FakeForCausalLM"]}',
    "tokenizer.json": 3 << 20,
    "docs/README.md": 7000,
    BIG: 110 << 20,
    "model-00002-of-00002.safetensors": 20 << 20,
    "empty.txt": b"",
}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """{"models": dir served by the hub, "sha": {path: sha256}} — generated once, ~135 MB."""
    models = tmp_path_factory.mktemp("hub-models")
    sha = fake_hub.generate_model(str(models / REPO), FILES, seed=20261201)
    return {"models": models, "sha": sha}


def assert_identical(model, out):
    for rel, want in model["sha"].items():
        got = fake_hub.sha256_of(os.path.join(out, rel))
        assert got == want, "%s differs from the hub's file" % rel


def download(kernel, hub, out, extra="", timeout=240, **kw):
    return kernel.execute("%%ms-download %s --endpoint %s --local_dir %s %s" % (REPO, hub.url, out, extra),
                          timeout=timeout, **kw)


# ---- byte-identical under every fault kind

FAULTS = {
    "reset": ["reset:file=*.safetensors,every=2,times=3", "reset:file=tokenizer.json"],
    "truncate": ["truncate:file=*.safetensors,every=2,times=3", "truncate:file=config.json"],
    "corrupt": ["corrupt:file=%s,every=3,times=1" % BIG, "corrupt:file=docs/*"],
    "stall": ["stall:file=%s,every=2,times=2,seconds=4" % BIG],
    "http500": ["http500:every=2,times=4", "http503:file=%s,times=2" % BIG],
    "range200": ["range200:file=*.safetensors,every=2,times=3", "range200:file=config.json"],
    "range200-full": ["range200-full:file=%s,every=3,times=2" % BIG, "range200-full:file=tokenizer.json"],
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_download_is_byte_identical_under_fault(kernel, model, fake_hub_factory, tmp_path, kind):
    hub = fake_hub_factory(model["models"], faults=FAULTS[kind])
    out = tmp_path / "out"
    cell = download(kernel, hub, out, "--range-size 16M --timeout 1.5")
    assert cell.status == "ok", (cell.error, cell.text[-3000:])
    assert all(f.fired > 0 for f in hub.faults), hub.faults
    assert_identical(model, out)
    # one progress bar, ending full, with the files count; then the table
    bars = [m for m in cell.of("display_data") if "llamagic-progress" in m["content"]["data"].get("text/html", "")]
    assert len(bars) == 1
    last = cell.of("update_display_data")[-1]["content"]["data"]
    assert 'data-state="done"' in last["text/html"] and "6/6 files" in last["text/plain"]
    assert "<table" in cell.html and "sha256 ok" in cell.html and BIG in cell.html
    # nothing half-written left behind: staging is empty, the official index lists every file
    assert not [p for p in (out / "._____temp").rglob("*") if p.is_file()]
    msc = pickle.load(open(out / ".msc", "rb"))
    assert sorted(e["Path"] for e in msc) == sorted(FILES)
    if kind == "corrupt":
        assert "refetch" in cell.text


def test_large_files_come_in_parallel_ranges_through_the_redirect(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    out = tmp_path / "out"
    cell = download(kernel, hub, out, "--range-size 16M")
    assert cell.status == "ok", cell.error
    assert_identical(model, out)
    api = [r for r in hub.log if r["server"] == "api" and r["file"] == BIG]
    assert api and all(r["status"] == 302 for r in api), "file requests go to the API and are redirected"
    bodies = hub.body_requests(BIG)
    assert all(r["server"] == "blob" for r in bodies)
    # 6 ranges of 16 MiB and the 14 MiB rest, read over 4 connections: spans of 2, 2, 2 and 1 ranges, one request each
    spans = sorted((r["start"], r["end"]) for r in bodies)
    assert spans == [(0, (32 << 20) - 1), (32 << 20, (64 << 20) - 1), (64 << 20, (96 << 20) - 1),
                     (96 << 20, FILES[BIG] - 1)], spans
    assert len({r["snapshot"] for r in hub.log if r["file"]}) == 1, "one snapshot-identifier per run"
    ua = [r for r in hub.log if "/api/v1/models/" in r["path"]][0]["user_agent"]
    assert ua.startswith("llamagic/") and "session_id/" in ua and "env/" in ua


# ---- resume after an interrupt

def test_interrupt_stops_promptly_and_resume_fetches_only_what_is_missing(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"], bandwidth=6 << 20)
    out = tmp_path / "out"
    t0 = time.monotonic()
    cell = download(kernel, hub, out, "--range-size 8M --connections 6", interrupt_after=3)
    stopped = time.monotonic() - t0
    assert cell.status == "error" and "interrupted" in "".join(cell.error["traceback"])
    assert stopped < 3 + 8, "the transfers stopped promptly (%.1f s)" % stopped
    # JJava answers the interrupt at once, while the download is still stopping (saving its journal): the next
    # magic waits until it has (CommandsTest covers the wait itself), as a user's re-run of the cell would
    after = kernel.execute("%llamagic")
    assert after.status == "ok", after.error
    assert not (out / BIG).exists(), "an incomplete file is never in place"
    journal = out / "._____temp" / (BIG + ".llamagic-ranges")
    assert journal.exists()
    ranges = json.loads(journal.read_text())["ranges"]
    complete = [(r["start"], r["start"] + r["done"]) for r in ranges if r["done"] > 0]
    assert complete and sum(b - a for a, b in complete) < FILES[BIG], "partly done"
    # no transfer starts after the interrupt, and those in flight were cut (the hub logs a request when it ends)
    replied = time.time()
    time.sleep(2)
    assert all(r["t"] <= replied for r in hub.log), [r for r in hub.log if r["t"] > replied]
    late = [r for r in hub.body_requests(BIG) if r["end"] - r["start"] + 1 > r["sent"]]
    assert late, "the interrupted ranges are incomplete on the hub's side too"

    hub.clear_log()
    hub.bandwidth = None
    cell = download(kernel, hub, out, "--range-size 8M --connections 6")
    assert cell.status == "ok", cell.error
    assert_identical(model, out)
    asked = [(r["start"], r["end"] + 1) for r in hub.body_requests(BIG)]
    for a, b in asked:
        for c, d in complete:
            assert b <= c or a >= d, "bytes %d-%d were complete before the resume but fetched again (%d-%d)" % (c, d, a, b)
    assert "resumed" in cell.html


# ---- re-runs: skip fast, replace wrong content, reuse what the official client left

def test_rerun_skips_and_wrong_content_is_replaced(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    out = tmp_path / "out"
    assert download(kernel, hub, out).status == "ok"
    hub.clear_log()
    again = download(kernel, hub, out)
    assert again.status == "ok", again.error
    assert hub.body_requests() == [], "nothing fetched again"
    assert again.html.count("skipped: verified before") == len(FILES)

    # same size, wrong bytes (a later mtime): hashed, found wrong, replaced
    with open(out / "tokenizer.json", "r+b") as f:
        f.seek(1000)
        f.write(b"garbage!")
    hub.clear_log()
    fixed = download(kernel, hub, out)
    assert fixed.status == "ok", fixed.error
    assert {r["file"] for r in hub.body_requests()} == {"tokenizer.json"}
    assert_identical(model, out)

    # a directory without our record (as the official client leaves it): hashed once, nothing fetched
    os.remove(out / ".llamagic-verified.json")
    hub.clear_log()
    reused = download(kernel, hub, out)
    assert reused.status == "ok"
    assert hub.body_requests() == []
    assert "sha256 checked now" in reused.html


def test_official_partial_file_in_staging_is_resumed(kernel, model, fake_hub_factory, tmp_path):
    """The official client stages ._____temp/<Path> as a growing prefix; we continue it."""
    hub = fake_hub_factory(model["models"])
    out = tmp_path / "out"
    part = out / "._____temp" / BIG
    part.parent.mkdir(parents=True)
    with open(model["models"] / REPO / BIG, "rb") as src, open(part, "wb") as dst:
        dst.write(src.read(40 << 20))
    cell = download(kernel, hub, out, "--include '*.safetensors' --range-size 16M")
    assert cell.status == "ok", cell.error
    assert min(r["start"] for r in hub.body_requests(BIG)) >= 40 << 20
    assert fake_hub.sha256_of(out / BIG) == model["sha"][BIG]
    assert not (out / "config.json").exists(), "--include kept to the safetensors"


def test_cache_dir_uses_the_official_cache_layout(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    cell = kernel.execute("%%ms-download --model %s --endpoint %s --cache_dir %s --include config.json docs/"
                          % (REPO, hub.url, tmp_path / "cache"))
    assert cell.status == "ok", cell.error
    root = tmp_path / "cache" / "acme" / "tiny-1___5"
    assert (root / "config.json").exists() and (root / "docs" / "README.md").exists()
    # staged in the official cache's ._____temp/<owner>/<name>, which is removed once empty
    assert not (tmp_path / "cache" / "._____temp" / "acme" / "tiny-1.5").exists()
    assert pickle.load(open(root / ".mdl", "rb")) == {"id": "acme/tiny-1___5"}
    assert (root / ".mv").read_text().startswith("Revision:master,CreatedAt:")
    assert sorted(e["Path"] for e in pickle.load(open(root / ".msc", "rb"))) == ["config.json", "docs/README.md"]


# ---- tokens

def test_token_required_and_never_sent_to_the_storage_host(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"], token="s3cret")
    line = one_line_error(download(kernel, hub, tmp_path / "a"))
    assert "%ms-download" in line and "needs a ModelScope token" in line and "--token" in line and "401" in line
    line = one_line_error(download(kernel, hub, tmp_path / "b", "--token wrong"))
    assert "refused the token" in line and "403" in line
    hub.clear_log()
    cell = download(kernel, hub, tmp_path / "c", "--token s3cret --include *.json")
    assert cell.status == "ok", cell.error
    api = [r for r in hub.log if r["server"] == "api"]
    assert all(r["cookie"] == "m_session_id=s3cret" and r["authorization"] == "Bearer s3cret" for r in api)
    blobs = [r for r in hub.log if r["server"] == "blob"]
    assert blobs and all(r["cookie"] is None and r["authorization"] is None for r in blobs), \
        "the token must not follow the redirect to another host"


# ---- bad input: one clear line each

def test_unknown_model(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    line = one_line_error(kernel.execute("%%ms-download acme/nope --endpoint %s --local_dir %s" % (hub.url, tmp_path)))
    assert "model acme/nope does not exist" in line


def test_unknown_revision_lists_the_valid_ones(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    hub.add_tag(REPO, "v1.0")
    line = one_line_error(download(kernel, hub, tmp_path, "--revision v9"))
    assert "no revision 'v9'" in line and "master" in line and "v1.0" in line
    ok = download(kernel, hub, tmp_path / "t", "--revision v1.0 --include config.json")
    assert ok.status == "ok", ok.error
    assert any("Revision=v1.0" in r["path"] for r in hub.log if r["server"] == "api")


def test_include_matching_nothing(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    line = one_line_error(download(kernel, hub, tmp_path, "--include *.gguf"))
    assert "--include *.gguf matches none of the 6 files" in line


def test_listed_path_escaping_the_target_is_refused(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    hub.add_entry(REPO, "../../evil.sh", size=10)
    line = one_line_error(download(kernel, hub, tmp_path / "out"))
    assert "refusing" in line and "../../evil.sh" in line and "escapes" in line
    assert not (tmp_path / "evil.sh").exists() and hub.body_requests() == []


def test_no_space_left_says_how_much_is_needed(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    hub.add_entry(REPO, "huge.bin", size=1 << 50)
    line = one_line_error(download(kernel, hub, tmp_path / "out"))
    assert "not enough disk space" in line and "needs 1024 TiB" in line and "free" in line
    assert hub.body_requests() == [], "checked before any byte is fetched"


def test_final_sha_mismatch_names_file_and_hashes(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"], faults=["corrupt:file=tokenizer.json,times=0"])
    """A hub that corrupts every response: repair fetches copies until it gives up, in one line naming the file."""
    line = one_line_error(download(kernel, hub, tmp_path / "out", "--include tokenizer.json"))
    assert "sha256 mismatch for tokenizer.json that repair could not fix" in line, line
    assert re.search(r"\d+ of \d+ ranges never agreed in 8 copies", line), line
    assert not (tmp_path / "out" / "tokenizer.json").exists()


def test_missing_and_malformed_model_id(kernel):
    assert "which model?" in one_line_error(kernel.execute("%ms-download"))
    assert "owner/name" in one_line_error(kernel.execute("%ms-download justaname --endpoint http://127.0.0.1:9"))


def test_unreachable_hub_is_one_line(kernel, tmp_path):
    line = one_line_error(kernel.execute("%%ms-download a/b --endpoint http://127.0.0.1:9 --local_dir %s" % tmp_path))
    assert "cannot reach the hub at http://127.0.0.1:9" in line


# ---- the same command from a terminal, endpoint from the environment

def test_cli_with_modelscope_endpoint_env(model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"], region="cn-test")
    env = {**os.environ, "MODELSCOPE_ENDPOINT": hub.url}
    env.pop("INTRA_CLOUD_ACCELERATION", None)
    r = subprocess.run(["java", "-jar", JAR, "ms-download", REPO, "--local_dir", str(tmp_path / "o"), "--include",
                        "*.json"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "intranet acceleration: region cn-test" in r.stdout
    assert (tmp_path / "o" / "tokenizer.json").exists()
    downloads = [x for x in hub.log if x["file"] and x["server"] == "api"]
    assert downloads and all(x["region"] == "cn-test" for x in downloads)
    env["INTRA_CLOUD_ACCELERATION"] = "False"
    hub.clear_log()
    r = subprocess.run(["java", "-jar", JAR, "ms-download", REPO, "--local_dir", str(tmp_path / "p"), "--include",
                        "config.json"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert not any("internalAccelerationInfo" in x["path"] for x in hub.log)
    bad = subprocess.run(["java", "-jar", JAR, "ms-download", "acme/nope"], capture_output=True, text=True,
                         timeout=120, env=env)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "error: ms-download: model acme/nope does not exist on %s/ (check the id, e.g. Qwen/Qwen3-4B)" % hub.url]


def test_fake_hub_runs_as_a_script(model, tmp_path):
    """The offline quickstart and notebook tests start the hub as a process: first line is its URL."""
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fixtures", "fake_hub.py"), "--models-dir",
                          str(model["models"]), "--fault", "reset:1", "--bandwidth", "100000000"],
                         stdout=subprocess.PIPE, text=True)
    try:
        url = p.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        r = subprocess.run(["java", "-jar", JAR, "ms-download", REPO, "--endpoint", url, "--local_dir",
                            str(tmp_path / "o"), "--include", "tokenizer.json"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert fake_hub.sha256_of(tmp_path / "o" / "tokenizer.json") == model["sha"]["tokenizer.json"]
    finally:
        p.kill()
        p.wait()


def test_java_api_returns_the_directory(kernel, model, fake_hub_factory, tmp_path):
    hub = fake_hub_factory(model["models"])
    out = tmp_path / "api"
    cell = kernel.execute(
        'var dir = dev.llamagic.engine.hub.ModelScope.download(dev.llamagic.kernel.Cell.context(), '
        'new dev.llamagic.engine.hub.ModelScope.Options("%s").endpoint("%s").localDir("%s").include("*.json"));\n'
        'System.out.println("DIR=" + dir);' % (REPO, hub.url, out))
    assert cell.status == "ok", cell.error
    assert "DIR=%s" % out in cell.stdout
    assert fake_hub.sha256_of(out / "tokenizer.json") == model["sha"]["tokenizer.json"]
    assert not (out / BIG).exists()
