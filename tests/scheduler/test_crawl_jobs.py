"""Crawl jobs run ``tenderwatch crawl SOURCE`` in a child process: the real command, the real Scrapy engine,
the loopback fixture server. A crawl that hangs is killed at its time limit, recorded and reported; the rest
of the cycle still runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from scheduling.cycle import run_cycle
from scheduling.jobs import Operations
from scheduling.lock import lock_status
from scheduling.service import Scheduler
from scheduling.supervise import KILL_GRACE_SECONDS, POLL_SECONDS
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Delivery, Notice, Source
from tenderwatch.health.runs import INTERRUPTED, TIME_LIMIT
from tenderwatch.loopback import FixtureServer
from tests.scheduler.conftest import listing_source, wait_for

LIMIT = 10  # the smallest limit settings allow


def test_a_hanging_crawl_is_killed_at_its_limit_and_the_cycle_goes_on(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine,
        server: FixtureServer) -> None:
    # the stuck source has the smallest limit allowed; the healthy one the settings' limit, so that a
    # slow start of its child on a loaded machine is not taken for a hang
    cfg = configure(
        sources=[listing_source("stuck", "slow.html", crawl_time_limit_seconds=LIMIT),
                 listing_source("fine", "list.html")],
        settings={"crawl": {"crawl_time_limit_seconds": 300, "download_timeout_seconds": 300}},
    )
    server.override("/example.org/slow.html", delay=120, body=b"<ul><li>too late</li></ul>")
    ops = make_ops(cfg, child_env={"TENDERWATCH_URL_REWRITE": json.dumps(server.rewrite_for("example.org"))})

    report = run_cycle(ops)

    outcomes = {c.source: c for c in report.crawls}
    assert outcomes["stuck"].status == "failed"
    assert LIMIT <= outcomes["stuck"].seconds < LIMIT + 30
    assert "time limit of 10 s" in outcomes["stuck"].message
    assert outcomes["fine"].status == "ok", outcomes["fine"].message
    assert report.steps["health check"] == "ok" and report.steps["ILO notifications"] == "ok"
    assert report.steps["weekly digests"] == "ok" and report.steps["retry deferred mail"] == "ok"
    with session_scope(engine) as session:
        stuck_runs = session.scalars(select(CrawlRun).join(Source).where(Source.name == "stuck")).all()
        assert [(r.status, r.finish_reason) for r in stuck_runs] == [("failed", TIME_LIMIT)]
        stuck = session.scalars(select(Source).where(Source.name == "stuck")).one()
        assert not stuck.healthy and "time limit" in (stuck.health_reason or "")
        fine = session.scalars(select(Source).where(Source.name == "fine")).one()
        assert fine.healthy and fine.last_success_at is not None
        assert session.scalars(select(Notice.reference)).all() == ["REF-1"]
        alerts = session.scalars(select(Delivery).where(Delivery.kind == "health")).all()
        assert [(a.recipient, a.status) for a in alerts] == [(cfg.settings.mail.admin_address, "sent")]
        assert alerts[0].period_key.startswith("stuck:unhealthy:failing:")


def test_a_child_that_dies_without_recording_is_recorded_by_the_parent(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine) -> None:
    """A broken environment (here: a config folder the child cannot read) makes the child exit early."""
    cfg = configure(sources=[listing_source("fine", "list.html")])
    ops = make_ops(cfg)
    ops.config = cfg.model_copy(update={"directory": "/nonexistent/config"})
    outcome = ops.crawl("fine")
    assert outcome.status == "failed" and outcome.exit_code not in (0, None)
    assert "without recording its run" in outcome.message and "config folder not found" in outcome.message
    with session_scope(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert (run.status, run.finish_reason) == ("failed", "crashed")


def test_stopping_the_scheduler_stops_a_running_crawl_cleanly(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine,
        server: FixtureServer) -> None:
    """What SIGTERM does: the crawl child is stopped, its run recorded as interrupted, which is not a failure."""
    cfg = configure(sources=[listing_source("stuck", "slow.html")],
                    settings={"crawl": {"download_timeout_seconds": 300}})
    server.override("/example.org/slow.html", delay=120, body=b"<ul></ul>")
    ops = make_ops(cfg, child_env={"TENDERWATCH_URL_REWRITE": json.dumps(server.rewrite_for("example.org"))})
    sched = Scheduler(ops, holder="test:stop")
    sched.start()
    try:
        sched.aps.modify_job("crawl:stuck", next_run_time=datetime.now(UTC))  # run it now
        wait_for(lambda: server.requests["/example.org/slow.html"] >= 1, timeout=60, what="the crawl to start")
    finally:
        began = time.monotonic()
        sched.stop()
    assert time.monotonic() - began < POLL_SECONDS + KILL_GRACE_SECONDS + 5
    assert [e.outcome for e in sched.history if e.job_id == "crawl:stuck"] == ["executed"]
    assert lock_status(engine) is None
    with session_scope(engine) as session:
        (run,) = session.scalars(select(CrawlRun).join(Source).where(Source.name == "stuck")).all()
        assert (run.status, run.finish_reason) == ("failed", INTERRUPTED)
        assert session.scalars(select(Source.healthy).where(Source.name == "stuck")).one() is True
