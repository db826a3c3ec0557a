"""Company digests: one mail per recipient per period with the new and changed calls that match.

Interface (stable; the demo and the scheduler call it):

``run_digests(engine, config, *, week=None, now=None, dry_run=False, frequency="weekly",
day=None, progress=None, preview_dir=None) -> DigestReport``

- ``week`` 'YYYY-Www' (any week, past or next; default the current ISO week in the settings'
  time zone); ``frequency='daily'`` sends the daily companies' digest of ``day`` (default today).
- A call is in a company's digest when it matches the profile (``alerts.matching``) and was
  first seen, or changed, since that company's previous digest (the ledger knows when; the first
  digest looks back one period). Changed calls are marked and say what changed. A "closing soon"
  section repeats every matched open call whose deadline falls within
  ``digest.closing_soon_days``. Deadlines are shown in the company's time zone with days left,
  and attached as an .ics file. What a digest says is ``alerts.digest_render``.
- In batches of ``mail.batch_size`` companies' mails: rendered, written to the ledger in one
  transaction (``alerts.ledger.enqueue_many``), and sent at once (``alerts.outgoing.delivering``),
  so memory holds one batch, not the run, and the outbox index is written once at the end.
- Exactly once: each recipient's mail becomes a ledger row before it is sent; a second run for the
  same period renders nothing and sends nothing, and a run cut short is finished by the next one
  (it first sends what is still due). A period older than ``mail.ledger_days`` is refused: its
  ledger rows may be pruned, so the ledger could no longer tell who already had it.
- At its end the run prunes the ledger and the outbox (``alerts.outbox_index.prune_outbox``):
  retention needs no other job.
- ``dry_run`` renders without writing the ledger or sending; with ``preview_dir`` each mail is
  written to its ``<period key>`` folder as it is rendered (``.eml`` and an HTML preview, with an
  ``index.html``), and the report keeps only counts and a few subjects, whatever the number of
  companies.
- Raises ``AlertsError`` before doing anything when no secret key is set (links in the mail are
  signed; a default key would make them forgeable).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from alerts.digest_render import (
    KIND,
    MAX_CLOSING,
    MAX_LISTED,
    AlertsError,
    DigestRenderer,
    Relevance,
    RenderedDigest,
    area_labels,
    require_secret,
)
from alerts.facts import CompanyProfile, attach_changes, load_companies, load_open_notices
from alerts.ledger import Outgoing, PruneReport, due_query, enqueue_many
from alerts.matching import NoticeIndex
from alerts.outbox_index import prune_outbox
from alerts.outgoing import DeliveryReport, delivering
from alerts.periods import Period, period_for
from alerts.render import environment
from alerts.transport import atomic_write, slug
from tenderwatch.calendars import deadline_sequences
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery

__all__ = ["KIND", "MAX_CLOSING", "MAX_LISTED", "AlertsError", "DigestRenderer", "DigestReport", "Relevance",
           "RenderedDigest", "area_labels", "require_secret", "run_digests"]

SHOWN_PREVIEWS = 20
"""Dry run: digests whose subject the report keeps for the command's table (the rest are counted)."""


@dataclass(frozen=True)
class Preview:
    """One dry-run digest, as the command's table shows it."""

    company_key: str
    listed: int
    closing_soon: int
    subject: str


