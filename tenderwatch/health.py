"""Source health: notice a broken source, tell the administrator once, and tell again when it recovers.

A source is unhealthy when (thresholds in ``settings.health``):

* its crawl failed ``failed_runs_threshold`` times in a row (crawls interrupted because the
  scheduler was stopping do not count: that is not the source's fault);
* it returned zero notices ``empty_runs_threshold`` runs in a row while it used to return some
  (the typical sign of a site redesign: the page still loads, the selectors match nothing);
* a share of at least ``missing_fields_share`` of its last run's notices missed a required field
  (title, reference or url by default: ``required_fields`` of the source).

The rules read the crawl-run history (``crawl_runs``), the one record of what happened. The verdict
is kept on the ``Source`` row (``healthy``, ``health_reason``, ``health_reported_at``) and only a
*change* of verdict is reported: one mail (kind ``health``) to ``mail.admin_address`` when a
source turns unhealthy, one when it recovers. The mail goes through the delivery ledger with a key
naming the change and the run that caused it, so a check that is re-run after a crash never sends
it twice. ILO notifications list ``unhealthy_sources`` in their footer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.config.models import HealthSettings
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Source

INTERRUPTED_REASONS = {"shutdown"}
"""Finish reasons of runs stopped by the operator (``scheduler.INTERRUPTED``): ignored by the rules."""
HISTORY = 50
"""Runs read per source: more than any sensible threshold."""


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    rule: str | None = None
    """failing | empty | missing_fields"""
    reason: str | None = None


@dataclass(frozen=True)
class HealthChange:
    """A source whose verdict flipped: what is reported."""

    source: str
    healthy: bool
    reason: str
    run_id: int | None
    key: str
    """Ledger period key: the change and the run that caused it, so a retry is recognised."""


def _streak(runs: list[CrawlRun], status: str) -> list[CrawlRun]:
    """The newest runs, in a row, with this status (interrupted runs skipped, not counted)."""
    out = []
    for run in runs:
        if run.finish_reason in INTERRUPTED_REASONS or run.status == "running":
            continue
        if run.status != status:
            break
        out.append(run)
    return out


def _missing_detail(run: CrawlRun) -> str:
    fields = sorted(
        (key.removeprefix("tenderwatch/missing/"), int(value))
        for key, value in (run.stats or {}).items()
        if key.startswith("tenderwatch/missing/") and str(value).isdigit()
    )
    return ", ".join(f"{name} {count}" for name, count in fields)


def evaluate(source: Source, runs: list[CrawlRun], settings: HealthSettings) -> Verdict:
    """The health verdict of one source from its runs (newest first)."""
    failures = _streak(runs, "failed")
    if len(failures) >= settings.failed_runs_threshold:
        last = failures[0]
        why = "; ".join(last.problems or [])[:500] or f"finish reason {last.finish_reason}"
        return Verdict(False, "failing", f"crawl failed {len(failures)} time(s) in a row: {why}")
    empties = _streak(runs, "empty")
    if len(empties) >= settings.empty_runs_threshold:
        older = runs[runs.index(empties[-1]) + 1:]
        if any(r.notices_found > 0 for r in older) or source.notices_seen_total > 0:
            return Verdict(False, "empty",
                           f"no notices in the last {len(empties)} runs while it used to return some "
                           f"(site redesign? check its selectors with 'tenderwatch sources test {source.name}')")
    completed = [r for r in runs if r.status in ("ok", "empty") and r.finish_reason not in INTERRUPTED_REASONS]
    if completed and completed[0].notices_found > 0:
        last = completed[0]
        share = last.notices_missing_fields / last.notices_found
        if share >= settings.missing_fields_share:
            detail = _missing_detail(last)
            return Verdict(False, "missing_fields",
                           f"{last.notices_missing_fields} of {last.notices_found} notices of the last run miss "
                           f"required fields" + (f" ({detail})" if detail else ""))
    return Verdict(True)


def recent_runs(session: Session, source: Source, limit: int = HISTORY) -> list[CrawlRun]:
    return list(session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source.id).order_by(CrawlRun.id.desc()).limit(limit)
    ))


def check_health(engine: Engine, config: Config, *, sources: Iterable[str] | None = None,
                 now: datetime | None = None, report: bool = True) -> list[HealthChange]:
    """Evaluate enabled sources (all, or the named ones), store the verdicts, report each change once."""
    now = now or datetime.now(UTC)
    wanted = set(sources) if sources is not None else None
    changes: list[HealthChange] = []
    with session_scope(engine) as session:
        rows = session.scalars(select(Source).where(Source.enabled.is_(True)).order_by(Source.name))
        for source in rows:
            if wanted is not None and source.name not in wanted:
                continue
            runs = recent_runs(session, source)
            if not runs:
                continue
            verdict = evaluate(source, runs, config.settings.health)
            if verdict.healthy == source.healthy:
                if not verdict.healthy:
                    source.health_reason = verdict.reason  # keep the text current, without a new report
                continue
            run_id = runs[0].id
            if verdict.healthy:
                reason = f"recovered: the last run was {runs[0].status} with {runs[0].notices_found} notice(s)"
                key = f"{source.name}:recovered:{run_id}"
            else:
                reason = verdict.reason or "unhealthy"
                key = f"{source.name}:unhealthy:{verdict.rule}:{run_id}"
            changes.append(HealthChange(source.name, verdict.healthy, reason, run_id, key))
    for change in changes:
        if report:
            report_change(engine, config, change)
        with session_scope(engine) as session:
            source = session.scalars(select(Source).where(Source.name == change.source)).one()
            source.healthy = change.healthy
            source.health_reason = None if change.healthy else change.reason
            source.health_reported_at = now
    return changes


def health_message(config: Config, change: HealthChange) -> EmailMessage:
    """The administrator's mail for one change (``X-Tenderwatch-Kind: health``); built by the one mail builder."""
    from alerts.message import address, build_message

    state = "recovered" if change.healthy else "is unhealthy"
    text = "\n".join([
        f"Source: {change.source}",
        f"State: {'healthy' if change.healthy else 'UNHEALTHY'}",
        f"Why: {change.reason}",
        "",
        "See 'tenderwatch sources list' for every source's last runs, and "
        f"'tenderwatch crawl {change.source}' to try it by hand.",
        "You get one message when a source turns unhealthy and one when it recovers, not one per run.",
    ])
    return build_message(kind="health", from_address=config.settings.mail.from_address,
                         to=[address(None, config.settings.mail.admin_address)],
                         subject=f"[Tenderwatch] source {change.source} {state}", text=text)


def report_change(engine: Engine, config: Config, change: HealthChange) -> Any:
    """Send the change to the administrator once, through the delivery ledger."""
    from alerts.outgoing import send_once

    return send_once(engine, config, recipient=config.settings.mail.admin_address, kind="health",
                     period_key=change.key, message=health_message(config, change))


def unhealthy_sources(session: Session, organisations: Iterable[str] | None = None) -> list[Source]:
    """Enabled sources currently unhealthy (optionally only those of some organisations): for notification footers."""
    query = select(Source).where(Source.enabled.is_(True), Source.healthy.is_(False)).order_by(Source.name)
    if organisations is not None:
        query = query.where(Source.organisation_code.in_(list(organisations)))
    return list(session.scalars(query))

