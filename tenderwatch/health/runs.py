"""A crawl run as it ended: one ``crawl_runs`` row, and the source's counters the health rules read.

The spiders record their own run when the crawl closes (``spiders.pipelines``); when a crawl child is
killed or dies first, the scheduler records it for them with one of the finish reasons below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Source

INTERRUPTED = "shutdown"
"""Finish reason of a crawl stopped because the scheduler stopped: not the source's fault."""
TIME_LIMIT = "time limit"
"""Finish reason of a crawl killed at ``settings.crawl.crawl_time_limit_seconds``."""
CRASHED = "crashed"
"""Finish reason of a crawl process that exited without recording its run."""
INTERRUPTED_REASONS = {INTERRUPTED}
"""Finish reasons that say nothing about the source: no streak changes, ignored by the health rules."""


def spider_errors(stats: dict[str, Any]) -> int:
    """Exceptions raised in this spider's callbacks.

    Scrapy's ``log_count/ERROR`` counts every ERROR record of the process, so with several crawlers
    in one process it would blame each source for the others' errors; these counters are per crawler.
    """
    return sum(int(v) for k, v in stats.items() if k.startswith("spider_exceptions/") and k.count("/") == 1)


def run_status(finish_reason: str, stats: dict[str, Any], problems: list[str]) -> str:
    """ok | empty | failed. A crawl whose callbacks raised or that fetched no page is failed, not just empty."""
    errors = spider_errors(stats)
    responses = stats.get("response_received_count", 0)
    if finish_reason != "finished":
        return "failed"
    if responses == 0 or stats.get("tenderwatch/listing_failed", 0):
        return "failed"
    if errors and not stats.get("tenderwatch/notices", 0):
        return "failed"
    if not stats.get("tenderwatch/notices", 0):
        return "empty"
    return "ok"


def _jsonable_stats(stats: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in stats.items():
        out[k] = v.isoformat() if isinstance(v, datetime) else v if isinstance(v, int | float | str) else str(v)
    return out


def record_run(engine: Engine, config: Config, source_name: str, started_at: datetime, finish_reason: str,
               stats: dict[str, Any], problems: list[str]) -> CrawlRun:
    """Store the run and bring the source's counters (streaks, last error, totals) up to date."""
    now = datetime.now(UTC)
    status = run_status(finish_reason, stats, problems)
    errors = [p for p in problems]
    if spider_errors(stats):
        errors.append(f"{spider_errors(stats)} exception(s) in the spider's callbacks")
    found = int(stats.get("tenderwatch/notices", 0))
    with session_scope(engine) as session:
        source = session.scalars(select(Source).where(Source.name == source_name)).one()
        run = CrawlRun(
            source_id=source.id,
            started_at=started_at,
            finished_at=now,
            status=status,
            finish_reason=finish_reason,
            notices_found=found,
            notices_new=int(stats.get("tenderwatch/new", 0)),
            notices_changed=int(stats.get("tenderwatch/changed", 0)),
            notices_missing_fields=int(stats.get("tenderwatch/notices_missing_fields", 0)),
            problems=errors[:50],
            stats=_jsonable_stats(stats),
        )
        session.add(run)
        source.last_run_at = now
        source.runs_total += 1
        source.last_run_notices = found
        source.notices_seen_total += found
        if finish_reason in INTERRUPTED_REASONS:
            pass  # stopped by our own shutdown: says nothing about the source, so no streak changes
        elif status == "failed":
            source.consecutive_failures += 1
            source.last_error = "; ".join(errors)[:2000] or f"finish reason {finish_reason}"
        else:
            source.consecutive_failures = 0
            source.last_success_at = now
            source.successful_runs_total += 1
        if status == "empty":
            source.consecutive_empty_runs += 1
        elif status == "ok":
            source.consecutive_empty_runs = 0
        session.flush()
        return run
