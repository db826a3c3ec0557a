"""Health verdicts stored on the ``Source`` rows (``healthy``, ``health_reason``, ``health_reported_at``).

Only a *change* of verdict is news. ``claim_changes`` stores each change with a compare-and-swap on
the verdict it read, so when two checks run at once (the health job and the check after a crawl)
exactly one of them claims, and reports, a given change. The caller reports the claimed changes in
the same transaction (``alerts.health`` writes the administrator's mail to the delivery ledger), so
a change is either stored and reported, or neither, whatever crashes in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.db.models import Source
from tenderwatch.health.rules import evaluate, recent_runs


@dataclass(frozen=True)
class HealthChange:
    """A source whose verdict flipped: what is reported."""

    source: str
    healthy: bool
    reason: str
    run_id: int | None
    key: str
    """The change and the run that caused it (``name:unhealthy:rule:run`` or ``name:recovered:run``)."""
    organisation: str | None = None


def claim_changes(session: Session, config: Config, *, sources: Iterable[str] | None = None,
                  now: datetime | None = None) -> list[HealthChange]:
    """Evaluate enabled sources (all, or the named ones); store and return the verdicts that changed.

    The reason of a source that stays unhealthy is kept current without being a change. Nothing is
    committed here: the caller's transaction holds the verdicts and their report together.
    """
    now = now or datetime.now(UTC)
    wanted = set(sources) if sources is not None else None
    changes: list[HealthChange] = []
    rows = session.scalars(select(Source).where(Source.enabled.is_(True)).order_by(Source.name)).all()
    for source in rows:
        if wanted is not None and source.name not in wanted:
            continue
        runs = recent_runs(session, source)
        if not runs:
            continue
        verdict = evaluate(source, runs, config.settings.health)
        if verdict.healthy == source.healthy:
            if not verdict.healthy and source.health_reason != verdict.reason:
                session.execute(update(Source).where(Source.id == source.id, Source.healthy.is_(False))
                                .values(health_reason=verdict.reason).execution_options(synchronize_session=False))
            continue
        run_id = runs[0].id
        if verdict.healthy:
            reason = f"recovered: the last run was {runs[0].status} with {runs[0].notices_found} notice(s)"
            key = f"{source.name}:recovered:{run_id}"
        else:
            reason = verdict.reason or "unhealthy"
            key = f"{source.name}:unhealthy:{verdict.rule}:{run_id}"
        claimed = session.execute(
            update(Source).where(Source.id == source.id, Source.healthy.is_(source.healthy))
            .values(healthy=verdict.healthy, health_reason=None if verdict.healthy else reason,
                    health_reported_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            changes.append(HealthChange(source.name, verdict.healthy, reason, run_id, key,
                                        source.organisation_code))
    return changes


def unhealthy_sources(session: Session, organisations: Iterable[str] | None = None) -> list[Source]:
    """Enabled sources currently unhealthy (optionally only those of some organisations): for footers and pages."""
    query = select(Source).where(Source.enabled.is_(True), Source.healthy.is_(False)).order_by(Source.name)
    if organisations is not None:
        query = query.where(Source.organisation_code.in_(list(organisations)))
    return list(session.scalars(query))
