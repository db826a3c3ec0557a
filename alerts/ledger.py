"""The exactly-once ledger's rows (``deliveries``): written before a mail is sent, marked after, pruned later.

A row holds what every attempt sends: the serialised message, zlib-compressed (a digest compresses
about threefold), with its size; once the mail is sent and ``mail.retention_days`` have passed,
``prune`` drops the body (and the outbox file), keeping the row itself (who got which period's
mail: what makes a rerun send nothing twice) for ``mail.ledger_days``.

Rows are written in bulk: ``enqueue_many`` puts a batch of mails in one transaction with one
``INSERT ... ON CONFLICT DO NOTHING RETURNING`` statement, so a row another run wrote first is
skipped, not duplicated and not an error. ``enqueue`` writes one row (ILO batches, health mails).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.message import serialise
from tenderwatch.config import Config
from tenderwatch.db.models import Delivery

OUTBOX = "outbox:"
"""``location`` prefix of a mail written to the outbox (the rest is its path inside the outbox folder)."""
FINISHED = ("sent", "rejected")
_TABLE = Delivery.__table__


def pack(data: str) -> bytes:
    """The serialised (ASCII) message as stored: zlib level 1, chosen by measurement on 300 digests of the
    bench's shape (108 KB each): level 1 keeps 18.8 % of the bytes in 0.71 ms a mail, 2 18.1 % in 0.73-0.77,
    3 17.7 % in 0.76, 4 17.0 % in 1.01, 6 16.0 % in 1.47: beyond level 1 each byte saved costs more CPU
    than the retention period's storage is worth."""
    return zlib.compress(data.encode("ascii", "surrogateescape"), 1)


def unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode("ascii", "surrogateescape")


@dataclass
class Outgoing:
    """One mail for the ledger: the serialised message and what the ledger row says about it."""

    recipient: str
    kind: str
    period_key: str
    data: str
    """The serialised message (``alerts.message.serialise``)."""
    message_id: str | None = None
    subject: str | None = None
    company_id: int | None = None
    ilo_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    preview: str | None = None
    """The HTML part as rendered (written beside an outbox file without parsing the message back)."""
    id: int | None = None
    """The ledger row's id once written."""
    created_at: datetime | None = None
    """When the row was written (the outbox files a mail under that day)."""

    @classmethod
    def of(cls, message: EmailMessage, *, recipient: str, kind: str, period_key: str,
           preview: str | None = None, **fields: Any) -> Outgoing:
        return cls(recipient=recipient.strip().lower(), kind=kind, period_key=period_key, data=serialise(message),
                   message_id=str(message["Message-ID"] or "") or None, subject=str(message["Subject"] or ""),
                   preview=preview, **fields)

    def row(self, now: datetime) -> dict[str, Any]:
        return {"recipient": self.recipient, "kind": self.kind, "period_key": self.period_key,
                "company_id": self.company_id, "ilo_id": self.ilo_id, "status": "pending", "attempts": 0,
                "last_error": None, "next_attempt_at": None, "message_id": self.message_id, "subject": self.subject,
                "payload": self.payload, "message": pack(self.data), "size": len(self.data), "location": None,
                "created_at": now, "sent_at": None}


def enqueue(session: Session, *, recipient: str, kind: str, period_key: str, message: EmailMessage,
            company_id: int | None = None, ilo_id: int | None = None, payload: dict[str, Any] | None = None,
            now: datetime | None = None) -> Delivery | None:
    """Write the pending ledger row for this mail, or return None if (recipient, kind, period_key) exists."""
    item = Outgoing.of(message, recipient=recipient, kind=kind, period_key=period_key, company_id=company_id,
                       ilo_id=ilo_id, payload=dict(payload or {}))
    exists = session.scalar(select(Delivery.id).where(
        Delivery.recipient == item.recipient, Delivery.kind == kind, Delivery.period_key == period_key))
    if exists is not None:
        return None
    row = Delivery(**item.row((now or datetime.now(UTC)).astimezone(UTC)))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None  # another process wrote it between our check and our insert
    return row


def _insert(conn: Connection) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_TABLE)
    if dialect == "sqlite":
        return sqlite.insert(_TABLE)
    raise NotImplementedError(f"the ledger's bulk insert knows SQLite and PostgreSQL, not {dialect}")


def enqueue_many(engine: Engine, items: Sequence[Outgoing], now: datetime) -> list[Outgoing]:
    """Write the rows of ``items`` in one transaction; returns those written (with ids), in order.

    A mail the ledger already has (same recipient, kind and period key) is skipped.
    """
    if not items:
        return []
    with engine.begin() as conn:
        # one statement, many parameter sets: SQLAlchemy sends them as multi-row INSERTs ("insertmanyvalues")
        stmt = (_insert(conn).on_conflict_do_nothing(index_elements=["recipient", "kind", "period_key"])
                .returning(Delivery.id, Delivery.recipient, Delivery.kind, Delivery.period_key))
        ids = {(r.recipient, r.kind, r.period_key): r.id for r in conn.execute(stmt, [item.row(now) for item in items])}
    written = []
    for item in items:
        item.id = ids.get((item.recipient, item.kind, item.period_key))
        if item.id is not None:
            item.created_at = now
            written.append(item)
    return written


