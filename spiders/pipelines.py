"""The one item pipeline: validate, normalise, store; and record the crawl run when the spider closes.

A thin Scrapy wrapper around ``pipeline`` (which knows nothing of Scrapy). Items that cannot be
notices are kept as rejects with the reason; missing required fields are counted per field in the
crawl stats (``tenderwatch/missing/<field>``) for the health rules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from pydantic import ValidationError
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipeline.ingest import Ingestor
from pipeline.normalise import normalise
from pipeline.records import RawNotice
from spiders.ingestor import LazyIngestor
from tenderwatch.health.runs import record_run


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.ingestor: LazyIngestor | None = None
        self.started_at = datetime.now(UTC)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        spider = spider or self.crawler.spider
        assert self.stats is not None
        if self.ingestor is None:
            # batch_size=1: commit each notice at once, so that a crawl never holds a database connection
            # (or SQLite's write lock) between items while other crawls of the same process want to write
            self.ingestor = LazyIngestor(spider.tw_engine, spider.tw_config, spider.tw_classifier, batch_size=1)
        ingestor = await self.ingestor.get()
        data = ItemAdapter(item).asdict()
        self.stats.inc_value("tenderwatch/items")
        try:
            raw = RawNotice.model_validate(data)
        except ValidationError as exc:
            self._reject(ingestor, spider, data, f"invalid item: {exc.errors()[0]['msg']}")
            raise DropItem("invalid item") from exc
        source_cfg = spider.tw_source
        missing = [f for f in source_cfg.required_fields if not getattr(raw, f, None)]
        for field in missing:
            self.stats.inc_value(f"tenderwatch/missing/{field}")
        if missing:
            self.stats.inc_value("tenderwatch/notices_missing_fields")
        try:
            record = normalise(raw, spider.tw_config)
        except ValueError as exc:
            self._reject(ingestor, spider, data, f"cannot normalise: {exc}")
            raise DropItem(str(exc)) from exc
        result = ingestor.add(record)
        if result is not None:
            self.stats.inc_value(f"tenderwatch/{result.outcome}")
            self.stats.inc_value("tenderwatch/notices")
        return item

    def _reject(self, ingestor: Ingestor, spider: Spider, data: dict[str, Any], reason: str) -> None:
        assert self.stats is not None
        import json

        self.stats.inc_value("tenderwatch/rejected")
        ingestor.reject(stage="crawl", location=str(data.get("url") or spider.name), reason=reason,
                        raw=json.dumps(data, default=str)[:100_000], source_name=spider.name)
        ingestor.flush()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.ingestor is not None:
            self.ingestor.close()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        record_run(spider.tw_engine, spider.tw_config, spider.name, self.started_at, reason,
                   self.stats.get_stats() if self.stats else {}, getattr(spider, "tw_problems", []))
