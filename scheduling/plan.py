"""The jobs config asks for, with their triggers: every cron schedule is read in ``settings.timezone``.

So 07:00 stays 07:00 local across daylight-saving changes. A job's ``name`` carries its schedule,
so a changed schedule is a changed job (``service.Scheduler.sync_jobs`` re-plans it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tenderwatch.config import Config
from tenderwatch.config.models import Schedule

JOB_MODULE = "scheduler"
"""Where the job store finds the job functions (``scheduler:crawl_job``...). Stored jobs keep this
reference across upgrades, so it names the stable entry point, which re-exports them from ``jobs``."""


def trigger_for(schedule: Schedule, timezone: str) -> BaseTrigger:
    """The APScheduler trigger of a config ``Schedule``, in the settings' time zone."""
    tz = ZoneInfo(timezone)
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=tz)
    assert schedule.interval_minutes is not None
    return IntervalTrigger(minutes=schedule.interval_minutes, timezone=tz)


def describe(schedule: Schedule) -> str:
    return f"cron '{schedule.cron}'" if schedule.cron is not None else f"every {schedule.interval_minutes} min"


def last_fire_time(trigger: BaseTrigger, now: datetime, lookback: timedelta = timedelta(days=8)) -> datetime | None:
    """The latest time at or before ``now`` when ``trigger`` fired (None if not within ``lookback``)."""
    moment = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return last


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
    """Every job the config asks for: crawls (+ notifications and health after each), digests, the morning ILO
    notification (follow-up reminders), health, mail retry.

    Digests have no grace limit at all (``None``): the delivery ledger already makes them
    exactly-once per period, so a digest missed during downtime is sent once when the scheduler is back.
    """
    settings = config.settings
    tz = settings.timezone
    grace = settings.scheduler_misfire_grace_seconds
    jobs: list[PlannedJob] = []
    for src in config.sources:
        if not src.enabled:
            continue
        schedule = src.schedule or settings.crawl.default_schedule
        jobs.append(PlannedJob(f"crawl:{src.name}", f"crawl {src.name} · {describe(schedule)} · {tz}",
                               f"{JOB_MODULE}:crawl_job", (src.name,), trigger_for(schedule, tz), "crawls", grace))
    for frequency, schedule in (("weekly", settings.digest.schedule), ("daily", settings.digest.daily_schedule)):
        jobs.append(PlannedJob(f"digest:{frequency}", f"{frequency} digests · {describe(schedule)} · {tz}",
                               f"{JOB_MODULE}:digest_job", (frequency,), trigger_for(schedule, tz), "default", None))
    morning = settings.follow_up.reminder_schedule
    jobs.append(PlannedJob("ilo:morning", f"morning ILO notification with reminders · {describe(morning)} · {tz}",
                           f"{JOB_MODULE}:morning_notification_job", (), trigger_for(morning, tz), "default", grace))
    check = settings.health.check_schedule
    jobs.append(PlannedJob("health", f"health check · {describe(check)} · {tz}", f"{JOB_MODULE}:health_job", (),
                           trigger_for(check, tz), "default", grace))
    retry = max(60, settings.mail.retry_backoff_seconds)
    jobs.append(PlannedJob("mail:retry", f"retry deferred mail · every {retry} s", f"{JOB_MODULE}:retry_mail_job", (),
                           IntervalTrigger(seconds=retry, timezone=ZoneInfo(tz)), "default", retry))
    return jobs
