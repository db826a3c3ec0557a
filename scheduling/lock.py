"""One scheduler per database: a lock row (``scheduler_locks``) with a heartbeat.

A second ``tenderwatch run`` (or ``run --once``) refuses to start while the lock is held; a lock
whose holder crashed goes stale and is taken over: at once when the holder was a process on this
host that is gone, else after ``STALE_AFTER_SECONDS`` without a heartbeat.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, update

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import SchedulerLock

log = logging.getLogger("tenderwatch.scheduler")

LOCK_NAME = "scheduler"
STALE_AFTER_SECONDS = 180.0
"""A lock not refreshed for this long belongs to a scheduler that died: another may take it over."""


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
