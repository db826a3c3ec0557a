"""One crawl in a child process (``tenderwatch crawl SOURCE``) with a hard time limit.

Why a child: a Twisted reactor cannot be restarted, and a crashing or hanging spider must not take
the scheduler down. A child that is killed or dies cannot record its own run, so the parent does:
every crawl ends with exactly one ``crawl_runs`` row saying what happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Source
from tenderwatch.health.runs import CRASHED, INTERRUPTED, TIME_LIMIT, record_run

log = logging.getLogger("tenderwatch.scheduler")

KILL_GRACE_SECONDS = 15.0
"""After SIGTERM, how long a crawl child gets to close its spider and record its run before SIGKILL."""
POLL_SECONDS = 1.0
"""How often a crawl job looks at its child's time limit and at a stop request."""
TAIL_BYTES = 4000
"""The end of the child's output kept for a crash report."""


@dataclass
class CrawlOutcome:
    source: str
    status: str
    exit_code: int | None
    seconds: float
    message: str = ""
    """The whole reason of a failed crawl (every problem of its run), empty when there is nothing to say."""


def crawl_command(source: str) -> list[str]:
    """The child process of one crawl: the same ``tenderwatch crawl`` an operator runs by hand."""
    return [sys.executable, "-m", "tenderwatch", "crawl", source]


def time_limit(config: Config, source: str) -> int:
    """A crawl's hard limit in seconds: the source's own, else the settings' one for every crawl."""
    src = config.source(source)
    own = src.crawl_time_limit_seconds if src is not None else None
    return own or config.settings.crawl.crawl_time_limit_seconds


def crawl_in_child(engine: Engine, config: Config, db_url: str, source: str, *, child_env: dict[str, str],
                   stopping: threading.Event) -> CrawlOutcome:
    """Run one crawl in a child process with a hard time limit; record the run if the child could not."""
    limit = time_limit(config, source)
    started = datetime.now(UTC)
    env = {**os.environ, **child_env, "TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_CONFIG_DIR": config.directory}
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(crawl_command(source), stdout=output, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        code, finish_reason = _supervise(source, proc, limit, stopping)
        output.seek(0, os.SEEK_END)
        output.seek(max(0, output.tell() - TAIL_BYTES))
        tail = output.read().decode("utf-8", "replace").strip()
    seconds = (datetime.now(UTC) - started).total_seconds()
    status, message = settle_run(engine, config, source, started, code, finish_reason, tail, limit)
    outcome = CrawlOutcome(source, status, code, seconds, message)
    if status == "failed":
        log.warning("crawl %s failed (exit %s, %.1f s): %s", source, code, seconds, message or "no reason recorded")
    else:
        log.info("crawl %s: %s (exit %s, %.1f s)%s", source, status, code, seconds, f": {message}" if message else "")
    return outcome


def _supervise(source: str, proc: subprocess.Popen[bytes], limit: int,
               stopping: threading.Event) -> tuple[int | None, str | None]:
    """Wait for the child; stop it at its time limit, or at once when the scheduler is stopping."""
    deadline = time.monotonic() + limit
    while True:
        try:
            return proc.wait(timeout=POLL_SECONDS), None
        except subprocess.TimeoutExpired:
            if stopping.is_set():
                log.warning("stopping crawl %s: the scheduler is stopping", source)
                return stop_child(proc), INTERRUPTED
            if time.monotonic() >= deadline:
                log.error("crawl %s exceeded its time limit of %d s: stopping it", source, limit)
                return stop_child(proc), TIME_LIMIT


def settle_run(engine: Engine, config: Config, source: str, started: datetime, code: int | None,
               finish_reason: str | None, tail: str, limit: int) -> tuple[str, str]:
    """Make sure the crawl has exactly one run row saying what happened, then return its status and reason."""
    with session_scope(engine) as session:
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
            return run.status, "; ".join(run.problems)
    if not exists:
        return "failed", f"source {source!r} is not in the database (exit {code}): {tail[-500:]}"
    if finish_reason == TIME_LIMIT:
        problem = f"killed: exceeded the time limit of {limit} s"
    elif finish_reason == INTERRUPTED:
        problem = "interrupted: the scheduler was stopping"
    else:
        finish_reason = CRASHED
        problem = f"the crawl process exited with status {code} without recording its run: {tail[-1500:]}"
    run = record_run(engine, config, source, started, finish_reason, {}, [problem])
    return run.status, problem


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
