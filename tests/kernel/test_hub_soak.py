"""%ms-download through the real kernel under a seeded random mix of faults (issue 13): a quarter of the body
requests reset, truncated, answered 500, stalled, or with one 4 KiB block silently corrupted; the download still
ends byte-identical, in bounded time, and repairs the corrupted ranges instead of fetching the file again."""
import time

import fake_hub  # from tests/fixtures, on sys.path through conftest

REPO = "acme/soak"
BIG = "model.safetensors"
SIZE = 24 << 20


def test_a_quarter_of_requests_faulted_of_every_kind_still_gives_the_same_bytes(kernel, fake_hub_factory, tmp_path):
    models = tmp_path / "models"
    sha = fake_hub.generate_model(str(models / REPO), {"config.json": '{"architectures": ["X"]}', BIG: SIZE},
                                  seed=13)
    # seed 3 draws every kind within the first 30 requests, corruption among the first two
    mix = fake_hub.FaultMix(0.25, seed=3, seconds=4)
    hub = fake_hub_factory(models, faults=[mix])
    out = tmp_path / "out"
    t0 = time.monotonic()
    # a request per range (--streams 24): many requests, so that every kind strikes and repair has work to do
    cell = kernel.execute("%%ms-download %s --endpoint %s --local_dir %s --range-size 1M --streams 24 --timeout 1.5"
                          % (REPO, hub.url, out), timeout=120)
    took = time.monotonic() - t0
    assert cell.status == "ok", (cell.error, cell.text[-3000:])
    assert took < 60, "%.1f s" % took
    for rel, want in sha.items():
        assert fake_hub.sha256_of(out / rel) == want, rel
    assert set(mix.counts) == set(fake_hub.FaultMix.KINDS), mix
    assert "repaired" in cell.text, cell.text[-2000:]
    # cuts resume where they stopped and a corrupted range costs about the ranges up to it, not the file again
    sent = fake_hub.body_bytes_sent(hub.log, BIG)
    assert sent < 2.5 * SIZE, "%d bytes sent for a %d-byte file (%s)" % (sent, SIZE, mix)
    assert not [p for p in out.rglob("*") if p.is_file() and "llamagic-tmp" in p.name]
    assert not (out / "._____temp").exists()
