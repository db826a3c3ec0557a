"""The running scheduler under a controllable clock (time-machine moves the process's wall clock).

APScheduler, the SQLAlchemy job store and the lock are all real; only "now" is chosen by the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from sqlalchemy import Engine, func, select

from scheduling.jobs import Operations
from scheduling.lock import LOCK_NAME, SchedulerLockedError, acquire_lock, lock_status, release_lock
from scheduling.service import Scheduler, stored_jobs
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery, SchedulerLock
from tests.scheduler.conftest import wait_for

AMS = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parents[2]


def fired(sched: Scheduler, job_id: str) -> list[datetime]:
    return [e.scheduled for e in sched.history if e.job_id == job_id and e.outcome != "missed"]


@pytest.fixture
def no_sources(configure: Callable[..., Config]) -> Config:
    """No crawl jobs (those have their own tests); every company gets a digest even when nothing matched."""
    return configure(sources=[], settings={"mail": {"send_empty_digests": True}})


@pytest.fixture
def started() -> Iterator[list[Scheduler]]:
    """Schedulers a test starts; any still running at the end are stopped (and their lock released)."""
    running: list[Scheduler] = []
    yield running
    for sched in running:
        if sched.aps is not None and sched.aps.running:
            sched.stop()


def start(ops: Operations, started: list[Scheduler], holder: str = "test:1") -> Scheduler:
    sched = Scheduler(ops, holder=holder)
    sched.start()
    started.append(sched)
    return sched


def test_jobs_fire_at_local_time_on_both_sides_of_a_dst_change(
        no_sources: Config, make_ops: Callable[..., Operations], started: list[Scheduler]) -> None:
    with time_machine.travel(datetime(2025, 3, 29, 6, 59, 58, tzinfo=AMS), tick=True) as clock:
        sched = start(make_ops(no_sources), started)
        wait_for(lambda: len(fired(sched, "digest:daily")) == 1, what="Saturday's daily digest")
        clock.move_to(datetime(2025, 3, 30, 6, 59, 58, tzinfo=AMS))  # the clocks went forward at 02:00
        sched.aps.wakeup()
        wait_for(lambda: len(fired(sched, "digest:daily")) == 2, what="Sunday's daily digest")
        sched.stop()
    times = fired(sched, "digest:daily")
    assert [t.astimezone(AMS).strftime("%a %H:%M %Z") for t in times] == ["Sat 07:00 CET", "Sun 07:00 CEST"]
    assert [t.astimezone(UTC).hour for t in times] == [6, 5]
    assert fired(sched, "digest:weekly") == []  # Monday only
    outcomes = {e.outcome for e in sched.history if e.job_id == "digest:daily"}
    assert outcomes == {"executed"}, [e.error for e in sched.history if e.error]


def test_a_digest_missed_while_down_is_sent_once_after_restart(
        no_sources: Config, make_ops: Callable[..., Operations], engine: Engine, started: list[Scheduler]) -> None:
    with time_machine.travel(datetime(2025, 4, 6, 12, 0, tzinfo=AMS), tick=True) as clock:  # a Sunday
        first = start(make_ops(no_sources), started)
        first.stop()
        weekly = {job.id: job for job in stored_jobs(engine)}["digest:weekly"]
        assert weekly.next_run_time == datetime(2025, 4, 7, 7, 0, tzinfo=AMS)  # persisted in the database

        clock.move_to(datetime(2025, 4, 7, 9, 30, tzinfo=AMS))  # back 2.5 hours after the digest was due
        second = start(make_ops(no_sources), started)
        wait_for(lambda: fired(second, "digest:weekly"), what="the missed weekly digest")
        wait_for(lambda: any(e.job_id == "digest:weekly" and e.outcome != "skipped" for e in second.history))
        second.stop()
        assert fired(second, "digest:weekly") == [datetime(2025, 4, 7, 7, 0, tzinfo=AMS)]
        assert [e.outcome for e in second.history if e.job_id == "digest:weekly"] == ["executed"]

        clock.move_to(datetime(2025, 4, 7, 9, 45, tzinfo=AMS))  # and once more: nothing left to do
        third = start(make_ops(no_sources), started)
        assert {job.id: job for job in third.aps.get_jobs()}["digest:weekly"].next_run_time == \
            datetime(2025, 4, 14, 7, 0, tzinfo=AMS)
        third.stop()
    with session_scope(engine) as session:
        rows = session.execute(select(Delivery.recipient, func.count()).where(Delivery.kind == "digest",
                               Delivery.period_key == "2025-W15").group_by(Delivery.recipient)).all()
    recipients = {r for c in no_sources.companies if c.frequency == "weekly" for r in c.recipients}
    assert rows and recipients
    assert {r for r, _ in rows} == {r.lower() for r in recipients}
    assert {n for _, n in rows} == {1}


def test_a_second_scheduler_on_the_same_database_is_refused(
        no_sources: Config, make_ops: Callable[..., Operations], engine: Engine, started: list[Scheduler]) -> None:
    first = start(make_ops(no_sources), started, holder="host-a:100")
    with pytest.raises(SchedulerLockedError, match=r"another scheduler \(host-a:100\) drives this database"):
        Scheduler(make_ops(no_sources), holder="host-b:200").start()
    first.stop()
    assert lock_status(engine) is None  # released on exit
    second = start(make_ops(no_sources), started, holder="host-b:200")
    assert lock_status(engine).holder == "host-b:200"  # type: ignore[union-attr]
    second.stop()


def test_a_second_tenderwatch_run_exits_non_zero_with_a_clear_message(
        no_sources: Config, make_ops: Callable[..., Operations], db_url: str, config_dir: Path,
        started: list[Scheduler]) -> None:
    holder = f"{os.uname().nodename}:{os.getpid()}"  # this live process holds the lock
    start(make_ops(no_sources), started, holder=holder)
    env = {**os.environ, "TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_CONFIG_DIR": str(config_dir)}
    proc = subprocess.run([sys.executable, "-m", "tenderwatch", "run"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert proc.returncode == 3
    assert "refusing to start: another scheduler" in " ".join(proc.stderr.split())
    assert lock_status(started[0].ops.engine).holder == holder  # type: ignore[union-attr]


def test_a_stale_lock_is_taken_over(engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(SchedulerLock(name=LOCK_NAME, holder="gone-host:1", acquired_at=now - timedelta(days=1),
                                  heartbeat_at=now - timedelta(minutes=10)))
    acquire_lock(engine, "me:1")
    assert lock_status(engine).holder == "me:1"  # type: ignore[union-attr]
    release_lock(engine, "me:1")

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with session_scope(engine) as session:  # fresh heartbeat, but its process on this host is gone
        session.add(SchedulerLock(name=LOCK_NAME, holder=f"{os.uname().nodename}:{dead.pid}", heartbeat_at=now))
    acquire_lock(engine, "me:2")
    assert lock_status(engine).holder == "me:2"  # type: ignore[union-attr]


def test_sighup_reloads_config_and_sigterm_exits_zero(no_sources: Config, db_url: str, config_dir: Path,
                                                      engine: Engine) -> None:
    env = {**os.environ, "TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_CONFIG_DIR": str(config_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "tenderwatch", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: lock_status(engine) is not None, timeout=60, what="the scheduler to start")
        wait_for(lambda: "digest:weekly" in {j.id for j in stored_jobs(engine)}, what="the stored jobs")
        settings = config_dir / "settings.yaml"
        data = yaml.safe_load(settings.read_text())
        data["digest"]["schedule"] = {"cron": "30 8 * * tue"}
        settings.write_text(yaml.safe_dump(data))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "30 8 * * tue" in {j.id: j for j in stored_jobs(engine)}["digest:weekly"].name,
                 what="the reloaded digest schedule")
        job = {j.id: j for j in stored_jobs(engine)}["digest:weekly"]
        local = job.next_run_time.astimezone(AMS)
        assert (local.weekday(), local.hour, local.minute) == (1, 8, 30)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "config reloaded" in out and "scheduler stopped" in out
    assert lock_status(engine) is None
