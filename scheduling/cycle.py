"""One full cycle for cron and CI (``tenderwatch run --once``): crawls, health, notifications, digests due, mail.

The crawls run concurrently, each in its own child process, at most ``crawl.max_concurrent_crawls``
at once: on a bad day (every site down) the cycle takes about as long as its slowest few crawls,
not the sum of all of them. The health check runs once after all crawls, so every change of the
cycle goes to the administrator in one mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduling.jobs import Operations, notify
from scheduling.lock import acquire_lock, lock_holder, release_lock
from scheduling.plan import last_fire_time, trigger_for
from scheduling.supervise import CrawlOutcome
from tenderwatch.health.verdicts import HealthChange

log = logging.getLogger("tenderwatch.scheduler")


@dataclass
class CycleReport:
    crawls: list[CrawlOutcome] = field(default_factory=list)
    """One outcome per enabled source, in config order."""
    steps: dict[str, str] = field(default_factory=dict)
    """Step name -> 'ok', 'not due', or the error."""
    health: list[HealthChange] = field(default_factory=list)
    """Sources that turned unhealthy or recovered in this cycle (all in one mail to the administrator)."""

    @property
    def failed(self) -> bool:
        return any(c.status == "failed" for c in self.crawls) or any(
            v not in ("ok", "not due") for v in self.steps.values()
        )


def run_crawls(ops: Operations, names: list[str], progress: Callable[[str], None]) -> list[CrawlOutcome]:
    """Crawl the sources concurrently (each a child process), at most ``max_concurrent_crawls`` at once.

    Sources not started yet when the scheduler is asked to stop are skipped; the outcomes come back
    in the order of ``names``.
    """
    limit = ops.config.settings.crawl.max_concurrent_crawls
    outcomes: dict[str, CrawlOutcome] = {}
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="crawl") as pool:
        running: dict[Future[CrawlOutcome], str] = {}
        queue = list(names)
        while queue or running:
            while queue and len(running) < limit and not ops.stopping.is_set():
                name = queue.pop(0)
                running[pool.submit(ops.crawl, name)] = name
            if ops.stopping.is_set():
                queue.clear()
            if not running:
                break
            progress(f"crawls: {len(outcomes)} of {len(names)} done, running {', '.join(sorted(running.values()))}")
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                outcomes[running.pop(future)] = future.result()
    return [outcomes[name] for name in names if name in outcomes]


def run_cycle(ops: Operations, *, now: datetime | None = None,
              progress: Callable[[str], None] | None = None) -> CycleReport:
    """One full cycle: every enabled source, health, notifications, the digests now due, deferred mail.

    A digest is due when its schedule fired within the last period (the delivery ledger keeps it
    to one per period however often cron calls this).
    """
    from alerts.health import check_health

    now = now or datetime.now(UTC)
    report = CycleReport()
    step = progress or (lambda _what: None)

    def attempt(name: str, func: Callable[[], Any]) -> Any:
        step(name)
        try:
            result = func()
            report.steps[name] = "ok"
            return result
        except Exception as exc:
            log.exception("%s failed", name)
            report.steps[name] = f"{type(exc).__name__}: {exc}"
            return None

    report.crawls = run_crawls(ops, [src.name for src in ops.config.sources if src.enabled], step)
    report.health = attempt("health check", lambda: check_health(ops.engine, ops.config)) or []
    attempt("ILO notifications", lambda: notify(ops.engine, ops.config))
    settings = ops.config.settings
    for frequency, schedule, period in (("weekly", settings.digest.schedule, timedelta(days=7)),
                                        ("daily", settings.digest.daily_schedule, timedelta(days=1))):
        fired = last_fire_time(trigger_for(schedule, settings.timezone), now, lookback=period)
        if fired is None:
            report.steps[f"{frequency} digests"] = "not due"
            continue
        attempt(f"{frequency} digests", lambda f=frequency: ops.digests(f, now))
    attempt("retry deferred mail", ops.retry_mail)
    return report


def run_once(ops: Operations, *, holder: str | None = None,
             progress: Callable[[str], None] | None = None) -> CycleReport:
    """``tenderwatch run --once``: the lock is held for the cycle, so it never overlaps a running scheduler."""
    holder = holder or lock_holder()
    acquire_lock(ops.engine, holder)
    try:
        return run_cycle(ops, progress=progress)
    finally:
        release_lock(ops.engine, holder)
