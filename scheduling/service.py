"""The long-running scheduler behind ``tenderwatch run``: APScheduler in the background, signals in front.

* **Jobs persist in the database** (APScheduler's SQLAlchemy job store, table ``scheduler_jobs``):
  a restart neither loses nor repeats work. A job that fell due while the scheduler was down runs
  once on start (``coalesce``) when it is within ``settings.scheduler_misfire_grace_seconds``.
* **Crawls** run on their own workers, at most ``crawl.max_concurrent_crawls`` at once (read at
  start; a SIGHUP re-plans the jobs but keeps the workers).
* **Signals**: SIGTERM/SIGINT stop gracefully (running crawls are asked to stop, Scrapy closes them
  cleanly and records the run), SIGHUP reloads ``config/`` and re-plans the jobs without losing
  their state. Handlers only set flags; the main thread acts on them, never inside a handler.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from sqlalchemy import Engine

from scheduling.jobs import Operations, install, uninstall
from scheduling.lock import acquire_lock, lock_holder, refresh_lock, release_lock
from scheduling.plan import plan_jobs
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope

log = logging.getLogger("tenderwatch.scheduler")

JOBSTORE_TABLE = "scheduler_jobs"
HEARTBEAT_SECONDS = 30.0
"""How often the running scheduler refreshes its lock (and looks at pending signals at the latest)."""


@dataclass(frozen=True)
class JobEvent:
    """One job outcome: what ran (or was missed), for which scheduled time, and how it ended."""

    job_id: str
    scheduled: datetime
    outcome: str
    """executed | error | missed | skipped (still running)"""
    error: str | None = None


class Scheduler:
    """The long-running scheduler behind ``tenderwatch run``: APScheduler in the background, signals in front."""

    def __init__(self, ops: Operations, *, reload_config: Callable[[], Config] | None = None,
                 holder: str | None = None) -> None:
        self.ops = ops
        self.reload_config = reload_config
        self.holder = holder or lock_holder()
        self.wake = threading.Event()
        self.stop_requested = False
        self.reload_requested = False
        self.aps: Any = None
        self.history: deque[JobEvent] = deque(maxlen=1000)
        """Recent job outcomes (logged as they happen; tests read them)."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Take the lock, open the persistent job store, bring the jobs in line with config, then run."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        acquire_lock(self.ops.engine, self.holder)
        try:
            install(self.ops)
            settings = self.ops.config.settings
            self.aps = BackgroundScheduler(
                jobstores={"default": SQLAlchemyJobStore(engine=self.ops.engine, tablename=JOBSTORE_TABLE)},
                executors={"default": ThreadPoolExecutor(4),
                           "crawls": ThreadPoolExecutor(settings.crawl.max_concurrent_crawls)},
                job_defaults={"coalesce": True, "max_instances": 1,
                              "misfire_grace_time": settings.scheduler_misfire_grace_seconds},
                timezone=ZoneInfo(settings.timezone),
            )
            self.aps.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
                                  | EVENT_JOB_MAX_INSTANCES)
            self.aps.start(paused=True)
            self.sync_jobs()
            self.aps.resume()
        except BaseException:
            self._teardown(wait=False)
            raise
        log.info("scheduler started (%s) with %d job(s)", self.holder, len(self.aps.get_jobs()))

    def _on_event(self, event: Any) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            for moment in event.scheduled_run_times:
                self.history.append(JobEvent(event.job_id, moment, "skipped"))
            log.warning("job %s skipped: its previous run is still going", event.job_id)
            return
        outcome = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error", EVENT_JOB_MISSED: "missed"}[event.code]
        error = f"{type(event.exception).__name__}: {event.exception}" if event.exception else None
        self.history.append(JobEvent(event.job_id, event.scheduled_run_time, outcome, error))
        if outcome == "missed":
            log.warning("job %s missed its run of %s (beyond the grace time)", event.job_id, event.scheduled_run_time)

    def sync_jobs(self) -> dict[str, list[str]]:
        """Make the stored jobs match the plan, keeping the next run time of every unchanged job."""
        planned = {job.id: job for job in plan_jobs(self.ops.config)}
        stored = {job.id: job for job in self.aps.get_jobs()}
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": [], "kept": []}
        for job_id in stored:
            if job_id not in planned:
                self.aps.remove_job(job_id)
                changes["removed"].append(job_id)
        for job_id, plan in planned.items():
            job = stored.get(job_id)
            if job is None:
                self.aps.add_job(plan.func, plan.trigger, args=plan.args, id=plan.id, name=plan.name,
                                 executor=plan.executor, misfire_grace_time=plan.misfire_grace_time)
                changes["added"].append(job_id)
            elif job.name != plan.name or job.misfire_grace_time != plan.misfire_grace_time \
                    or job.executor != plan.executor or tuple(job.args) != plan.args:
                update: dict[str, Any] = {"name": plan.name, "misfire_grace_time": plan.misfire_grace_time,
                                          "executor": plan.executor, "args": plan.args}
                if job.name != plan.name:  # a new schedule: new trigger and next run, in the same store write
                    now = datetime.now(ZoneInfo(self.ops.config.settings.timezone))
                    update |= {"trigger": plan.trigger, "next_run_time": plan.trigger.get_next_fire_time(None, now)}
                self.aps.modify_job(job_id, **update)
                changes["changed"].append(job_id)
            else:
                changes["kept"].append(job_id)
        for what in ("added", "changed", "removed"):
            if changes[what]:
                log.info("jobs %s: %s", what, ", ".join(changes[what]))
        return changes

    def request_stop(self, *_: Any) -> None:
        self.stop_requested = True
        self.ops.stopping.set()
        self.wake.set()

    def request_reload(self, *_: Any) -> None:
        self.reload_requested = True
        self.wake.set()

    def reload(self) -> bool:
        """Re-read ``config/`` (SIGHUP); a config with errors is reported and the running one kept."""
        from tenderwatch.config import ConfigError
        from tenderwatch.sync import sync_config

        if self.reload_config is None:
            return False
        try:
            config = self.reload_config()
        except ConfigError as exc:
            log.error("config reload refused, keeping the running config:\n%s", exc)
            return False
        with session_scope(self.ops.engine) as session:
            sync_config(session, config)
        self.ops.config = config
        self.sync_jobs()
        log.info("config reloaded from %s", config.directory)
        return True

    def serve(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT (exit 0) or until the lock is lost (exit 1)."""
        if install_signals:
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
            if hasattr(signal, "SIGHUP"):
                signal.signal(signal.SIGHUP, self.request_reload)
        self.start()
        code = 0
        try:
            while not self.stop_requested:
                self.wake.wait(HEARTBEAT_SECONDS)
                self.wake.clear()
                if self.reload_requested:
                    self.reload_requested = False
                    self.reload()
                if not self.stop_requested and not refresh_lock(self.ops.engine, self.holder):
                    log.error("the scheduler lock was taken over by another scheduler: stopping")
                    code = 1
                    break
        finally:
            self.stop()
        return code

    def stop(self) -> None:
        """Stop gracefully: no new jobs, running crawls asked to close cleanly, running jobs awaited."""
        self.ops.stopping.set()  # each crawl job sees it within POLL_SECONDS and stops its child
        self._teardown(wait=True)
        log.info("scheduler stopped")

    def _teardown(self, *, wait: bool) -> None:
        try:
            if self.aps is not None and self.aps.running:
                self.aps.shutdown(wait=wait)
        finally:
            release_lock(self.ops.engine, self.holder)
            uninstall(self.ops)


def stored_jobs(engine: Engine) -> list[Any]:
    """The jobs in the database's job store, as the last scheduler left them (for ``tenderwatch jobs``)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(None, "default")  # type: ignore[arg-type]  # creates the table when missing, like a scheduler
    try:
        return store.get_all_jobs()
    finally:
        store.shutdown()
