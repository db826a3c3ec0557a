"""What a ``Schedule`` means in time, for checks made while loading config (the politeness floor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from tenderwatch.config.models import Schedule


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
