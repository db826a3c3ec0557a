"""The scheduler: crawls, ILO notifications, digests and health checks that run themselves, for years.

Why it is shaped this way:

* **Jobs come from config** (``plan_jobs``): one crawl job per enabled source (its ``schedule`` or
  ``settings.crawl.default_schedule``), the weekly and daily digests, the daily health check and
  the retry of deferred mail. Every cron schedule is read in ``settings.timezone``
  (Europe/Amsterdam), so 07:00 stays 07:00 local across daylight-saving changes.
* **Jobs persist in the database** (APScheduler's SQLAlchemy job store, table ``scheduler_jobs``):
  a restart neither loses nor repeats work. A job that fell due while the scheduler was down runs
  once on start (``coalesce``) when it is within ``settings.scheduler_misfire_grace_seconds``;
  digests have no grace limit at all, because the delivery ledger already makes them exactly-once
  per period: a digest missed during downtime is sent once when the scheduler comes back.
* **Each crawl is a child process** (``tenderwatch crawl SOURCE``): a Twisted reactor cannot be
  restarted, and a crashing or hanging spider must not take the scheduler down. The child has a
  hard time limit; a child that is killed or dies cannot record its own run, so the parent does.
* **One scheduler per database**: a lock row (``scheduler_locks``) with a heartbeat. A second
  ``tenderwatch run`` refuses to start; a lock whose holder crashed goes stale and is taken over.
* **Signals**: SIGTERM/SIGINT stop gracefully (running crawls are asked to stop, Scrapy closes them
  cleanly and records the run), SIGHUP reloads ``config/`` and re-plans the jobs without losing
  their state. Handlers only set flags; the main thread acts on them, never inside a handler.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, select, update

from tenderwatch.config import Config
from tenderwatch.config.models import Schedule
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, SchedulerLock, Source

log = logging.getLogger("tenderwatch.scheduler")

JOBSTORE_TABLE = "scheduler_jobs"
LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 30.0
"""How often the running scheduler refreshes its lock (and looks at pending signals at the latest)."""
STALE_AFTER_SECONDS = 180.0
"""A lock not refreshed for this long belongs to a scheduler that died: another may take it over."""
KILL_GRACE_SECONDS = 15.0
"""After SIGTERM, how long a crawl child gets to close its spider and record its run before SIGKILL."""
POLL_SECONDS = 1.0
"""How often a crawl job looks at its child's time limit and at a stop request."""
CRAWL_WORKERS = 2
"""Crawls running at once (each one a child process); other jobs have their own workers."""
INTERRUPTED = "shutdown"
"""Finish reason of a crawl stopped because the scheduler stopped: not the source's fault."""
TIME_LIMIT = "time limit"
"""Finish reason of a crawl killed at ``settings.crawl.crawl_time_limit_seconds``."""


# --------------------------------------------------------------------------- schedules -> triggers


def trigger_for(schedule: Schedule, timezone: str) -> BaseTrigger:
    """The APScheduler trigger of a config ``Schedule``, in the settings' time zone."""
    tz = ZoneInfo(timezone)
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=tz)
    assert schedule.interval_minutes is not None
    return IntervalTrigger(minutes=schedule.interval_minutes, timezone=tz)


def describe(schedule: Schedule) -> str:
    return f"cron '{schedule.cron}'" if schedule.cron is not None else f"every {schedule.interval_minutes} min"


def shortest_gap_minutes(schedule: Schedule, samples: int = 48) -> float:
    """The shortest time between two runs of a schedule (for the politeness floor in ``config check``).

    Cron fire times are sampled in UTC from a fixed date, so the answer does not depend on today
    or on daylight-saving shifts.
    """
    if schedule.interval_minutes is not None:
        return float(schedule.interval_minutes)
    assert schedule.cron is not None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    previous = trigger.get_next_fire_time(None, now)
    best = float("inf")
    for _ in range(samples):
        if previous is None:
            break
        nxt = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
        if nxt is None:
            break
        best = min(best, (nxt - previous).total_seconds() / 60)
        previous = nxt
    return best


def last_fire_time(trigger: BaseTrigger, now: datetime, lookback: timedelta = timedelta(days=8)) -> datetime | None:
    """The latest time at or before ``now`` when ``trigger`` fired (None if not within ``lookback``)."""
    moment = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return last


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PlannedJob:
    """One job as config wants it. ``name`` carries the schedule, so a changed schedule is a changed job."""

    id: str
    name: str
    func: str
    args: tuple[Any, ...]
    trigger: BaseTrigger
    executor: str = "default"
    misfire_grace_time: int | None = 3600


