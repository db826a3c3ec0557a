"""Jobs come from config, and cron schedules are read in Europe/Amsterdam, also across DST changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from scheduling.plan import last_fire_time, plan_jobs
from tenderwatch.config import Config, ConfigError
from tenderwatch.config.models import Schedule
from tenderwatch.config.schedules import shortest_gap_minutes
from tests.scheduler.conftest import listing_source

AMS = ZoneInfo("Europe/Amsterdam")


def fire_times(trigger, start: datetime, count: int) -> list[datetime]:  # type: ignore[no-untyped-def]
    out: list[datetime] = []
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and len(out) < count:
        out.append(moment)
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return out


def test_plan_has_a_crawl_per_enabled_source_digests_health_and_mail_retry(configure: Callable[..., Config]) -> None:
    cfg = configure(sources=[
        listing_source("daily", "list.html"),
        listing_source("hourly", "list.html", schedule={"interval_minutes": 120}),
        listing_source("off", "list.html", enabled=False),
    ])
    plan = {job.id: job for job in plan_jobs(cfg)}
    assert set(plan) == {"crawl:daily", "crawl:hourly", "digest:weekly", "digest:daily", "ilo:morning", "health",
                         "mail:retry"}
    assert plan["crawl:daily"].executor == "crawls" and plan["crawl:daily"].args == ("daily",)
    assert "cron '0 6 * * *'" in plan["crawl:daily"].name  # settings.crawl.default_schedule
    assert "every 120 min" in plan["crawl:hourly"].name
    # digests may run however late (the ledger keeps them once per period); crawls have a grace time
    assert plan["digest:weekly"].misfire_grace_time is None
    assert plan["crawl:daily"].misfire_grace_time == cfg.settings.scheduler_misfire_grace_seconds


def test_weekly_digest_is_monday_0700_amsterdam_across_both_dst_changes(config: Config) -> None:
    trigger = {job.id: job for job in plan_jobs(config)}["digest:weekly"].trigger
    spring = fire_times(trigger, datetime(2025, 3, 20, tzinfo=UTC), 3)  # DST starts Sunday 30 March
    autumn = fire_times(trigger, datetime(2025, 10, 20, tzinfo=UTC), 2)  # DST ends Sunday 26 October
    for moment in spring + autumn:
        local = moment.astimezone(AMS)
        assert (local.weekday(), local.hour, local.minute) == (0, 7, 0)
    assert [m.astimezone(UTC).hour for m in spring] == [6, 5, 5]
    assert [m.astimezone(UTC).hour for m in autumn] == [5, 6]


def test_daily_crawl_keeps_local_time_on_the_day_of_the_change(config: Config) -> None:
    from scheduling.plan import trigger_for

    trigger = trigger_for(config.settings.crawl.default_schedule, config.settings.timezone)
    days = fire_times(trigger, datetime(2025, 3, 29, tzinfo=UTC), 3)
    assert [(m.astimezone(AMS).day, m.astimezone(AMS).hour) for m in days] == [(29, 6), (30, 6), (31, 6)]
    assert [m.astimezone(UTC).hour for m in days] == [5, 4, 4]


def test_interval_schedule_counts_real_time_through_the_change() -> None:
    from scheduling.plan import trigger_for

    trigger = trigger_for(Schedule(interval_minutes=120), "Europe/Amsterdam")
    times = fire_times(trigger, datetime(2025, 3, 30, 0, 0, tzinfo=UTC), 3)
    assert [b - a for a, b in pairwise(times)] == [timedelta(hours=2)] * 2


def test_shortest_gap_of_cron_and_interval() -> None:
    assert shortest_gap_minutes(Schedule(cron="*/10 * * * *")) == 10
    assert shortest_gap_minutes(Schedule(cron="0 6,7 * * *")) == 60
    assert shortest_gap_minutes(Schedule(cron="0 7 * * mon")) == 7 * 24 * 60
    assert shortest_gap_minutes(Schedule(interval_minutes=90)) == 90


def test_last_fire_time_finds_this_weeks_digest() -> None:
    from scheduling.plan import trigger_for

    trigger = trigger_for(Schedule(cron="0 7 * * mon"), "Europe/Amsterdam")
    monday_0900 = datetime(2025, 4, 7, 9, 0, tzinfo=AMS)
    assert last_fire_time(trigger, monday_0900) == datetime(2025, 4, 7, 7, 0, tzinfo=AMS)
    monday_0600 = datetime(2025, 4, 7, 6, 0, tzinfo=AMS)
    assert last_fire_time(trigger, monday_0600) == datetime(2025, 3, 31, 7, 0, tzinfo=AMS)
    assert last_fire_time(trigger, monday_0600, lookback=timedelta(days=1)) is None


@pytest.mark.parametrize(("schedule", "message"), [
    ({"cron": "*/10 * * * *"}, "runs every 10 minutes, below the politeness floor of 60 minutes"),
    ({"interval_minutes": 15}, "15 is below the politeness floor of 60 minutes"),
    ({"cron": "0 25 * * *"}, "bad cron expression '0 25 * * *'"),
    ({"cron": "0 6 * * *", "interval_minutes": 90}, "give exactly one of 'cron' or 'interval_minutes'"),
])
def test_config_check_rejects_bad_schedules(configure: Callable[..., Config], schedule: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        configure(sources=[listing_source("greedy", "list.html", schedule=schedule)])
    lines = [p for p in caught.value.problems if "greedy" in p]
    assert len(lines) == 1 and "sources.yaml: entry 'greedy' (#1): field 'schedule" in lines[0]
    assert message in lines[0]


def test_config_check_rejects_a_default_schedule_below_the_floor(configure: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as caught:
        configure(settings={"crawl": {"default_schedule": {"cron": "*/5 * * * *"}}})
    assert any("settings.yaml: settings: field 'crawl.default_schedule.cron'" in p and "every 5 minutes" in p
               for p in caught.value.problems)