@dataclass
class DigestReport:
    period: str = ""
    frequency: str = "weekly"
    dry_run: bool = False
    companies: int = 0
    """Companies considered (active, subscribed, of this frequency)."""
    matched: int = 0
    """Companies with at least one call in this period's digest."""
    empty: int = 0
    """Companies with nothing to report (no mail unless ``send_empty_digests``)."""
    already: int = 0
    """Recipients whose digest for this period is already in the ledger (not rendered again)."""
    rendered: int = 0
    """Digests rendered by this run (one per company with something to say)."""
    listed: int = 0
    """Calls listed in those digests, in all."""
    queued: int = 0
    """Ledger rows written by this run."""
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    pruned: PruneReport | None = None
    """What the run's closing ``prune`` dropped (``mail.retention_days``, ``mail.ledger_days``)."""
    previews: list[Preview] = field(default_factory=list)
    """Dry run only: the first ``SHOWN_PREVIEWS`` digests (all of them are in ``preview_dir``)."""
    preview_dir: Path | None = None

    @property
    def sent(self) -> int:
        return self.delivery.sent

    @property
    def failed(self) -> int:
        return self.delivery.failed + self.delivery.rejected

    def __str__(self) -> str:
        head = f"{self.frequency} digest {self.period}{' (dry run)' if self.dry_run else ''}: "
        body = (f"{self.companies} companies, {self.matched} with matches, {self.empty} empty; "
                f"{self.queued} queued, {self.already} already in the ledger")
        if self.dry_run:
            where = f" (in {self.preview_dir})" if self.preview_dir else ""
            return head + body + f"; {self.rendered} rendered{where}"
        d = self.delivery
        pruned = f"; pruned: {self.pruned}" if self.pruned and (self.pruned.bodies or self.pruned.rows) else ""
        return (head + body + f"; {d.sent} sent, {d.failed} failed, {d.rejected} rejected, {d.deferred} deferred"
                + pruned)


def _previous_digests(session: Any, period: Period) -> dict[int, datetime]:
    rows = session.execute(
        select(Delivery.company_id, func.max(Delivery.created_at))
        .where(Delivery.kind == KIND, Delivery.period_key != period.key, Delivery.created_at < period.as_of,
               Delivery.company_id.is_not(None))
        .group_by(Delivery.company_id)
    )
    out = {}
    for cid, at in rows:
        if at is not None:
            out[cid] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return out


