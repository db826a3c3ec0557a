"""Crawl jobs run ``tenderwatch crawl SOURCE`` in a child process: the real command, the real Scrapy engine,
the loopback fixture server. A crawl that hangs is killed at its time limit, recorded and reported; the rest
of the cycle still runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Engine, select

from scheduler import TIME_LIMIT, Operations, run_cycle
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Delivery, Notice, Source
from tenderwatch.loopback import FixtureServer
from tests.scheduler.conftest import listing_source

LIMIT = 10  # the smallest limit settings allow


def test_a_hanging_crawl_is_killed_at_its_limit_and_the_cycle_goes_on(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine,
        server: FixtureServer) -> None:
    cfg = configure(
        sources=[listing_source("stuck", "slow.html"), listing_source("fine", "list.html")],
        settings={"crawl": {"crawl_time_limit_seconds": LIMIT, "download_timeout_seconds": 300}},
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