def plan_jobs(config: Config) -> list[PlannedJob]:
    """Every job the config asks for: crawls (+ notifications and health after each), digests, health, mail retry."""
    settings = config.settings
    tz = settings.timezone
    grace = settings.scheduler_misfire_grace_seconds
    jobs: list[PlannedJob] = []
    for src in config.sources:
        if not src.enabled:
            continue
        schedule = src.schedule or settings.crawl.default_schedule
        jobs.append(PlannedJob(f"crawl:{src.name}", f"crawl {src.name} · {describe(schedule)} · {tz}",
                               "scheduler:crawl_job", (src.name,), trigger_for(schedule, tz), "crawls", grace))
    for frequency, schedule in (("weekly", settings.digest.schedule), ("daily", settings.digest.daily_schedule)):
        jobs.append(PlannedJob(f"digest:{frequency}", f"{frequency} digests · {describe(schedule)} · {tz}",
                               "scheduler:digest_job", (frequency,), trigger_for(schedule, tz), "default", None))
    check = settings.health.check_schedule
    jobs.append(PlannedJob("health", f"health check · {describe(check)} · {tz}", "scheduler:health_job", (),
                           trigger_for(check, tz), "default", grace))
    retry = max(60, settings.mail.retry_backoff_seconds)
    jobs.append(PlannedJob("mail:retry", f"retry deferred mail · every {retry} s", "scheduler:retry_mail_job", (),
                           IntervalTrigger(seconds=retry, timezone=ZoneInfo(tz)), "default", retry))
    return jobs


# --------------------------------------------------------------------------- the lock


class SchedulerLockedError(RuntimeError):
    """Another scheduler drives this database."""


