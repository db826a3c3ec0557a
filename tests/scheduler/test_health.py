"""Source health: the rules, and one admin alert per change (not one per run), with a recovery notice."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from alerts.health import check_health
from scheduling.jobs import Operations
from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.config.models import HealthSettings
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Delivery, Source
from tenderwatch.health.rules import evaluate
from tenderwatch.health.runs import record_run
from tenderwatch.health.verdicts import unhealthy_sources
from tenderwatch.loopback import FixtureServer
from tests.conftest import deferred_test
from tests.scheduler.conftest import body_of, health_mails, listing_source

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
EMPTY_PAGE = b"<html><body><ul></ul><p>Our new site is coming soon</p></body></html>"


def run(status: str, found: int = 0, missing: int = 0, reason: str = "finished", **stats: int) -> CrawlRun:
    return CrawlRun(status=status, notices_found=found, notices_missing_fields=missing, finish_reason=reason,
                    problems=[] if status != "failed" else ["listing https://example.org/ failed: 503"],
                    stats=stats)


def test_rules() -> None:
    settings = HealthSettings(empty_runs_threshold=3, failed_runs_threshold=2, missing_fields_share=0.5)
    had_notices = Source(name="s", notices_seen_total=10)
    never = Source(name="s", notices_seen_total=0)
    # newest run first
    assert evaluate(had_notices, [run("failed"), run("ok", 5)], settings).healthy
    failing = evaluate(had_notices, [run("failed"), run("failed"), run("ok", 5)], settings)
    assert (failing.healthy, failing.rule) == (False, "failing") and "503" in (failing.reason or "")
    # a crawl interrupted by a scheduler stop is not the source's fault
    assert evaluate(had_notices, [run("failed"), run("failed", reason="shutdown"), run("ok", 5)], settings).healthy
    assert evaluate(had_notices, [run("empty"), run("empty"), run("ok", 5)], settings).healthy
    empty = evaluate(had_notices, [run("empty"), run("empty"), run("empty"), run("ok", 5)], settings)
    assert (empty.healthy, empty.rule) == (False, "empty") and "3 runs" in (empty.reason or "")
    # a source that never returned anything is not "broken by a redesign"
    assert evaluate(never, [run("empty")] * 4, settings).healthy
    missing = evaluate(had_notices, [run("ok", 10, 6, **{"tenderwatch/missing/reference": 6})], settings)
    assert (missing.healthy, missing.rule) == (False, "missing_fields")
    assert missing.reason == "6 of 10 notices of the last run miss required fields (reference 6)"
    assert evaluate(had_notices, [run("ok", 10, 4)], settings).healthy


@deferred_test
async def test_a_source_that_turns_empty_gives_one_alert_and_one_recovery_notice(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine,
        server: FixtureServer, tmp_path: Path) -> None:
    cfg = configure(sources=[listing_source("redesigned", "list.html")])
    k = cfg.settings.health.empty_runs_threshold
    ops = make_ops(cfg)
    rewrite = server.rewrite_for("example.org")

    async def crawl(empty: bool) -> list[str]:
        if empty:
            server.override("/example.org/list.html", body=EMPTY_PAGE)
        else:
            server.overrides.pop("/example.org/list.html", None)
        await crawl_async(cfg, engine, ["redesigned"], url_rewrite=rewrite, extra_settings=FAST)
        ops.after_crawl("redesigned")  # what the scheduler's crawl job does after the child exits
        with session_scope(engine) as session:
            return list(session.scalars(select(Delivery.period_key).where(Delivery.kind == "health")
                                        .order_by(Delivery.id)))

    assert await crawl(empty=False) == []
    for _ in range(k - 1):
        assert await crawl(empty=True) == []
    alerts = await crawl(empty=True)
    assert len(alerts) == 1 and alerts[0].startswith("redesigned:unhealthy:empty:")
    with session_scope(engine) as session:
        assert [s.name for s in unhealthy_sources(session, ["CERN"])] == ["redesigned"]
        assert unhealthy_sources(session, ["ESA"]) == []
    assert await crawl(empty=True) == alerts  # still empty: not reported again
    final = await crawl(empty=False)
    assert len(final) == 2 and final[1].startswith("redesigned:recovered:")

    with session_scope(engine) as session:
        source = session.scalars(select(Source).where(Source.name == "redesigned")).one()
        assert source.healthy and source.health_reason is None and source.health_reported_at is not None
        statuses = [r.status for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]
        assert statuses == ["ok"] + ["empty"] * k + ["empty", "ok"]
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in sorted((tmp_path / "outbox").rglob("*.eml"))]
    health = [m for m in mails if m["X-Tenderwatch-Kind"] == "health"]
    assert sorted(str(m["Subject"]) for m in health) == ["[Tenderwatch] source redesigned is unhealthy",
                                                         "[Tenderwatch] source redesigned recovered"]
    assert all(str(m["To"]) == cfg.settings.mail.admin_address for m in health)
    unhealthy = next(m for m in health if "unhealthy" in str(m["Subject"]))
    assert f"no notices in the last {k} runs" in unhealthy.get_content()


def test_checks_racing_each_other_report_every_change_exactly_once(
        configure: Callable[..., Config], engine: Engine, tmp_path: Path) -> None:
    """The health job, a check after a crawl and ``run --once`` may overlap: each change is claimed by one of them."""
    names = ["a", "b", "c"]
    cfg = configure(sources=[listing_source(name, f"{name}/list.html") for name in names])
    for name in names:
        record_run(engine, cfg, name, datetime.now(UTC), "finished", {}, [f"listing of {name} failed: HTTP 503"])
    barrier = threading.Barrier(4)
    found: list[list[str]] = []

    def check(sources: list[str] | None) -> None:
        barrier.wait()
        found.append([c.source for c in check_health(engine, cfg, sources=sources)])

    threads = [threading.Thread(target=check, args=(s,)) for s in (["a"], ["a", "b"], None, ["c", "b"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(name for names_found in found for name in names_found) == names
    bodies = [body_of(m) for m in health_mails(tmp_path / "outbox")]
    assert sorted(name for body in bodies for name in names if f"\n{name} (CERN)\n" in body) == names
    with session_scope(engine) as session:
        assert len(session.scalars(select(Delivery).where(Delivery.kind == "health")).all()) == len(bodies)
    assert check_health(engine, cfg) == []  # nothing left to report
