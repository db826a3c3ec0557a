"""``index.html`` in the outbox folder: the mails in it, newest first, each previewable in a browser.

Built from the ledger once per delivery run (the ledger knows every mail's kind, recipient, subject,
time and file), never by reading the outbox's mails back: that grew with the outbox's history and
was 42 % of a 10,000-digest run. The previews are written beside each .eml when it is written
(``alerts.transport.OutboxTransport``) and shown through a sandboxed iframe: no script of a hostile
title could run even if escaping had failed.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from alerts.ledger import OUTBOX, PruneReport, prune
from alerts.render import environment
from alerts.transport import atomic_write
from tenderwatch.config import Config
from tenderwatch.db.models import Delivery

LISTED = 5_000
"""Mails listed (the newest); the page says how many more the outbox holds."""


def prune_outbox(engine: Engine, config: Config, *, now: datetime | None = None,
                 dry_run: bool = False) -> PruneReport:
    """``alerts.ledger.prune``, then the index rewritten if mails left the outbox folder (it would
    otherwise link to files that are gone). What ``tenderwatch prune`` and every digest run call."""
    report = prune(engine, config, now=now, dry_run=dry_run)
    if report.files and not dry_run and (Path(config.settings.mail.outbox) / "index.html").exists():
        write_index(engine, config)
    return report


@contextmanager
def _index_lock(root: Path) -> Iterator[None]:
    """One writer of ``index.html`` at a time, across threads and processes: the health check, a
    crawl's check and ``run --once`` may all finish a delivery run at once. Without it two writers
    raced on one temporary file (one failed), and a writer that read the ledger first could replace
    a newer index with its older list."""
    with open(root / ".index.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_index(engine: Engine, config: Config) -> Path:
    """(Re)write ``index.html`` of the outbox from the ledger; returns its path."""
    root = Path(config.settings.mail.outbox)
    root.mkdir(parents=True, exist_ok=True)
    with _index_lock(root):
        return _write_index(engine, root)


def _write_index(engine: Engine, root: Path) -> Path:
    in_outbox = Delivery.location.like(f"{OUTBOX}%")
    with engine.connect() as conn:
        total = conn.scalar(select(func.count(Delivery.id)).where(in_outbox)) or 0
        rows = conn.execute(
            select(Delivery.kind, Delivery.recipient, Delivery.subject, Delivery.sent_at, Delivery.location,
                   Delivery.size)
            .where(in_outbox).order_by(Delivery.id.desc()).limit(LISTED)).all()
    listed = []
    for r in rows:
        eml = r.location.removeprefix(OUTBOX)
        listed.append({
            "kind": r.kind, "to": r.recipient, "subject": r.subject or "", "eml": eml,
            "preview": Path(eml).with_suffix(".html").as_posix(), "size": f"{(r.size or 0) / 1024:.0f} KB",
            "date": r.sent_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if r.sent_at else "",
        })
    page = environment().get_template("outbox_index.html.j2").render(
        rows=listed, total=total, more=max(0, total - len(listed)),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    index = root / "index.html"
    atomic_write(index, page.encode("utf-8"))
    return index
