"""The scheduler lock on its own: taken, refreshed, released, refused while held, taken over once when stale."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from scheduling.lock import (
    STALE_AFTER_SECONDS,
    SchedulerLockedError,
    acquire_lock,
    lock_is_stale,
    lock_status,
    refresh_lock,
    release_lock,
)


def test_held_lock_refuses_others_and_heartbeats_keep_it(engine: Engine) -> None:
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    acquire_lock(engine, "host-a:1", now=start)
    acquire_lock(engine, "host-a:1", now=start)  # taking one's own lock again is fine
    with pytest.raises(SchedulerLockedError, match=r"host-a:1"):
        acquire_lock(engine, "host-b:2", now=start + timedelta(seconds=60))
    later = start + timedelta(seconds=STALE_AFTER_SECONDS - 1)
    assert refresh_lock(engine, "host-a:1", now=later)
    with pytest.raises(SchedulerLockedError):  # still fresh thanks to the heartbeat
        acquire_lock(engine, "host-b:2", now=later + timedelta(seconds=STALE_AFTER_SECONDS - 1))
    release_lock(engine, "host-b:2")  # not the holder: changes nothing
    assert lock_status(engine).holder == "host-a:1"  # type: ignore[union-attr]
    release_lock(engine, "host-a:1")
    assert lock_status(engine) is None


def test_a_stale_lock_goes_to_exactly_one_of_many_contenders(engine: Engine) -> None:
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    acquire_lock(engine, "crashed-host:1", now=start)
    stale = start + timedelta(seconds=STALE_AFTER_SECONDS + 1)
    lock = lock_status(engine)
    assert lock is not None and lock_is_stale(lock, stale) and not lock_is_stale(lock, start)
    winners: list[str] = []
    barrier = threading.Barrier(4)

    def contend(holder: str) -> None:
        barrier.wait()
        try:
            acquire_lock(engine, holder, now=stale)
            winners.append(holder)
        except SchedulerLockedError:
            pass

    threads = [threading.Thread(target=contend, args=(f"host-{i}:{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(winners) == 1
    assert lock_status(engine).holder == winners[0]  # type: ignore[union-attr]
    assert not refresh_lock(engine, "crashed-host:1", now=stale)  # the old holder learns it lost the lock
