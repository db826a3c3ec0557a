"""The health rules: the verdict of one source from its recent crawl runs (thresholds in ``settings.health``).

A source is unhealthy when:

* its crawl failed ``failed_runs_threshold`` times in a row (crawls interrupted because the
  scheduler was stopping do not count: that is not the source's fault);
* it returned zero notices ``empty_runs_threshold`` runs in a row while it used to return some
  (the typical sign of a site redesign: the page still loads, the selectors match nothing);
* a share of at least ``missing_fields_share`` of its last run's notices missed a required field
  (title, reference or url by default: ``required_fields`` of the source).

The rules read the crawl-run history (``crawl_runs``), the one record of what happened; they are
pure: storing and reporting verdicts is ``tenderwatch.health.verdicts`` and ``alerts.health``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenderwatch.config.models import HealthSettings
from tenderwatch.db.models import CrawlRun, Source
from tenderwatch.health.runs import INTERRUPTED_REASONS

HISTORY = 50
"""Runs read per source: more than any sensible threshold."""


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    rule: str | None = None
    """failing | empty | missing_fields"""
    reason: str | None = None


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
    """The source's runs, newest first: what ``evaluate`` reads."""
    return list(session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source.id).order_by(CrawlRun.id.desc()).limit(limit)
    ))
