"""The exactly-once ledger: every outgoing mail is a ``deliveries`` row before it is sent.

Interface (stable; the scheduler and the web use it):

- ``enqueue(session, recipient=, kind=, period_key=, message=, ...) -> Delivery | None``: write
  the ledger row (status ``pending``, the serialised message in ``payload['eml']``) unless one
  exists for (recipient, kind, period_key); None then. Nothing is sent.
- ``send_once(engine, config, recipient=, kind=, period_key=, message=, ...) -> str``: enqueue and
  deliver one mail (health mails: ``kind='health'``, ``period_key`` naming the problem). Returns
  ``sent``, ``already`` (the ledger has it), ``failed`` (temporary; will be retried), ``rejected``
  (permanent 5xx) or ``deferred`` (another process is delivering; it stays pending).
- ``deliver_pending(engine, config, now=None) -> DeliveryReport``: send every due row: pending,
  and failed whose backoff has passed (``retry_backoff_seconds * 2**(attempts-1)``, at most a
  day). After ``max_attempts`` a failed row gets no ``next_attempt_at``: given up, shown by
  ``tenderwatch deliveries`` style reports but never retried.

Exactly once: the row is committed before the send and marked ``sent`` right after it, one
commit per message, so a crash or a dead SMTP server halfway leaves the rest ``pending`` for the
next run. Only one process delivers at a time: a ``scheduler_locks`` row named
``alerts-delivery``, refreshed per message; a holder that died on this host (its pid is gone) or
whose heartbeat is older than ``LOCK_STALE`` is taken over. The remaining window, a crash between
the server accepting a message and the ``sent`` commit, would resend that one message with the
same Message-ID.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.message import parse_from, serialise
from alerts.transport import SendError, Transport, make_transport
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery, SchedulerLock

LOCK_NAME = "alerts-delivery"
LOCK_STALE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(days=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    rejected: int = 0
    deferred: int = 0
    """Left pending: another process holds the delivery lock, or the server went away mid-run."""
    errors: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """Where each sent message went (outbox file paths, or the SMTP server)."""

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.rejected += other.rejected
        self.deferred += other.deferred
        self.errors += other.errors
        self.written += other.written


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def enqueue(session: Session, *, recipient: str, kind: str, period_key: str, message: EmailMessage,
            company_id: int | None = None, ilo_id: int | None = None, payload: dict[str, Any] | None = None,
            now: datetime | None = None) -> Delivery | None:
    """Write the pending ledger row for this mail, or return None if (recipient, kind, period_key) exists."""
    recipient = recipient.strip().lower()
    exists = session.scalar(select(Delivery.id).where(
        Delivery.recipient == recipient, Delivery.kind == kind, Delivery.period_key == period_key))
    if exists is not None:
        return None
    row = Delivery(recipient=recipient, kind=kind, period_key=period_key, company_id=company_id, ilo_id=ilo_id,
                   status="pending", attempts=0, message_id=str(message["Message-ID"] or "") or None,
                   subject=str(message["Subject"] or ""), payload=dict(payload or {}, eml=serialise(message)),
                   created_at=_now(now))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # another process wrote it between our check and our insert
    return row


# --------------------------------------------------------------------------- the delivery lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_dead(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


@contextmanager
def delivery_lock(engine: Engine, *, wait_seconds: float = 30.0) -> Iterator[Callable[[], None] | None]:
    """Hold the delivery lock; yields a heartbeat function, or None if it could not be had in time."""
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait_seconds
    acquired = False
    while not acquired:
        now = datetime.now(UTC)
        try:
            with session_scope(engine) as s:
                s.add(SchedulerLock(name=LOCK_NAME, holder=me, acquired_at=now, heartbeat_at=now))
            acquired = True
            break
        except IntegrityError:
            pass
        with session_scope(engine) as s:
            lock = s.get(SchedulerLock, LOCK_NAME)
            if lock is not None and (lock.heartbeat_at < now - LOCK_STALE or _holder_dead(lock.holder)):
                taken = s.execute(update(SchedulerLock).where(
                    SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == lock.holder
                ).values(holder=me, acquired_at=now, heartbeat_at=now)).rowcount
                acquired = bool(taken)
        if acquired or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    if not acquired:
        yield None
        return

    def heartbeat() -> None:
        with session_scope(engine) as s:
            s.execute(update(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == me)
                      .values(heartbeat_at=datetime.now(UTC)))

    try:
        yield heartbeat
    finally:
        with session_scope(engine) as s:
            s.execute(delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == me))


# --------------------------------------------------------------------------- sending


def _backoff(config: Config, attempts: int) -> timedelta:
    seconds = config.settings.mail.retry_backoff_seconds * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _due(now: datetime, ids: list[int] | None = None) -> Any:
    q = select(Delivery.id).where(or_(
        Delivery.status == "pending",
        (Delivery.status == "failed") & Delivery.next_attempt_at.is_not(None) & (Delivery.next_attempt_at <= now),
    )).order_by(Delivery.id)
    if ids is not None:
        q = q.where(Delivery.id.in_(ids))
    return q


def _send_row(engine: Engine, config: Config, transport: Transport, row_id: int, now: datetime,
              report: DeliveryReport) -> bool:
    """Send one ledger row; False when the connection is gone and the run should stop."""
    sender = parse_from(config.settings.mail.from_address).addr_spec
    with session_scope(engine) as s:
        row = s.get(Delivery, row_id)
        if row is None or row.status not in ("pending", "failed"):
            return True
        data, recipient, kind = row.payload.get("eml"), row.recipient, row.kind
    if not data:
        _mark(engine, row_id, status="rejected", error="ledger row has no stored message", now=now)
        report.rejected += 1
        return True
    try:
        where = transport.send(data, sender=sender, recipients=[recipient], kind=kind)
    except SendError as exc:
        with session_scope(engine) as s:
            row = s.get(Delivery, row_id)
            assert row is not None
            row.attempts += 1
            row.last_error = str(exc)[:2000]
            if exc.permanent:
                row.status, row.next_attempt_at = "rejected", None
                report.rejected += 1
            else:
                row.status = "failed"
                give_up = row.attempts >= config.settings.mail.max_attempts
                row.next_attempt_at = None if give_up else now + _backoff(config, row.attempts)
                if give_up:
                    row.last_error = f"gave up after {row.attempts} attempts: {row.last_error}"
                report.failed += 1
        report.errors.append(f"{kind} to {recipient}: {exc}")
        return not exc.connection_lost
    _mark(engine, row_id, status="sent", error=None, now=now, count_attempt=True)
    report.sent += 1
    report.written.append(where)
    return True


def _mark(engine: Engine, row_id: int, *, status: str, error: str | None, now: datetime,
          count_attempt: bool = False) -> None:
    with session_scope(engine) as s:
        row = s.get(Delivery, row_id)
        assert row is not None
        row.status = status
        row.last_error = error
        row.next_attempt_at = None
        if count_attempt:
            row.attempts += 1
        if status == "sent":
            row.sent_at = datetime.now(UTC) if now is None else max(now, datetime.now(UTC))


def deliver_pending(engine: Engine, config: Config, *, now: datetime | None = None,
                    transport: Transport | None = None, ids: list[int] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    lock_wait_seconds: float = 30.0) -> DeliveryReport:
    """Send every due ledger row (or only ``ids``); see the module docstring. ``progress(done, total)``."""
    now = _now(now)
    report = DeliveryReport()
    with session_scope(engine) as s:
        due = list(s.scalars(_due(now, ids)))
    if not due:
        return report
    own_transport = transport is None
    tx = transport or make_transport(config.settings.mail)
    try:
        with delivery_lock(engine, wait_seconds=lock_wait_seconds) as heartbeat:
            if heartbeat is None:
                report.deferred = len(due)
                report.errors.append("another process is delivering; messages left pending")
                return report
            with session_scope(engine) as s:  # re-read under the lock: the previous holder may have sent some
                due = list(s.scalars(_due(now, due)))
            for i, row_id in enumerate(due):
                if not _send_row(engine, config, tx, row_id, now, report):
                    report.deferred += len(due) - i - 1
                    break
                heartbeat()
                if progress is not None:
                    progress(i + 1, len(due))
    finally:
        if own_transport:
            tx.close()
    if config.settings.mail.backend == "outbox" and report.sent:
        from alerts.outbox_index import write_index

        write_index(config.settings.mail.outbox)
    return report


def send_once(engine: Engine, config: Config, *, recipient: str, kind: str, period_key: str,
              message: EmailMessage, company_id: int | None = None, ilo_id: int | None = None,
              payload: dict[str, Any] | None = None, now: datetime | None = None,
              transport: Transport | None = None) -> str:
    """Ledger + deliver one mail; see the module docstring for the outcomes."""
    with session_scope(engine) as s:
        row = enqueue(s, recipient=recipient, kind=kind, period_key=period_key, message=message,
                      company_id=company_id, ilo_id=ilo_id, payload=payload, now=now)
        row_id = row.id if row is not None else None
    if row_id is None:
        with session_scope(engine) as s:
            existing = s.execute(select(Delivery.id, Delivery.status).where(
                Delivery.recipient == recipient.strip().lower(), Delivery.kind == kind,
                Delivery.period_key == period_key)).first()
        if existing is None or existing.status != "pending":
            return "already"
        row_id = existing.id  # written earlier but never sent (a crash): finish it now
    report = deliver_pending(engine, config, now=now, transport=transport, ids=[row_id])
    if report.sent:
        return "sent"
    if report.rejected:
        return "rejected"
    if report.failed:
        return "failed"
    return "deferred" if report.deferred else "already"
