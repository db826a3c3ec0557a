"""Run crawls: one Scrapy process, one ``start()``, every selected source crawled concurrently.

``crawl_sources`` is what ``tenderwatch crawl`` calls (the scheduler runs that command in a child
process per crawl, because a Twisted reactor cannot be restarted). ``crawl_async`` is the same for
code that already runs a reactor (tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scrapy.crawler import AsyncCrawlerProcess, AsyncCrawlerRunner, Crawler
from scrapy.settings import Settings
from sqlalchemy import Engine, select

from spiders.ingestor import SharedClassifier
from spiders.registry import spider_class
from spiders.settings import scrapy_settings
from tenderwatch.config import Config, SourceConfig
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Source


@dataclass
class RunSummary:
    source: str
    status: str
    notices: int
    new: int
    changed: int
    problems: list[str]
    finished_at: datetime | None


class UnknownSourceError(ValueError):
    pass


def select_sources(config: Config, names: list[str] | None) -> list[SourceConfig]:
    """Named sources (enabled or not: naming one is explicit), or every enabled source."""
    if not names:
        return [s for s in config.sources if s.enabled]
    chosen = []
    for name in names:
        src = config.source(name)
        if src is None:
            raise UnknownSourceError(f"unknown source {name!r} (see 'tenderwatch sources list')")
        chosen.append(src)
    return chosen


def _kwargs(source: SourceConfig, config: Config, engine: Engine, shared: SharedClassifier) -> dict:
    return {"tw_source": source, "tw_config": config, "tw_engine": engine, "tw_classifier": shared}


def latest_runs(engine: Engine, names: list[str]) -> list[RunSummary]:
    out = []
    with session_scope(engine) as session:
        for name in names:
            run = session.scalars(
                select(CrawlRun).join(Source).where(Source.name == name).order_by(CrawlRun.id.desc()).limit(1)
            ).first()
            if run is None:
                out.append(RunSummary(name, "not run", 0, 0, 0, ["the crawl did not start"], None))
            else:
                out.append(RunSummary(name, run.status, run.notices_found, run.notices_new, run.notices_changed,
                                      list(run.problems), run.finished_at))
    return out


def crawl_sources(config: Config, engine: Engine, names: list[str] | None = None, *,
                  url_rewrite: dict[str, str] | None = None, http_cache_dir: str | None = None,
                  log_level: str = "WARNING", extra_settings: dict | None = None) -> list[RunSummary]:
    sources = select_sources(config, names)
    settings = Settings(scrapy_settings(config, url_rewrite=url_rewrite, http_cache_dir=http_cache_dir))
    settings.set("LOG_LEVEL", log_level)
    for key, value in (extra_settings or {}).items():
        settings.set(key, value)
    settings.set("LOG_INSTALL_ROOT_HANDLER", True)  # not the deprecated argument, which warns in every crawl
    process = AsyncCrawlerProcess(settings)
    shared = SharedClassifier(config)
    for source in sources:
        process.crawl(spider_class(source.kind), **_kwargs(source, config, engine, shared))
    process.start()
    shared.keep_words()  # once, with the reactor stopped: every crawl's new words
    return latest_runs(engine, [s.name for s in sources])


async def crawl_async(config: Config, engine: Engine, names: list[str] | None = None, *,
                      url_rewrite: dict[str, str] | None = None, http_cache_dir: str | None = None,
                      extra_settings: dict | None = None) -> dict[str, Crawler]:
    """Crawl inside an already running reactor; returns the crawlers (for their stats)."""
    sources = select_sources(config, names)
    settings = scrapy_settings(config, url_rewrite=url_rewrite, http_cache_dir=http_cache_dir)
    settings.update(extra_settings or {})
    runner = AsyncCrawlerRunner(Settings(settings))
    crawlers = {}
    for source in sources:
        crawler = runner.create_crawler(spider_class(source.kind))
        crawlers[source.name] = crawler
    import asyncio

    shared = SharedClassifier(config)
    await asyncio.gather(*(c.crawl_async(**_kwargs(config.source(n), config, engine, shared))  # type: ignore[arg-type]
                           for n, c in crawlers.items()))
    shared.keep_words()
    return crawlers
