"""Delivery: the ledger's due mails sent through the outbox or SMTP, in batches, exactly once.

Interface (stable; the scheduler, the digests, ILO notifications and health mails use it):

- ``enqueue(session, recipient=, kind=, period_key=, message=, ...) -> Delivery | None``
  (``alerts.ledger``): write one pending ledger row unless (recipient, kind, period_key) exists.
- ``send_once(engine, config, recipient=, kind=, period_key=, message=, ...) -> str``: enqueue and
  deliver one mail (health mails: ``kind='health'``, ``period_key`` naming the problem). Returns
  ``sent``, ``already`` (the ledger has it), ``failed`` (temporary; will be retried), ``rejected``
  (permanent 5xx) or ``deferred`` (another process is delivering; it stays pending).
- ``deliver_pending(engine, config, now=None) -> DeliveryReport``: send every due row: pending,
  and failed whose backoff has passed (``retry_backoff_seconds * 2**(attempts-1)``, at most a
  day). After ``max_attempts`` a failed row gets no ``next_attempt_at``: given up, never retried.
- ``delivering(engine, config, now=...)``: a delivery session holding the lock, for a run that
  writes and sends batch after batch (the digests): ``session.send(written)`` sends mails just
  written by ``alerts.ledger.enqueue_many``; on leaving, the outbox index is written once.

Exactly once: a mail's row is committed before it is sent and marked ``sent`` after, so a crash
or a dead server leaves the rest ``pending`` for the next run. Only one process delivers at a
time: a ``scheduler_locks`` row named ``alerts-delivery``, refreshed after every batch (a holder
that lost it stops); a holder that died on this host (its pid is gone) or whose heartbeat is
older than ``LOCK_STALE`` is taken over.

- Outbox: a mail's file name follows from its row (kind, day, row id, recipient, Message-ID), so
  writing it again writes the same file: a batch's files are written, then the batch is marked
  sent in one transaction; a crash in between makes the next run rewrite the same files, never
  a second copy.
- SMTP: a server cannot take a mail back, so each mail is marked sent as soon as the server accepted
  it, before another mail is started, on ``mail.smtp.connections`` connections per batch sending in
  parallel (``alerts.lanes``; one by default: mark, then the next mail). On PostgreSQL that
  commit does not wait for the disk (``synchronous_commit = off``, as SQLite's WAL with
  ``synchronous=NORMAL`` does not): it survives any crash of Tenderwatch, and only a crash of the
  database server within a fraction of a second of the acceptance could forget the mark, and so
  send that mail again with the same Message-ID (a receiver can tell a duplicate), which is the same
  window a crash between the server's acceptance and our commit always leaves.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.exc import IntegrityError

from alerts.lanes import Answer, send_in_lanes
from alerts.ledger import Outgoing, due_query, enqueue, enqueue_many, load_due, mark_failed, mark_sent
from alerts.message import parse_from
from alerts.transport import SendError, Transport, make_transport
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery, SchedulerLock

LOCK_NAME = "alerts-delivery"
LOCK_STALE = timedelta(minutes=10)
MAX_ERRORS = 100
"""Error lines a report keeps (the count goes on): a dead server must not fill memory with 10,000 lines."""

__all__ = ["DeliveryReport", "deliver_pending", "delivering", "delivery_lock", "enqueue", "enqueue_many",
           "send_once"]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    rejected: int = 0
    deferred: int = 0
    """Left pending: another process holds the delivery lock, or the server went away mid-run."""
    errors: list[str] = field(default_factory=list)
    """The first ``MAX_ERRORS`` problems, one line each."""
    bytes: int = 0
    """Bytes of the mails sent."""
    largest: int = 0
    """Bytes of the largest mail sent."""
    seconds: float = 0.0
    """Time spent sending (transport and marks), for throughput figures."""
    cpu_seconds: float = 0.0
    """This process's CPU time spent sending (the figure a busy machine changes least)."""

    def error(self, line: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(line)

    def merge(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.rejected += other.rejected
        self.deferred += other.deferred
        for line in other.errors:
            self.error(line)
        self.bytes += other.bytes
        self.largest = max(self.largest, other.largest)
        self.seconds += other.seconds
        self.cpu_seconds += other.cpu_seconds


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


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
def delivery_lock(engine: Engine, *, wait_seconds: float = 30.0) -> Iterator[Callable[[], bool] | None]:
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

    def heartbeat() -> bool:
        """Refresh the lock; False when another process has taken it over (then stop sending)."""
        with engine.begin() as conn:
            return bool(conn.execute(update(SchedulerLock).where(
                SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == me).values(
                heartbeat_at=datetime.now(UTC))).rowcount)

    try:
        yield heartbeat
    finally:
        with session_scope(engine) as s:
            s.execute(delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == me))


# --------------------------------------------------------------------------- sending


def _quick_commit(conn: Connection) -> None:
    """This transaction's commit need not wait for the disk (PostgreSQL; see the module docstring)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit TO OFF"))


class DeliverySession:
    """Sends batches of due mails under the delivery lock (see the module docstring)."""

    def __init__(self, engine: Engine, config: Config, now: datetime, transport: Transport,
                 heartbeat: Callable[[], bool] | None, report: DeliveryReport) -> None:
        self.engine, self.config, self.now = engine, config, now
        self.transport = transport
        self.lanes: list[Transport] = [transport, *(transport.another() for _ in range(transport.connections - 1))]
        """SMTP: the connections a batch is sent over in parallel (the transport, and more of its kind)."""
        self.heartbeat = heartbeat
        self.report = report
        self.batch_size = config.settings.mail.batch_size
        self.sender = parse_from(config.settings.mail.from_address).addr_spec
        self.stopped = heartbeat is None
        """No more sending in this session: the lock is held elsewhere, or the server went away."""
        self.wrote_outbox = False
        self._marks: Connection | None = None
        """SMTP: the connection a batch's acceptances are marked on, one short transaction each (held for the
        batch: checking a connection out of the pool for every mark cost as much again on SQLite, and 2.5
        times on PostgreSQL)."""

    def send_ids(self, ids: Sequence[int], progress: Callable[[int, int], None] | None = None) -> None:
        """Send the rows among ``ids`` that are due, reading each batch under the lock."""
        done = 0
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start:start + self.batch_size]
            if self.stopped:
                self.report.deferred += len(ids) - start
                return
            with self.engine.connect() as conn:
                items = load_due(conn, chunk, self.now)
            self.send(items)
            done += len(chunk)
            if progress is not None:
                progress(done, len(ids))

    def send(self, items: Sequence[Outgoing]) -> None:
        """Send mails whose rows are pending (just written, or read under the lock), in batches."""
        for start in range(0, len(items), self.batch_size):
            batch = items[start:start + self.batch_size]
            if self.stopped:
                self.report.deferred += len(items) - start
                return
            began, began_cpu = time.perf_counter(), time.process_time()
            try:
                self._batch(batch)
            finally:
                for lane in self.lanes:
                    lane.end_batch()
                self.report.seconds += time.perf_counter() - began
                self.report.cpu_seconds += time.process_time() - began_cpu
            if not self.stopped and self.heartbeat is not None and not self.heartbeat():
                self.stopped = True
                self.report.error("the delivery lock was taken over by another process; the rest is left pending")

    def _batch(self, batch: Sequence[Outgoing]) -> None:
        stored = []
        for item in batch:
            assert item.id is not None
            if item.data:
                stored.append(item)
            else:
                self._failed(item, SendError("ledger row has no stored message", permanent=True))
        if self.transport.idempotent:
            self._write(stored)
        else:  # SMTP: each acceptance marked before another mail starts
            with self.engine.connect() as marks:
                self._marks = marks
                try:
                    self.report.deferred += send_in_lanes(stored, self.lanes, self.sender, self._record)
                finally:
                    self._marks = None

    def _write(self, batch: Sequence[Outgoing]) -> None:
        """Outbox: the batch's files written, then its rows marked sent in one transaction."""
        done: list[tuple[int, str]] = []
        try:
            for i, item in enumerate(batch):
                try:
                    where = self.transport.send(item, sender=self.sender)
                except SendError as exc:
                    self._failed(item, exc)
                    if exc.connection_lost:
                        self.stopped = True
                        self.report.deferred += len(batch) - i - 1
                        return
                    continue
                assert item.id is not None
                done.append((item.id, where))
                self._count(item)
                self.wrote_outbox = self.wrote_outbox or where.startswith("outbox:")
        finally:
            if done:  # also when a later mail of the batch failed: what was written is marked
                with self.engine.begin() as conn:
                    mark_sent(conn, done, self._sent_at())

    def _record(self, answers: list[Answer]) -> bool:
        """SMTP: what the server answered to a group of mails, recorded (the accepted ones marked sent in one
        transaction); False when the connection was lost (the rest of the batch stays pending)."""
        accepted = [(a.item.id, a.where) for a in answers if a.error is None]
        if accepted:
            conn = self._marks
            assert conn is not None
            with conn.begin():
                _quick_commit(conn)
                mark_sent(conn, accepted, self._sent_at())  # type: ignore[arg-type]
        for a in answers:
            if a.error is None:
                self._count(a.item)
            else:
                self._failed(a.item, a.error)
                self.stopped = self.stopped or a.error.connection_lost
        return not self.stopped

    def _count(self, item: Outgoing) -> None:
        self.report.sent += 1
        self.report.bytes += len(item.data)
        self.report.largest = max(self.report.largest, len(item.data))

    def _sent_at(self) -> datetime:
        return max(self.now, datetime.now(UTC))

    def _failed(self, item: Outgoing, exc: SendError) -> None:
        assert item.id is not None
        with self.engine.begin() as conn:
            status = mark_failed(conn, item.id, error=str(exc), permanent=exc.permanent, config=self.config,
                                 now=self.now)
        if status == "rejected":
            self.report.rejected += 1
        else:
            self.report.failed += 1
        self.report.error(f"{item.kind} to {item.recipient}: {exc}")


