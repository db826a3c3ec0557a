"""The ledger at scale: rows written in bulk, the outbox rewritten rather than duplicated, one SMTP
connection per batch, retention and pruning, the migration of stored messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alerts.digest import AlertsError, run_digests
from alerts.ledger import Outgoing, enqueue_many, prune, unpack
from alerts.message import address, build_message, parse
from alerts.outbox_index import prune_outbox
from alerts.outgoing import deliver_pending
from alerts.transport import OutboxTransport
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import NOW, LoopbackController, Recorder, company, notice, set_companies, store


def _mail(config: Any, recipient: str, period: str = "2025-W23", kind: str = "digest") -> Outgoing:
    msg = build_message(kind=kind, from_address=config.settings.mail.from_address, to=[address(None, recipient)],
                        subject=f"Digest for {recipient}", text="calls\n", html="<p>calls</p>\n")
    return Outgoing.of(msg, recipient=recipient, kind=kind, period_key=period, preview="<p>calls</p>\n")


def test_rows_are_written_in_bulk_once(engine, config) -> None:
    first = enqueue_many(engine, [_mail(config, f"r{i}@example.nl") for i in range(5)], NOW)
    assert [m.recipient for m in first] == [f"r{i}@example.nl" for i in range(5)] and all(m.id for m in first)
    again = enqueue_many(engine, [_mail(config, "r1@example.nl"), _mail(config, "new@example.nl"),
                                  _mail(config, "r1@example.nl", period="2025-W24")], NOW)
    assert [(m.recipient, m.period_key) for m in again] == [("new@example.nl", "2025-W23"),
                                                             ("r1@example.nl", "2025-W24")]
    with session_scope(engine) as s:
        rows = s.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert len(rows) == 7 and all(r.status == "pending" and r.size for r in rows)
    assert parse(unpack(rows[0].message))["To"] == "r0@example.nl"  # the message, compressed, byte for byte


def test_an_outbox_batch_written_but_not_marked_is_rewritten_not_duplicated(engine, config, secret, tmp_path):
    """The state a kill between writing a batch's files and marking it leaves: the next run writes the
    same files again (a mail's file name follows from its ledger row), so each mail is there once."""
    outbox = tmp_path / "outbox"
    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(outbox)
    written = enqueue_many(engine, [_mail(config, f"r{i}@example.nl") for i in range(4)], NOW)
    transport = OutboxTransport(outbox)
    first = [transport.send(item, sender="tw@example.nl") for item in written[:3]]  # ... and then the kill
    report = deliver_pending(engine, config, now=NOW)
    assert report.sent == 4
    emls = sorted(p.relative_to(outbox).as_posix() for p in outbox.rglob("*.eml"))
    assert len(emls) == 4 and {w.removeprefix("outbox:") for w in first} <= set(emls)
    with session_scope(engine) as s:
        locations = sorted(s.scalars(select(Delivery.location)))
    assert locations == sorted(f"outbox:{e}" for e in emls)
    index = (outbox / "index.html").read_text()
    assert all(index.count(e) == 1 for e in emls)  # built from the ledger: each mail listed once
    assert deliver_pending(engine, config, now=NOW + timedelta(days=1)).sent == 0


class CountingRecorder(Recorder):
    """Also counts the SMTP sessions (EHLO/HELO greetings), i.e. connections."""

    sessions: int = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        CountingRecorder.sessions += 1
        session.host_name = hostname
        return responses


def test_smtp_sends_each_batch_on_one_connection(engine, smtp_config) -> None:
    recorder = CountingRecorder()
    CountingRecorder.sessions = 0
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        smtp_config.settings.mail.smtp.port = controller.port
        smtp_config.settings.mail.batch_size = 2
        set_companies(engine, smtp_config, [company(f"b{i}", areas=["cryogenics"]) for i in range(5)])
        store(engine, smtp_config, [notice("s1", "Helium liquefier", areas=["cryogenics"],
                                           now=NOW - timedelta(days=1))], now=NOW - timedelta(days=1))
        report = run_digests(engine, smtp_config, now=NOW)
    finally:
        controller.stop()
    assert report.sent == 5 and len(recorder.received) == 5
    assert CountingRecorder.sessions == 3  # batches of 2, 2 and 1
    assert report.delivery.largest == max(len(r.raw) for r in recorder.received) or report.delivery.largest > 0


def _sent_rows(engine: Any, config: Any, tmp_path: Path, days_ago: float, n: int = 2, kind: str = "digest") -> None:
    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(tmp_path / "outbox")
    when = NOW - timedelta(days=days_ago)
    items = enqueue_many(engine, [_mail(config, f"old{days_ago}-{i}@example.nl", period=f"p{days_ago}", kind=kind)
                                  for i in range(n)], when)
    assert len(items) == n
    deliver_pending(engine, config, now=when)


def test_prune_drops_bodies_and_files_after_retention_and_rows_after_the_ledger_period(engine, config, secret,
                                                                                       tmp_path) -> None:
    mail = config.settings.mail
    mail.retention_days, mail.ledger_days = 30, 90
    _sent_rows(engine, config, tmp_path, days_ago=100)   # beyond the ledger's period: rows go
    _sent_rows(engine, config, tmp_path, days_ago=40)    # beyond retention: bodies and files go
    _sent_rows(engine, config, tmp_path, days_ago=3)     # recent: everything stays
    pending = enqueue_many(engine, [_mail(config, "waiting@example.nl", period="old")], NOW - timedelta(days=60))
    files_before = {p.name for p in (tmp_path / "outbox").rglob("*.eml")}
    assert len(files_before) == 6

    preview = prune(engine, config, now=NOW, dry_run=True)
    assert (preview.rows, preview.bodies, preview.files) == (2, 4, 8)  # .eml and preview .html each
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 6  # a dry run changes nothing

    index = tmp_path / "outbox" / "index.html"
    assert all(name in index.read_text() for name in files_before)
    report = prune_outbox(engine, config, now=NOW)  # what `tenderwatch prune` and the digest run call
    assert (report.rows, report.bodies, report.files) == (2, 4, 8)
    with session_scope(engine) as s:
        rows = {r.recipient: r for r in s.scalars(select(Delivery))}
    assert not any(r.startswith("old100") for r in rows)
    assert all(rows[r].message is None and rows[r].location == "pruned" for r in rows if r.startswith("old40"))
    assert all(rows[r].message is not None and rows[r].location.startswith("outbox:")
               for r in rows if r.startswith("old3"))
    assert rows["waiting@example.nl"].message is not None and rows["waiting@example.nl"].id == pending[0].id
    remaining = {p.name for p in (tmp_path / "outbox").rglob("*.eml")}
    assert len(remaining) == 2 and remaining < files_before
    listed = set(re.findall(r"[\w-]+\.eml", index.read_text()))  # rewritten: no link to a pruned mail
    assert listed == remaining
    assert prune(engine, config, now=NOW).bodies == 0  # nothing left to do


def test_a_period_older_than_the_ledger_keeps_is_refused(engine, config, secret) -> None:
    config.settings.mail.ledger_days = 60
    with pytest.raises(AlertsError, match="ledger_days"):
        run_digests(engine, config, now=NOW, week="2025-W10")
    run_digests(engine, config, now=NOW, week="2025-W10", dry_run=True)  # looking is allowed


def test_migration_moves_stored_messages_out_of_the_payload(tmp_path, config, secret) -> None:
    """A ledger written before 0010 kept each message in payload['eml']: the upgrade compresses it into
    ``message``, and a row still pending is delivered from it, byte for byte."""
    import json

    from sqlalchemy import text

    from tenderwatch.db.engine import make_engine
    from tenderwatch.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    upgrade(engine, "0009")
    eml = _mail(config, "legacy@example.nl").data
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO deliveries (recipient, kind, period_key, status, attempts, payload, created_at) "
            "VALUES ('legacy@example.nl', 'digest', '2025-W22', 'pending', 0, :payload, :at)"),
            {"payload": json.dumps({"notices": ["tw-1"], "eml": eml}), "at": NOW.isoformat()})
    upgrade(engine)
    with session_scope(engine) as s:
        row = s.scalars(select(Delivery)).one()
        assert row.payload == {"notices": ["tw-1"]} and unpack(row.message) == eml and row.size == len(eml)
    config.settings.mail.backend, config.settings.mail.outbox = "outbox", str(tmp_path / "outbox")
    assert deliver_pending(engine, config, now=NOW).sent == 1
    (eml_file,) = (tmp_path / "outbox").rglob("*.eml")
    assert eml_file.read_bytes() == eml.encode("ascii")
    engine.dispose()


