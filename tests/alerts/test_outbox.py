"""The outbox backend: RFC 5322 .eml files and an index.html that previews them."""

from __future__ import annotations

from datetime import timedelta

from alerts.digest import run_digests
from alerts.message import parse
from alerts.notify import run_ilo_notifications
from tests.alerts.support import NOW, notice, store


def test_outbox_holds_eml_files_and_a_preview_index(engine, config, secret, tmp_path):
    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(tmp_path / "outbox")
    store(engine, config, [notice("o1", "Cryostat <i>x</i>", areas=["cryogenics"])])
    notified = run_ilo_notifications(engine, config, now=NOW + timedelta(minutes=5))
    digests = run_digests(engine, config, now=NOW + timedelta(minutes=10))
    assert notified.sent == 1 and digests.sent >= 1
    emls = sorted((tmp_path / "outbox").glob("**/*.eml"))
    assert len(emls) == notified.sent + digests.sent
    kinds = {parse(p.read_bytes())["X-Tenderwatch-Kind"] for p in emls}
    assert kinds == {"digest", "ilo-notification"}
    index = (tmp_path / "outbox" / "index.html").read_text()
    for p in emls:
        assert p.relative_to(tmp_path / "outbox").as_posix() in index
        assert p.with_suffix(".html").exists()
    assert "<iframe" in index and "sandbox" in index
    assert "<i>x</i>" not in index and "<i>x</i>" not in "".join(p.with_suffix(".html").read_text() for p in emls)


def test_index_writers_racing_each_other_all_succeed_and_leave_the_newest_list(engine, config, secret, tmp_path):
    """The health job, a crawl's check and ``run --once`` may each end a delivery run at once: every one
    of them writes the index. They once shared one temporary file, and all but one failed."""
    import threading

    from alerts.outbox_index import write_index

    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(tmp_path / "outbox")
    store(engine, config, [notice("race", "Cryostat race", areas=["cryogenics"])])
    assert run_ilo_notifications(engine, config, now=NOW + timedelta(minutes=5)).sent == 1
    errors: list[BaseException] = []

    def write(barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            write_index(engine, config)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    for _ in range(20):
        barrier = threading.Barrier(6)
        threads = [threading.Thread(target=write, args=(barrier,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    root = tmp_path / "outbox"
    eml = next(root.glob("**/*.eml")).relative_to(root).as_posix()
    assert eml in (root / "index.html").read_text()
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == [".index.lock", "index.html"]