def lock_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_dead(holder: str) -> bool:
    """A holder on this host whose process is gone: its lock is stale at once, no need to wait."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_is_stale(lock: SchedulerLock, now: datetime, stale_after: float = STALE_AFTER_SECONDS) -> bool:
    return (now - lock.heartbeat_at).total_seconds() > stale_after or _holder_is_dead(lock.holder)


def acquire_lock(engine: Engine, holder: str, *, now: datetime | None = None,
                 stale_after: float = STALE_AFTER_SECONDS) -> None:
    """Take the scheduler lock or raise ``SchedulerLockedError`` naming who holds it.

    Taking over a stale lock is a compare-and-swap on (holder, heartbeat), so two schedulers
    racing for one stale lock cannot both win, on SQLite as on PostgreSQL.
    """
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        lock = session.get(SchedulerLock, LOCK_NAME)
        if lock is None:
            session.add(SchedulerLock(name=LOCK_NAME, holder=holder, acquired_at=now, heartbeat_at=now))
            try:
                session.flush()
            except Exception as exc:  # a concurrent insert won
                raise SchedulerLockedError("another scheduler took the lock at the same moment") from exc
            return
        if lock.holder != holder and not lock_is_stale(lock, now, stale_after):
            raise SchedulerLockedError(
                f"another scheduler ({lock.holder}) drives this database: started {lock.acquired_at:%Y-%m-%d %H:%M:%S} "
                f"UTC, last heartbeat {int((now - lock.heartbeat_at).total_seconds())} s ago. Stop it first; a "
                f"lock left by a crashed scheduler is taken over after {int(stale_after)} s."
            )
        if lock.holder != holder:
            log.warning("taking over the stale scheduler lock of %s (last heartbeat %s)", lock.holder,
                        lock.heartbeat_at)
        result = session.execute(
            update(SchedulerLock)
            .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == lock.holder,
                   SchedulerLock.heartbeat_at == lock.heartbeat_at)
            .values(holder=holder, acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise SchedulerLockedError("another scheduler took over the stale lock at the same moment")


def refresh_lock(engine: Engine, holder: str, now: datetime | None = None) -> bool:
    """Heartbeat; False when the lock is no longer ours (taken over after we stalled)."""
    with session_scope(engine) as session:
        result = session.execute(
            update(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == holder)
            .values(heartbeat_at=now or datetime.now(UTC)).execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def release_lock(engine: Engine, holder: str) -> None:
    with session_scope(engine) as session:
        session.execute(delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == holder))


def lock_status(engine: Engine) -> SchedulerLock | None:
    with session_scope(engine) as session:
        lock = session.get(SchedulerLock, LOCK_NAME)
        if lock is not None:
            session.expunge(lock)
        return lock


# --------------------------------------------------------------------------- what jobs do


@dataclass
class CrawlOutcome:
    source: str
    status: str
    exit_code: int | None
    seconds: float
    message: str = ""


def crawl_command(source: str) -> list[str]:
    """The child process of one crawl: the same ``tenderwatch crawl`` an operator runs by hand."""
    return [sys.executable, "-m", "tenderwatch", "crawl", source]


@dataclass
class Operations:
    """What jobs act on: the config, the database, and the stop request crawl jobs obey (one per scheduler).

    Job functions are module-level (the job store keeps a reference to them, not a pickled object)
    and reach the running scheduler's ``Operations`` through ``current()``.
    """

    config: Config
    engine: Engine
    db_url: str
    child_env: dict[str, str] = field(default_factory=dict)
    """Extra environment for crawl children (e.g. TENDERWATCH_URL_REWRITE on a test or demo bench)."""
    stopping: threading.Event = field(default_factory=threading.Event)

    # ------------------------------------------------------------------ crawls

    def crawl(self, source: str) -> CrawlOutcome:
        """Run one crawl in a child process with a hard time limit; record the run if the child could not."""
        limit = self.config.settings.crawl.crawl_time_limit_seconds
        started = datetime.now(UTC)
        env = {**os.environ, **self.child_env, "TENDERWATCH_DATABASE_URL": self.db_url,
               "TENDERWATCH_CONFIG_DIR": self.config.directory}
        with tempfile.TemporaryFile() as output:
            proc = subprocess.Popen(crawl_command(source), stdout=output, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            code, finish_reason = self._supervise(source, proc, limit)
            output.seek(0, os.SEEK_END)
            output.seek(max(0, output.tell() - 4000))
            tail = output.read().decode("utf-8", "replace").strip()
        seconds = (datetime.now(UTC) - started).total_seconds()
        status, message = self._settle_run(source, started, code, finish_reason, tail, limit)
        log.info("crawl %s: %s (exit %s, %.1f s)%s", source, status, code, seconds, f": {message}" if message else "")
        return CrawlOutcome(source, status, code, seconds, message)

    def _supervise(self, source: str, proc: subprocess.Popen[bytes], limit: int) -> tuple[int | None, str | None]:
        """Wait for the child; stop it at its time limit, or at once when the scheduler is stopping."""
        deadline = time.monotonic() + limit
        while True:
            try:
                return proc.wait(timeout=POLL_SECONDS), None
            except subprocess.TimeoutExpired:
                if self.stopping.is_set():
                    log.warning("stopping crawl %s: the scheduler is stopping", source)
                    return stop_child(proc), INTERRUPTED
                if time.monotonic() >= deadline:
                    log.error("crawl %s exceeded its time limit of %d s: stopping it", source, limit)
                    return stop_child(proc), TIME_LIMIT

    def _settle_run(self, source: str, started: datetime, code: int | None, finish_reason: str | None,
                    tail: str, limit: int) -> tuple[str, str]:
        """Make sure the crawl has exactly one run row saying what happened, then return its status."""
        from spiders.health import record_run

        with session_scope(self.engine) as session:
            run = session.scalars(
                select(CrawlRun).join(Source).where(Source.name == source, CrawlRun.started_at >= started)
                .order_by(CrawlRun.id.desc()).limit(1)
            ).first()
            exists = session.scalar(select(Source.id).where(Source.name == source)) is not None
            if run is not None and finish_reason == TIME_LIMIT:
                run.finish_reason = TIME_LIMIT
                run.status = "failed"
                run.problems = [*run.problems, f"killed: exceeded the time limit of {limit} s"][:50]
            if run is not None:
                return run.status, "; ".join(run.problems)[:500]
        if not exists:
            return "failed", f"source {source!r} is not in the database (exit {code}): {tail[-500:]}"
        if finish_reason == TIME_LIMIT:
            problem = f"killed: exceeded the time limit of {limit} s"
        elif finish_reason == INTERRUPTED:
            problem = "interrupted: the scheduler was stopping"
        else:
            finish_reason = "crashed"
            problem = f"the crawl process exited with status {code} without recording its run: {tail[-1500:]}"
        run = record_run(self.engine, self.config, source, started, finish_reason, {}, [problem])
        return run.status, problem

    # ------------------------------------------------------------------ the other jobs

    def after_crawl(self, source: str) -> None:
        """Health of the source just crawled, then ILO notifications (whose footer lists unhealthy sources)."""
        from tenderwatch.health import check_health

        _guarded("health check", check_health, self.engine, self.config, sources=[source])
        if not self.stopping.is_set():
            _guarded("ILO notifications", _notify, self.engine, self.config)

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

    def health(self) -> Any:
        from tenderwatch.health import check_health

        return check_health(self.engine, self.config)

    def retry_mail(self) -> Any:
        from alerts.outgoing import deliver_pending

        return deliver_pending(self.engine, self.config)


def _notify(engine: Engine, config: Config) -> Any:
    from alerts.notify import run_ilo_notifications

    return run_ilo_notifications(engine, config)


def _guarded(what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a follow-up step; log its failure instead of skipping the steps after it."""
    try:
        return func(*args, **kwargs)
    except Exception:
        log.exception("%s failed", what)
        return None


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def stop_child(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE_SECONDS) -> int | None:
    """SIGTERM the child's process group, give it ``grace`` seconds to close cleanly, then SIGKILL."""
    _signal_group(proc, signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.error("crawl process %d ignored SIGTERM for %.0f s: killing it", proc.pid, grace)
        _signal_group(proc, signal.SIGKILL)
        return proc.wait()


_running: dict[str, Operations] = {}
"""The ``Operations`` of the scheduler running in this process (at most one: the lock sees to that)."""


def current() -> Operations:
    if "ops" not in _running:
        raise RuntimeError("no scheduler is running in this process")
    return _running["ops"]


def crawl_job(source: str) -> None:
    ops = current()
    if ops.stopping.is_set():
        return
    ops.crawl(source)
    ops.after_crawl(source)


def digest_job(frequency: str) -> None:
    current().digests(frequency)


def health_job() -> None:
    current().health()


def retry_mail_job() -> None:
    current().retry_mail()


# --------------------------------------------------------------------------- one full cycle (--once)


@dataclass
class CycleReport:
    crawls: list[CrawlOutcome] = field(default_factory=list)
    steps: dict[str, str] = field(default_factory=dict)
    """Step name -> 'ok', 'not due', or the error."""

    @property
    def failed(self) -> bool:
        return any(c.status == "failed" for c in self.crawls) or any(
            v not in ("ok", "not due") for v in self.steps.values()
        )


def run_cycle(ops: Operations, *, now: datetime | None = None,
              progress: Callable[[str], None] | None = None) -> CycleReport:
    """One full cycle for cron and CI: every enabled source, notifications, the digests now due, health, mail.

    A digest is due when its schedule fired within the last period (the delivery ledger keeps it
    to one per period however often cron calls this).
    """
    now = now or datetime.now(UTC)
    report = CycleReport()
    step = progress or (lambda _what: None)

    def attempt(name: str, func: Callable[[], Any]) -> None:
        step(name)
        try:
            func()
            report.steps[name] = "ok"
        except Exception as exc:
            log.exception("%s failed", name)
            report.steps[name] = f"{type(exc).__name__}: {exc}"

    for src in ops.config.sources:
        if src.enabled and not ops.stopping.is_set():
            step(f"crawl {src.name}")
            report.crawls.append(ops.crawl(src.name))
    from tenderwatch.health import check_health

    attempt("health check", lambda: check_health(ops.engine, ops.config))
    attempt("ILO notifications", lambda: _notify(ops.engine, ops.config))
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


# --------------------------------------------------------------------------- the long-running scheduler


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
            _running["ops"] = self.ops
            settings = self.ops.config.settings
            self.aps = BackgroundScheduler(
                jobstores={"default": SQLAlchemyJobStore(engine=self.ops.engine, tablename=JOBSTORE_TABLE)},
                executors={"default": ThreadPoolExecutor(4), "crawls": ThreadPoolExecutor(CRAWL_WORKERS)},
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
                self.aps.modify_job(job_id, name=plan.name, misfire_grace_time=plan.misfire_grace_time,
                                    executor=plan.executor, args=plan.args)
                if job.name != plan.name:
                    self.aps.reschedule_job(job_id, trigger=plan.trigger)
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
            if _running.get("ops") is self.ops:
                _running.pop("ops")


def run_once(ops: Operations, *, holder: str | None = None,
             progress: Callable[[str], None] | None = None) -> CycleReport:
    """``tenderwatch run --once``: the lock is held for the cycle, so it never overlaps a running scheduler."""
    holder = holder or lock_holder()
    acquire_lock(ops.engine, holder)
    try:
        return run_cycle(ops, progress=progress)
    finally:
        release_lock(ops.engine, holder)


def stored_jobs(engine: Engine) -> list[Any]:
    """The jobs in the database's job store, as the last scheduler left them (for ``tenderwatch jobs``)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(None, "default")  # type: ignore[arg-type]  # creates the table when missing, like a scheduler
    try:
        return store.get_all_jobs()
    finally:
        store.shutdown()