class PreviewWriter:
    """Dry run: each rendered mail written to a folder as it comes (``.eml`` + HTML preview), then an index."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if folder.exists():  # a previous dry run's files: this run's index must not mix them in
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        self.rows: list[dict[str, str]] = []

    def write(self, item: Outgoing, company_key: str) -> None:
        stem = f"{len(self.rows) + 1:06d}-{slug(company_key)}-{slug(item.recipient)}"
        atomic_write(self.folder / f"{stem}.eml", item.data.encode("ascii", "surrogateescape"))
        atomic_write(self.folder / f"{stem}.html", (item.preview or "").encode("utf-8", "surrogateescape"))
        self.rows.append({"kind": item.kind, "to": item.recipient, "subject": item.subject or "", "date": "",
                          "eml": f"{stem}.eml", "preview": f"{stem}.html", "size": f"{len(item.data) / 1024:.0f} KB"})

    def finish(self) -> None:
        page = environment().get_template("outbox_index.html.j2").render(
            rows=self.rows, total=len(self.rows), more=0, generated="dry run (nothing sent or recorded)")
        (self.folder / "index.html").write_text(page, encoding="utf-8")


def run_digests(engine: Engine, config: Config, *, week: str | None = None, now: datetime | None = None,
                dry_run: bool = False, frequency: str = "weekly", day: date | None = None,
                progress: Callable[[int, int], None] | None = None,
                preview_dir: str | Path | None = None) -> DigestReport:
    """Match, render, ledger and send this period's digests; see the module docstring."""
    require_secret(config)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        period = period_for(frequency, now=now, timezone=config.settings.timezone, week=week, day=day)
    except ValueError as exc:
        raise AlertsError(str(exc)) from exc
    kept = timedelta(days=config.settings.mail.ledger_days)
    if not dry_run and period.end < now - kept:
        raise AlertsError(f"{period.key} ended more than mail.ledger_days ({kept.days}) days ago: the ledger may "
                          "no longer know who received it, so Tenderwatch will not send it (use --dry-run to see it)")
    report = DigestReport(period=period.key, frequency=frequency, dry_run=dry_run)
    renderer = DigestRenderer(config, period)
    send_empty = config.settings.mail.send_empty_digests
    batch_size = config.settings.mail.batch_size

    with session_scope(engine) as session:
        companies = load_companies(session, frequency)
        previous = _previous_digests(session, period)
        done = {r for (r,) in session.execute(
            select(Delivery.recipient).where(Delivery.kind == KIND, Delivery.period_key == period.key))}
        notices = load_open_notices(session, period.as_of)
        earliest = min([period.as_of - period.length, *previous.values()])
        attach_changes(session, notices, earliest)
        if config.settings.digest.calendar == "attachment":  # the events' SEQUENCE (a link needs none here)
            renderer.calendar.sequences = deadline_sequences(
                session, {n.call_uid for n in notices if n.deadline_at is not None})
    index = NoticeIndex(notices)
    relevance = Relevance(notices, period, renderer.closing_days)
    report.companies = len(companies)

    def digests() -> Any:
        """(company, its mails) for every company with something to say, in key order."""
        for i, company in enumerate(companies):
            recipients = [r for r in dict.fromkeys(r.strip().lower() for r in company.recipients) if r not in done]
            report.already += len(company.recipients) - len(recipients)
            if recipients:
                rendered = _render(company, recipients)
                if rendered is not None:
                    yield company, rendered, recipients
            if progress:
                progress(i + 1, len(companies))

    def _render(company: CompanyProfile, recipients: list[str]) -> RenderedDigest | None:
        since = previous.get(company.id, period.as_of - period.length)
        new, changed = relevance.since(since)
        matches = index.match(company, within=relevance.window(since))
        main = [(m, "new" if m.notice.id in new else "changed") for m in matches
                if m.notice.id in new or m.notice.id in changed]
        closing = [m for m in matches if m.notice.id in relevance.closing]
        if main:
            report.matched += 1
        if not main and not closing and not send_empty:
            report.empty += 1
            return None
        rendered = renderer.render(company, main, closing, since)
        report.rendered += 1
        report.listed += rendered.listed
        if len(report.previews) < SHOWN_PREVIEWS:
            report.previews.append(Preview(company.key, rendered.listed, rendered.closing_soon, rendered.subject))
        return rendered

    def mails(company: CompanyProfile, rendered: RenderedDigest, recipients: list[str]) -> list[Outgoing]:
        return [Outgoing.of(msg, recipient=rcpt, kind=KIND, period_key=period.key, company_id=company.id,
                            payload=rendered.payload, preview=rendered.html)
                for rcpt, msg in renderer.messages(company, rendered, recipients)]

    if dry_run:
        writer = PreviewWriter(Path(preview_dir) / period.key) if preview_dir is not None else None
        report.preview_dir = writer.folder if writer else None
        for company, rendered, recipients in digests():
            if writer is not None:
                for item in mails(company, rendered, recipients):
                    writer.write(item, company.key)
        if writer is not None:
            writer.finish()
        return report

    with delivering(engine, config, now=now, report=report.delivery) as delivery:
        with engine.connect() as conn:  # first what earlier runs left due (a run cut short, retries)
            earlier = list(conn.scalars(due_query(now)))
        delivery.send_ids(earlier)
        batch: list[Outgoing] = []
        for company, rendered, recipients in digests():
            batch += mails(company, rendered, recipients)
            if len(batch) >= batch_size:
                report.queued += _write_and_send(engine, delivery, batch, now)
        report.queued += _write_and_send(engine, delivery, batch, now)
    report.pruned = prune_outbox(engine, config, now=now)
    return report


def _write_and_send(engine: Engine, delivery: Any, batch: list[Outgoing], now: datetime) -> int:
    """One batch: its ledger rows in one transaction, then sent; returns the rows written."""
    written = enqueue_many(engine, batch, now)
    batch.clear()
    delivery.send(written)
    return len(written)