def test_the_prune_command_uses_the_retention_settings(engine, config, config_dir, db_url, secret, tmp_path,
                                                       monkeypatch) -> None:
    """``tenderwatch prune`` through the real CLI, with the settings file's retention and ledger periods."""
    from typer.testing import CliRunner

    from tenderwatch.cli import app, load_commands

    outbox = tmp_path / "outbox"
    now = datetime.now(UTC)
    ledger_days = (now - NOW).days + 100  # rows written at NOW stay in the ledger, rows 200 days older go
    settings = config_dir / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    for old, new in (("outbox: var/outbox", f"outbox: {outbox}"), ("retention_days: 30 ", "retention_days: 7 "),
                     ("ledger_days: 400 ", f"ledger_days: {ledger_days} ")):
        assert old in text
        text = text.replace(old, new)
    settings.write_text(text, encoding="utf-8")
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)
    _sent_rows(engine, config, tmp_path, days_ago=200)  # past both periods: bodies, files and rows go
    _sent_rows(engine, config, tmp_path, days_ago=0)    # past retention only: bodies and files go
    assert len(list(outbox.rglob("*.eml"))) == 4

    load_commands()
    dry = CliRunner().invoke(app, ["prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    said = " ".join(dry.output.split())
    assert "would be: 4 message bodies dropped, 8 outbox files deleted, 2 ledger rows deleted" in said
    assert f"retention 7 days, ledger {ledger_days} days" in said
    assert len(list(outbox.rglob("*.eml"))) == 4
    out = CliRunner().invoke(app, ["prune"])
    assert out.exit_code == 0, out.output
    assert "4 message bodies dropped, 8 outbox files deleted, 2 ledger rows deleted" in " ".join(out.output.split())
    assert not list(outbox.rglob("*.eml"))
    with session_scope(engine) as s:
        kept = s.execute(select(Delivery.recipient, Delivery.message, Delivery.location)).all()
    assert sorted(r.recipient for r in kept) == ["old0-0@example.nl", "old0-1@example.nl"]
    assert all(r.message is None and r.location == "pruned" for r in kept)