@contextmanager
def delivering(engine: Engine, config: Config, *, now: datetime | None = None, transport: Transport | None = None,
               lock_wait_seconds: float = 30.0, report: DeliveryReport | None = None) -> Iterator[DeliverySession]:
    """A delivery session: the lock (or, if another process holds it past ``lock_wait_seconds``, a
    session that leaves every mail pending for that process or the next retry), one transport,
    and the outbox index written once at the end."""
    now = _now(now)
    report = report if report is not None else DeliveryReport()
    own_transport = transport is None
    tx = transport or make_transport(config.settings.mail)
    session: DeliverySession | None = None
    try:
        with delivery_lock(engine, wait_seconds=lock_wait_seconds) as heartbeat:
            if heartbeat is None:
                report.error("another process is delivering; messages left pending")
            session = DeliverySession(engine, config, now, tx, heartbeat, report)
            yield session
    finally:
        for lane in session.lanes[1:] if session is not None else ():
            lane.close()
        if own_transport:
            tx.close()
    if session is not None and session.wrote_outbox:
        from alerts.outbox_index import write_index

        write_index(engine, config)


def deliver_pending(engine: Engine, config: Config, *, now: datetime | None = None,
                    transport: Transport | None = None, ids: list[int] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    lock_wait_seconds: float = 30.0) -> DeliveryReport:
    """Send every due ledger row (or only ``ids``); see the module docstring. ``progress(done, total)``."""
    now = _now(now)
    with engine.connect() as conn:
        due = list(conn.scalars(due_query(now, ids)))
    report = DeliveryReport()
    if not due:
        return report
    with delivering(engine, config, now=now, transport=transport, lock_wait_seconds=lock_wait_seconds,
                    report=report) as session:
        session.send_ids(due, progress)
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
