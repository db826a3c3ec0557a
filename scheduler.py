"""The scheduler: crawls, ILO notifications, digests and health checks that run themselves, for years.

``tenderwatch run`` starts it (``make run``); ``tenderwatch run --once`` runs one full cycle for cron
and CI; ``python scheduler.py [--once]`` is the same command. This module is the entry point and
the scheduler's public interface; its parts live in the ``scheduling`` package, one job each:

* ``scheduling.plan``: **jobs come from config**: one crawl job per enabled source (its ``schedule``
  or ``settings.crawl.default_schedule``), the weekly and daily digests, the daily health check, the
  morning ILO notification with the follow-up's reminders and the retry of deferred mail, every cron
  schedule read in ``settings.timezone``;
* ``scheduling.lock``: **one scheduler per database**, a lock row with a heartbeat; a second
  ``tenderwatch run`` refuses to start, a lock whose holder crashed goes stale and is taken over;
* ``scheduling.supervise``: **each crawl is a child process** (``tenderwatch crawl SOURCE``) with a
  hard time limit: a Twisted reactor cannot be restarted, and a crashing or hanging spider must not
  take the scheduler down; a child that is killed or dies cannot record its run, so the parent does;
* ``scheduling.jobs``: what each job does; crawls that run at the same time are followed by one
  health check (one mail for all their changes) and one round of ILO notifications;
* ``scheduling.cycle``: the ``--once`` cycle, crawls concurrent up to ``crawl.max_concurrent_crawls``;
* ``scheduling.service``: **jobs persist in the database** (APScheduler's job store), so a restart
  neither loses nor repeats work; SIGTERM/SIGINT stop gracefully, SIGHUP reloads ``config/``.

The persistent job store refers to the job functions by this module's name (``scheduler:crawl_job``),
so they are re-exported here and jobs stored by any version keep loading.
"""

from __future__ import annotations

import sys

from scheduling.cycle import CycleReport, run_cycle, run_once
from scheduling.jobs import Operations, crawl_job, digest_job, health_job, morning_notification_job, retry_mail_job
from scheduling.lock import SchedulerLockedError, lock_is_stale, lock_status
from scheduling.plan import plan_jobs
from scheduling.service import Scheduler, stored_jobs

__all__ = [
    "CycleReport",
    "Operations",
    "Scheduler",
    "SchedulerLockedError",
    "crawl_job",
    "digest_job",
    "health_job",
    "lock_is_stale",
    "lock_status",
    "morning_notification_job",
    "plan_jobs",
    "retry_mail_job",
    "run_cycle",
    "run_once",
    "stored_jobs",
]


def main() -> None:
    """``python scheduler.py [--once] [--log-level L]``: ``tenderwatch run`` with the same options."""
    from tenderwatch.cli import main as cli

    sys.argv = ["tenderwatch", "run", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
