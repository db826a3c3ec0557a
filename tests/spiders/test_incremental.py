"""Incremental crawling: an unchanged listing costs a 304, and detail pages are fetched only for new
or changed rows. Two crawls in one reactor, the HTTP cache in a temporary folder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeChange
from tenderwatch.loopback import FIXTURES, FixtureServer
from tests.conftest import deferred_test
from tests.spiders.conftest import FAST, hosts_of, last_run

LISTING = "/industryportal.f4e.europa.eu/f4e-calls"
DETAIL = "/industryportal.f4e.europa.eu/IP_PAGES/Opportunity.aspx"


@deferred_test
async def test_unchanged_recrawl_costs_304s_and_no_detail_pages(config: Config, engine: Engine,
                                                               server: FixtureServer, tmp_path: Path) -> None:
    src = config.source("f4e-opportunities")
    assert src is not None
    rewrite = server.rewrite_for(*hosts_of(src))
    cache = str(tmp_path / "cache")
    await crawl_async(config, engine, ["f4e-opportunities"], url_rewrite=rewrite, http_cache_dir=cache,
                      extra_settings=FAST)
    assert server.requests[DETAIL] == 5 and server.statuses[304] == 0
    server.reset()
    crawlers = await crawl_async(config, engine, ["f4e-opportunities"], url_rewrite=rewrite, http_cache_dir=cache,
                                 extra_settings=FAST)
    stats = crawlers["f4e-opportunities"].stats.get_stats()
    assert server.statuses[200] == 0 and server.statuses[304] == 2  # the two listing pages
    assert sum(server.bytes_sent.values()) == 0
    assert server.requests[DETAIL] == 0
    assert stats["tenderwatch/detail_skipped"] == 5
    run = last_run(engine, "f4e-opportunities")
    assert (run.status, run.notices_found, run.notices_new, run.notices_changed) == ("ok", 5, 0, 0)


@deferred_test
async def test_changed_row_fetches_only_its_detail_page(config: Config, engine: Engine, server: FixtureServer,
                                                        tmp_path: Path) -> None:
    src = config.source("f4e-opportunities")
    assert src is not None
    rewrite = server.rewrite_for(*hosts_of(src))
    cache = str(tmp_path / "cache")
    await crawl_async(config, engine, ["f4e-opportunities"], url_rewrite=rewrite, http_cache_dir=cache,
                      extra_settings=FAST)
    server.reset()
    page = (FIXTURES / (LISTING.lstrip("/") + "__status-open")).read_text(encoding="utf-8")
    moved = page.replace("10/12/2026 12:00", "17/12/2026 12:00")  # CEI deadline extended
    assert moved != page
    server.override(LISTING, body=moved.encode(), headers={"ETag": '"moved"'}, times=1)  # page 1 (asked first) only
    await crawl_async(config, engine, ["f4e-opportunities"], url_rewrite=rewrite, http_cache_dir=cache,
                      extra_settings=FAST)
    assert server.requests[DETAIL] == 1  # only the changed row's detail page
    assert [e[1] for e in server.log if DETAIL in e[1]] == [f"{DETAIL}?id=327"]
    with session_scope(engine) as s:
        notice = s.scalars(select(Notice).where(Notice.reference == "F4E-CEI-0327")).one()
        assert notice.deadline_at is not None and notice.deadline_at.day == 17
        assert notice.description  # the detail page's description survives the update
        change = s.scalars(select(NoticeChange).where(NoticeChange.notice_id == notice.id)).one()
        assert change.field == "deadline_at"
