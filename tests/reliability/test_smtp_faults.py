"""SMTP faults on a real aiosmtpd server on loopback: refused connections, a connection cut in the
middle of a message, 4xx answers that turn into 2xx, a permanently refused mailbox.

After each fault the test keeps delivering (``deliver_pending`` later, as the scheduler's
``mail:retry`` job does) until nothing is due, then counts per recipient: every deliverable
email arrives exactly once; the refused mailbox is recorded as rejected, not retried for ever.
"""

from __future__ import annotations

import socket
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from alerts.digest import run_digests
from alerts.outgoing import deliver_pending
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import NOW, Recorder, company, notice, set_companies, store
from tests.reliability.figures import Figures

N = 5
DUE = {f"r{i}@example.nl" for i in range(N)}


def world(engine: Any, config: Config) -> None:
    set_companies(engine, config, [company(f"r{i}", areas=["cryogenics"]) for i in range(N)])
    first = NOW - timedelta(days=1)
    store(engine, config, [notice("s1", "Helium liquefier", areas=["cryogenics"], now=first)], now=first)


def drain(engine: Any, config: Config, rounds: int = 8) -> None:
    """Retry what is due, a day apart each round (backoff passes), as the mail:retry job would."""
    for i in range(1, rounds + 1):
        deliver_pending(engine, config, now=NOW + timedelta(days=i))


def account(engine: Any, recorder: Recorder, figures: Figures, name: str, due: set[str] = DUE) -> Counter[str]:
    got = Counter(r.rcpt_tos[0] for r in recorder.received)
    figures.count("emails", name, duplicated=sum(c - 1 for c in got.values()), missed=len(due - set(got)))
    assert set(got) == due and all(c == 1 for c in got.values()), got
    with session_scope(engine) as s:
        return Counter(s.scalars(select(Delivery.status)))


def test_server_refusing_connections(engine, smtp_config, smtp, figures: Figures) -> None:
    recorder, controller = smtp
    world(engine, smtp_config)
    with figures.fault("smtp", "connection refused, then the server is back"):
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        smtp_config.settings.mail.smtp.port = closed_port
        report = run_digests(engine, smtp_config, now=NOW)
        assert report.sent == 0 and report.queued == N
        with session_scope(engine) as s:
            assert set(s.scalars(select(Delivery.status))) <= {"failed", "pending"}
        smtp_config.settings.mail.smtp.port = controller.port
        drain(engine, smtp_config)
        assert account(engine, recorder, figures, "connection refused") == {"sent": N}


class CutMidMessage(Recorder):
    """Drops the connection while the message data arrives, the first ``cuts`` times (nothing accepted)."""

    cuts: int = 2

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.cuts > 0:
            self.cuts -= 1
            server.transport.close()
            return "421 4.4.2 connection dropped"
        return await super().handle_DATA(server, session, envelope)


def test_server_disconnecting_mid_message(engine, smtp_config, figures: Figures) -> None:
    from tests.alerts.support import LoopbackController

    recorder = CutMidMessage()
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        smtp_config.settings.mail.smtp.port = controller.port
        world(engine, smtp_config)
        with figures.fault("smtp", "connection cut during DATA, twice"):
            run_digests(engine, smtp_config, now=NOW)
            assert len(recorder.received) < N
            drain(engine, smtp_config)
            assert account(engine, recorder, figures, "disconnect mid-message") == {"sent": N}
    finally:
        controller.stop()


def test_4xx_then_2xx(engine, smtp_config, smtp, figures: Figures) -> None:
    recorder, _controller = smtp
    world(engine, smtp_config)
    with figures.fault("smtp", "451 temporary failure, then 250"):
        recorder.fail_after, recorder.fail_reply = 2, "451 4.3.0 try again later"
        report = run_digests(engine, smtp_config, now=NOW)
        assert report.sent == 2
        with session_scope(engine) as s:
            failed = s.scalars(select(Delivery).where(Delivery.status == "failed")).all()
            assert failed and all(r.next_attempt_at is not None and "451" in (r.last_error or "") for r in failed)
        recorder.fail_after = None
        drain(engine, smtp_config)
        assert account(engine, recorder, figures, "4xx then 2xx") == {"sent": N}


def test_mailbox_refused_permanently(engine, smtp_config, smtp, figures: Figures) -> None:
    recorder, _controller = smtp
    world(engine, smtp_config)
    with figures.fault("smtp", "550 for one mailbox"):
        recorder.reject = {"r3@example.nl"}
        run_digests(engine, smtp_config, now=NOW)
        drain(engine, smtp_config)
        statuses = account(engine, recorder, figures, "550 one mailbox", due=DUE - {"r3@example.nl"})
        assert statuses == {"sent": N - 1, "rejected": 1}
        with session_scope(engine) as s:
            row = s.scalars(select(Delivery).where(Delivery.recipient == "r3@example.nl")).one()
            assert row.attempts == 1 and "550" in (row.last_error or ""), "a 5xx is not retried"
