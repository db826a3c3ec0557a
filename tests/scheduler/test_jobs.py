"""Crawl jobs that run at the same time hand their health check to the last one: one mail for all of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from scheduling.jobs import CrawlBurst, Operations, crawl_job, install, uninstall
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Delivery
from tests.scheduler.conftest import REFUSED, health_mails, listing_source, refuse_everything


def test_the_last_crawl_of_a_burst_hands_over_every_source_of_it() -> None:
    burst = CrawlBurst()
    burst.start()
    burst.start()
    assert burst.finish("a") == []
    burst.start()  # a third one joins while the second still runs
    assert burst.finish("b") == []
    assert burst.finish("c") == ["a", "b", "c"]
    burst.start()
    assert burst.finish("d") == ["d"]  # a crawl on its own is its own burst


def test_crawl_jobs_of_sources_all_down_give_one_health_mail(
        configure: Callable[..., Config], make_ops: Callable[..., Operations], engine: Engine,
        tmp_path: Path) -> None:
    names = ["down-a", "down-b", "down-c"]
    cfg = configure(sources=[listing_source(name, f"{name}/list.html") for name in names])
    ops = make_ops(cfg, child_env={"TENDERWATCH_URL_REWRITE": json.dumps(refuse_everything())})
    install(ops)
    try:
        threads = [threading.Thread(target=crawl_job, args=(name,)) for name in names]  # as the crawl workers do
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        uninstall(ops)
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(CrawlRun.status))) == ["failed"] * 3
        assert len(session.scalars(select(Delivery).where(Delivery.kind == "health")).all()) == 1
    (mail,) = health_mails(tmp_path / "outbox")
    assert str(mail["Subject"]) == "[Tenderwatch] 3 sources unhealthy"
    body = " ".join(mail.get_content().split())
    assert all(f"{name} (CERN) crawl failed 1 time(s) in a row: listing" in body for name in names)
    assert body.count(REFUSED) == 3
