"""The crawl machinery through the real Scrapy engine: URL rewrite to loopback, item pipeline, run record.

Uses a tiny spider kind registered for the test only, so it checks the shared machinery
independently of any real source's markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from sqlalchemy import Engine, select

from spiders import kind_options, registry
from spiders.base import ConfiguredSpider
from spiders.runner import crawl_async
from tenderwatch.config import load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Notice, Source
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config
from tests.conftest import deferred_test

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


class ProbeOptions(BaseModel):
    pass


class ProbeSpider(ConfiguredSpider):
    kind = "probe"
    options_model = ProbeOptions

    def parse(self, response: Any) -> Any:
        for li in response.css("li"):
            yield self.notice(title=li.css("a::text").get(), reference=li.css("span::text").get(),
                              url=response.urljoin(li.css("a::attr(href)").get()))


def _setup(config_dir: Path, engine: Engine, monkeypatch: Any) -> Any:
    monkeypatch.setitem(kind_options.KIND_OPTIONS, "probe", "tests.test_crawl_engine:ProbeOptions")
    monkeypatch.setitem(registry.SPIDERS, "probe", "tests.test_crawl_engine:ProbeSpider")
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [
        {"name": "probe", "kind": "probe", "organisation": "CERN",
         "start_urls": ["https://example.org/list.html"]}]}))
    cfg = load_config(config_dir)
    with session_scope(engine) as s:
        sync_config(s, cfg)
    return cfg


@deferred_test
async def test_crawl_stores_notice_under_real_url(config_dir: Path, engine: Engine, server: FixtureServer,
                                                  monkeypatch: Any) -> None:
    cfg = _setup(config_dir, engine, monkeypatch)
    crawlers = await crawl_async(cfg, engine, url_rewrite=server.rewrite_for("example.org"), extra_settings=FAST)
    stats = crawlers["probe"].stats.get_stats()
    assert stats["finish_reason"] == "finished"
    assert "offsite/filtered" not in stats
    assert server.requests["/example.org/list.html"] == 1
    with session_scope(engine) as s:
        notice = s.scalars(select(Notice)).one()
        assert notice.url == "https://example.org/a"  # the real URL, not the loopback one
        assert notice.reference == "REF-1"
        assert notice.areas and notice.areas[0].area_id == "cryogenics"
        run = s.scalars(select(CrawlRun)).one()
        assert (run.status, run.notices_found, run.notices_new) == ("ok", 1, 1)
        src = s.scalars(select(Source).where(Source.name == "probe")).one()
        assert src.last_success_at is not None and src.consecutive_failures == 0


@deferred_test
async def test_listing_error_marks_run_failed(config_dir: Path, engine: Engine, server: FixtureServer,
                                              monkeypatch: Any) -> None:
    cfg = _setup(config_dir, engine, monkeypatch)
    server.override("/example.org/list.html", status=404, body=b"gone")
    await crawl_async(cfg, engine, url_rewrite=server.rewrite_for("example.org"), extra_settings=FAST)
    with session_scope(engine) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "failed"
        src = s.scalars(select(Source).where(Source.name == "probe")).one()
        assert src.consecutive_failures == 1 and src.last_error