def due_query(now: datetime, ids: Iterable[int] | None = None) -> Any:
    """Rows to send now: pending, and failed whose backoff has passed (not given up)."""
    q = select(Delivery.id).where(or_(
        Delivery.status == "pending",
        (Delivery.status == "failed") & Delivery.next_attempt_at.is_not(None) & (Delivery.next_attempt_at <= now),
    )).order_by(Delivery.id)
    if ids is not None:
        q = q.where(Delivery.id.in_(list(ids)))
    return q


def load_due(conn: Connection, ids: Sequence[int], now: datetime) -> list[Outgoing]:
    """The rows among ``ids`` still due, read under the delivery lock, with their messages unpacked."""
    rows = conn.execute(
        select(Delivery.id, Delivery.recipient, Delivery.kind, Delivery.period_key, Delivery.message,
               Delivery.message_id, Delivery.created_at)
        .where(Delivery.id.in_(list(ids)), or_(
            Delivery.status == "pending",
            (Delivery.status == "failed") & Delivery.next_attempt_at.is_not(None)
            & (Delivery.next_attempt_at <= now)))
        .order_by(Delivery.id))
    return [Outgoing(recipient=r.recipient, kind=r.kind, period_key=r.period_key,
                     data=unpack(r.message) if r.message is not None else "", message_id=r.message_id, id=r.id,
                     created_at=r.created_at)
            for r in rows]


_MARK_SENT = update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values(
    status="sent", location=bindparam("where"), sent_at=bindparam("sent_at"), last_error=None, next_attempt_at=None,
    attempts=_TABLE.c.attempts + 1)
"""Made once: over SMTP a mark follows every accepted mail, and building the statement cost as much as running it."""


def mark_sent(conn: Connection, done: Sequence[tuple[int, str]], now: datetime) -> None:
    """Mark rows sent, each with where it went, in the caller's transaction (one statement for the batch)."""
    if not done:
        return
    conn.execute(_MARK_SENT, [{"row_id": row_id, "where": where, "sent_at": now} for row_id, where in done])


def mark_failed(conn: Connection, row_id: int, *, error: str, permanent: bool, config: Config,
                now: datetime) -> str:
    """Record a failed attempt: rejected (permanent), failed with a backoff, or given up. Returns the status."""
    attempts = (conn.execute(select(Delivery.attempts).where(Delivery.id == row_id)).scalar() or 0) + 1
    mail = config.settings.mail
    if permanent:
        status, retry_at = "rejected", None
    else:
        status = "failed"
        give_up = attempts >= mail.max_attempts
        retry_at = None if give_up else now + backoff(config, attempts)
        if give_up:
            error = f"gave up after {attempts} attempts: {error}"
    conn.execute(update(Delivery).where(Delivery.id == row_id).values(
        status=status, attempts=attempts, last_error=error[:2000], next_attempt_at=retry_at))
    return status


MAX_BACKOFF = timedelta(days=1)


def backoff(config: Config, attempts: int) -> timedelta:
    seconds = config.settings.mail.retry_backoff_seconds * 2 ** max(0, attempts - 1)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


# --------------------------------------------------------------------------- retention


@dataclass
class PruneReport:
    bodies: int = 0
    """Finished rows whose message body was dropped."""
    files: int = 0
    """Outbox files (and previews) deleted."""
    rows: int = 0
    """Ledger rows deleted (older than ``mail.ledger_days``)."""

    def __str__(self) -> str:
        return (f"{self.bodies} message bodies dropped, {self.files} outbox files deleted, "
                f"{self.rows} ledger rows deleted")


def _finished() -> Any:
    """Rows no run will send again: sent, rejected, or failed and given up."""
    return or_(Delivery.status.in_(FINISHED),
               and_(Delivery.status == "failed", Delivery.next_attempt_at.is_(None)))


def prune(engine: Engine, config: Config, *, now: datetime | None = None, dry_run: bool = False) -> PruneReport:
    """Drop what the ledger no longer needs: bodies (and outbox files) of finished mails older than
    ``mail.retention_days``, rows older than ``mail.ledger_days``. Pending and retried mails keep theirs."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    mail = config.settings.mail
    bodies_before = now - timedelta(days=mail.retention_days)
    rows_before = now - timedelta(days=mail.ledger_days)
    report = PruneReport()
    outbox = Path(mail.outbox)
    with engine.begin() as conn:
        old = (Delivery.created_at < bodies_before) & _finished()
        for location in conn.scalars(select(Delivery.location).where(
                old, or_(Delivery.message.is_not(None), Delivery.location.like(f"{OUTBOX}%")))):
            report.bodies += 1
            if location and location.startswith(OUTBOX):
                path = outbox / location.removeprefix(OUTBOX)
                for file in (path, path.with_suffix(".html")):
                    if file.is_file():
                        report.files += 1
                        if not dry_run:
                            file.unlink()
        report.rows = conn.execute(select(func.count(Delivery.id)).where(
            Delivery.created_at < rows_before, _finished())).scalar() or 0
        if not dry_run:
            conn.execute(update(Delivery).where(old).values(message=None, location=_kept_location()))
            conn.execute(delete(Delivery).where(Delivery.created_at < rows_before, _finished()))
    return report


def _kept_location() -> Any:
    """An outbox location becomes 'pruned' (the file is gone); an SMTP one stays."""
    return case((Delivery.location.like(f"{OUTBOX}%"), "pruned"), else_=Delivery.location)
