"""The administrator's health mail: every source that turned unhealthy or recovered in one check, in one mail.

A bad day (the network gone, every source failing at once) is one mail naming every source with its
reason, not one mail per source. Each change is still reported exactly once: ``check_health``
claims the changes (``tenderwatch.health.verdicts``) and writes the mail to the delivery ledger in
the same transaction, then delivers it; a crash before the commit leaves both undone (the next
check finds the same changes), a crash after it leaves the mail pending for the retry job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Engine

from alerts.message import address, build_message
from alerts.outgoing import deliver_pending, enqueue
from alerts.render import environment
from alerts.views import display_text
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.health.verdicts import HealthChange, claim_changes

KIND = "health"
REASON_LIMIT = 2000
"""A reason is quoted whole up to this length (problems of a run are already bounded; scraped text is not trusted)."""
KEY_LIMIT = 100
"""Length of the ledger's ``period_key`` column."""


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def subject(changes: list[HealthChange]) -> str:
    """One change names its source (as it always did); several are counted."""
    if len(changes) == 1:
        change = changes[0]
        return f"[Tenderwatch] source {change.source} {'recovered' if change.healthy else 'is unhealthy'}"
    down = sum(1 for c in changes if not c.healthy)
    up = len(changes) - down
    if not up:
        return f"[Tenderwatch] {_count(down, 'source')} unhealthy"
    if not down:
        return f"[Tenderwatch] {_count(up, 'source')} recovered"
    return f"[Tenderwatch] {_count(down, 'source')} unhealthy, {up} recovered"


def ledger_key(changes: list[HealthChange]) -> str:
    """The ledger key of the mail: the change's own key when it is one, else a digest of all of them."""
    keys = sorted(c.key for c in changes)
    if len(keys) == 1 and len(keys[0]) <= KEY_LIMIT:
        return keys[0]
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:32]
    return f"{len(keys)} changes:{digest}"


def health_message(config: Config, changes: list[HealthChange]) -> EmailMessage:
    """The mail (``X-Tenderwatch-Kind: health``, plain text) listing every change with its reason."""
    down = [c for c in changes if not c.healthy]
    up = [c for c in changes if c.healthy]
    clean = [{"source": display_text(c.source, 100), "organisation": display_text(c.organisation, 32),
              "reason": display_text(c.reason, REASON_LIMIT), "healthy": c.healthy} for c in down + up]
    groups = [(f"Unhealthy ({len(down)})", clean[:len(down)]), (f"Recovered ({len(up)})", clean[len(down):])]
    summary = " and ".join(part for part in (
        f"{_count(len(down), 'source')} turned unhealthy" if down else "",
        f"{_count(len(up), 'source')} recovered" if up else "") if part) + " in this check."
    text = environment().get_template("health.txt.j2").render(
        summary=summary, groups=[(title, group) for title, group in groups if group])
    return build_message(kind=KIND, from_address=config.settings.mail.from_address,
                         to=[address(None, config.settings.mail.admin_address)],
                         subject=subject(changes), text=text)


def check_health(engine: Engine, config: Config, *, sources: Iterable[str] | None = None,
                 now: datetime | None = None, report: bool = True) -> list[HealthChange]:
    """Evaluate enabled sources (all, or the named ones), store the verdicts, report the changes in one mail."""
    with session_scope(engine) as session:
        changes = claim_changes(session, config, sources=sources, now=now)
        row = None
        if changes and report:
            row = enqueue(session, recipient=config.settings.mail.admin_address, kind=KIND,
                          period_key=ledger_key(changes), message=health_message(config, changes), now=now)
        row_id = row.id if row is not None else None
    if row_id is not None:
        deliver_pending(engine, config, now=now, ids=[row_id])
    return changes
