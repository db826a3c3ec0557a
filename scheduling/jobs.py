"""What the scheduler's jobs do, and the job functions its persistent job store calls.

Job functions are module-level (the job store keeps a reference to them, not a pickled object) and
reach the running scheduler's ``Operations`` through ``current()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from scheduling.plan import last_fire_time, trigger_for
from scheduling.supervise import CrawlOutcome, crawl_in_child
from tenderwatch.config import Config

log = logging.getLogger("tenderwatch.scheduler")


class CrawlBurst:
    """Crawls that overlap in time (every source due at 06:00): the last one to finish hands over all of them.

    So the health check after a burst sees every source crawled in it and a bad day is one mail
    (and one round of ILO notifications), not one per source.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._finished: list[str] = []

    def start(self) -> None:
        with self._lock:
            self._running += 1

    def finish(self, source: str) -> list[str]:
        """The sources of the burst when this was its last running crawl, else nothing (yet)."""
        with self._lock:
            self._running -= 1
            self._finished.append(source)
            if self._running:
                return []
            done, self._finished = self._finished, []
            return done


@dataclass
class Operations:
    """What jobs act on: the config, the database, and the stop request crawl jobs obey (one per scheduler)."""

    config: Config
    engine: Engine
    db_url: str
    child_env: dict[str, str] = field(default_factory=dict)
    """Extra environment for crawl children (e.g. TENDERWATCH_URL_REWRITE on a test or demo bench)."""
    stopping: threading.Event = field(default_factory=threading.Event)
    burst: CrawlBurst = field(default_factory=CrawlBurst)

    def crawl(self, source: str) -> CrawlOutcome:
        """One crawl in a child process with its time limit (``scheduling.supervise``)."""
        return crawl_in_child(self.engine, self.config, self.db_url, source, child_env=self.child_env,
                              stopping=self.stopping)

    def after_crawl(self, *sources: str) -> None:
        """Health of the sources just crawled, then ILO notifications (whose footer lists unhealthy sources)."""
        from alerts.health import check_health

        _guarded("health check", check_health, self.engine, self.config, sources=list(sources))
        if not self.stopping.is_set():
            _guarded("ILO notifications", notify, self.engine, self.config)

    def digests(self, frequency: str, now: datetime | None = None) -> Any:
        """The digests of the period whose scheduled time last passed (a late run still sends that period's)."""
        from alerts.digest import run_digests

        settings = self.config.settings
        schedule = settings.digest.schedule if frequency == "weekly" else settings.digest.daily_schedule
        now = now or datetime.now(UTC)
        lookback = timedelta(days=7 if frequency == "weekly" else 1)
        fired = last_fire_time(trigger_for(schedule, settings.timezone), now, lookback=lookback) or now
        local = fired.astimezone(ZoneInfo(settings.timezone)).date()
        if frequency == "weekly":
            iso = local.isocalendar()
            return run_digests(self.engine, self.config, frequency="weekly", week=f"{iso.year}-W{iso.week:02d}")
        return run_digests(self.engine, self.config, frequency="daily", day=local)

    def morning_notification(self) -> Any:
        """The ILO notification with the day's follow-up reminders (and any calls not yet reported)."""
        return notify(self.engine, self.config, reminders=True)

    def health(self) -> Any:
        from alerts.health import check_health

        return check_health(self.engine, self.config)

    def retry_mail(self) -> Any:
        from alerts.outgoing import deliver_pending

        return deliver_pending(self.engine, self.config)


def notify(engine: Engine, config: Config, *, reminders: bool = False) -> Any:
    from alerts.notify import run_ilo_notifications

    return run_ilo_notifications(engine, config, reminders=reminders)


def _guarded(what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a follow-up step; log its failure instead of skipping the steps after it."""
    try:
        return func(*args, **kwargs)
    except Exception:
        log.exception("%s failed", what)
        return None


_running: dict[str, Operations] = {}
"""The ``Operations`` of the scheduler running in this process (at most one: the lock sees to that)."""


def current() -> Operations:
    if "ops" not in _running:
        raise RuntimeError("no scheduler is running in this process")
    return _running["ops"]


def install(ops: Operations) -> None:
    _running["ops"] = ops


def uninstall(ops: Operations) -> None:
    if _running.get("ops") is ops:
        _running.pop("ops")


def crawl_job(source: str) -> None:
    ops = current()
    if ops.stopping.is_set():
        return
    ops.burst.start()
    try:
        ops.crawl(source)
    finally:
        finished = ops.burst.finish(source)
        if finished:  # the burst's last crawl: check them all (after_crawl logs its own failures)
            ops.after_crawl(*finished)


def digest_job(frequency: str) -> None:
    current().digests(frequency)


def morning_notification_job() -> None:
    current().morning_notification()


def health_job() -> None:
    current().health()


def retry_mail_job() -> None:
    current().retry_mail()
