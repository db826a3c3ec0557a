"""Digests over several SMTP connections at once (``mail.smtp.connections``), through a real aiosmtpd
server: each mail once, marked sent only after the server accepted it, a refused recipient reported
while the rest goes on, a server that fails halfway leaving the rest for the next run."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from alerts.digest import run_digests
from alerts.outgoing import deliver_pending
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import NOW, Recorder, company, notice, set_companies, store

COMPANIES = 24
LANES = 4


@pytest.fixture
def lanes_world(engine: Engine, smtp_config: Config) -> Config:
    smtp_config.settings.mail.smtp.connections = LANES
    smtp_config.settings.mail.batch_size = 10  # three batches: connections opened and closed per batch
    set_companies(engine, smtp_config, [company(f"cryo-{i:02d}", areas=["cryogenics"]) for i in range(COMPANIES)])
    seen = NOW - timedelta(days=1)
    store(engine, smtp_config, [notice(f"L-{i}", f"Cryostat {i}", areas=["cryogenics"], now=seen) for i in range(3)],
          now=seen)
    return smtp_config


def _statuses(engine: Engine) -> Counter[str]:
    with session_scope(engine) as s:
        return Counter(s.scalars(select(Delivery.status)))


def test_every_mail_once_over_parallel_connections(engine: Engine, lanes_world: Config,
                                                   smtp: tuple[Recorder, object]) -> None:
    recorder, _ = smtp
    peers: set[object] = set()
    handle = recorder.handle_DATA

    async def seen(server, session, envelope):  # type: ignore[no-untyped-def]
        peers.add(session.peer)  # each connection has its own client port
        return await handle(server, session, envelope)

    recorder.handle_DATA = seen  # type: ignore[method-assign]
    report = run_digests(engine, lanes_world, now=NOW)
    assert report.sent == COMPANIES and report.failed == 0 and report.delivery.deferred == 0
    rcpts = [r.rcpt_tos[0] for r in recorder.received]
    assert sorted(rcpts) == sorted(f"cryo-{i:02d}@example.nl" for i in range(COMPANIES))
    assert len(peers) > 3  # several connections per batch, three batches
    assert _statuses(engine) == {"sent": COMPANIES}
    assert run_digests(engine, lanes_world, now=NOW + timedelta(minutes=5)).sent == 0
    assert len(recorder.received) == COMPANIES


def test_a_refused_recipient_is_reported_and_the_rest_goes_on(engine: Engine, lanes_world: Config,
                                                              smtp: tuple[Recorder, object]) -> None:
    recorder, _ = smtp
    recorder.reject = {"cryo-03@example.nl", "cryo-17@example.nl"}
    report = run_digests(engine, lanes_world, now=NOW)
    assert report.sent == COMPANIES - 2 and report.delivery.rejected == 2
    assert any("cryo-03@example.nl" in e and "550" in e for e in report.delivery.errors)
    assert _statuses(engine) == {"sent": COMPANIES - 2, "rejected": 2}


def test_a_failing_server_leaves_the_rest_for_the_next_run_and_nothing_goes_twice(
        engine: Engine, lanes_world: Config, smtp: tuple[Recorder, object]) -> None:
    """The server stops accepting (421 at MAIL FROM) after seven mails: the mails on their way on other
    connections finish, the run stops, the rest stays pending, the next run sends each remaining one
    once. When the first MAIL FROM is refused, the connection that sent it had seen every earlier answer
    recorded; only mails accepted on the other connections in that instant may be unmarked (at most one
    each: each connection waits for the record before its next mail)."""
    recorder, _ = smtp
    unmarked_when_failing: list[int] = []
    lock = threading.Lock()

    def failing() -> None:
        with lock, session_scope(engine) as s:
            marked = len(s.scalars(select(Delivery.id).where(Delivery.status == "sent")).all())
            unmarked_when_failing.append(len(recorder.received) - marked)

    recorder.fail_after, recorder.on_fail = 7, failing
    first = run_digests(engine, lanes_world, now=NOW)
    accepted = len(recorder.received)
    assert first.sent == accepted and 7 <= accepted < 7 + LANES
    assert unmarked_when_failing and 0 <= unmarked_when_failing[0] <= LANES - 1
    assert first.delivery.failed >= 1 and first.delivery.deferred >= 1
    statuses = _statuses(engine)
    assert statuses["sent"] == accepted and statuses["failed"] == first.delivery.failed
    assert statuses["pending"] == first.delivery.deferred and sum(statuses.values()) == COMPANIES

    recorder.fail_after = recorder.on_fail = None
    later = NOW + timedelta(seconds=lanes_world.settings.mail.retry_backoff_seconds + 60)
    run_digests(engine, lanes_world, now=NOW + timedelta(minutes=1))
    deliver_pending(engine, lanes_world, now=later)
    rcpts = [r.rcpt_tos[0] for r in recorder.received]
    assert len(rcpts) == len(set(rcpts)) == COMPANIES  # each company once, none twice
    assert _statuses(engine) == {"sent": COMPANIES}
