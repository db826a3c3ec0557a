"""The base of every configured spider.

A spider is built from one ``SourceConfig``: its name, start URLs, allowed domains and options
come from ``config/sources.yaml``. Subclasses (one per publishing pattern, see ``registry``)
implement ``parse`` and yield ``RawNotice`` dicts through ``self.notice(...)``; they report
structural problems (a selector that matched nothing, an empty listing) with ``self.problem``,
which land in the crawl run for the health rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from pydantic import BaseModel
from sqlalchemy import Engine

from pipeline.records import RawNotice
from tenderwatch.config import Config, SourceConfig


class ConfiguredSpider(scrapy.Spider):
    kind: ClassVar[str] = ""
    options_model: ClassVar[type[BaseModel]]
    default_domains: ClassVar[tuple[str, ...]] = ()
    """Hosts a kind always talks to (an API), allowed besides the start URLs' hosts."""

    def __init__(self, *args: Any, tw_source: SourceConfig, tw_config: Config, tw_engine: Engine,
                 **kwargs: Any) -> None:
        super().__init__(*args, name=tw_source.name, **kwargs)
        self.tw_source = tw_source
        self.tw_config = tw_config
        self.tw_engine = tw_engine
        self.tw_problems: list[str] = []
        self.options = self.options_model.model_validate(tw_source.options)
        self.start_urls = list(tw_source.start_urls)
        domains = list(tw_source.allowed_domains) or sorted(
            ({urlparse(u).hostname or "" for u in self.start_urls} | set(self.default_domains)) - {""}
        )
        self.allowed_domains = domains

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.listing_failed)

    # ------------------------------------------------------------------ helpers for subclasses

    def notice(self, **fields: Any) -> dict[str, Any]:
        """Build a validated RawNotice (as a dict) for this source."""
        fields.setdefault("source", self.name)
        if "organisation" not in fields or fields["organisation"] is None:
            fields.pop("organisation", None)
        return RawNotice.model_validate(fields).model_dump()

    def problem(self, message: str) -> None:
        """A structural problem of the page (not of one notice): reported in the run and the stats."""
        self.logger.warning(message)
        if message not in self.tw_problems:
            self.tw_problems.append(message)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("tenderwatch/problems")

    def listing_failed(self, failure: Any) -> None:
        """Errback for listing pages: the run is failed, with the reason."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("tenderwatch/listing_failed")
        request = getattr(failure, "request", None)
        url = request.meta.get("tw_original_url", request.url) if request is not None else "?"
        self.problem(f"listing {url} failed: {failure_reason(failure)}")


def failure_reason(failure: Any) -> str:
    """Why a request failed, for the run's problems: an HTTP error names its status (Scrapy's own
    message, "Ignoring non-200 response", does not), a refused Retry-After says so."""
    response = getattr(failure.value, "response", None)
    if response is not None and hasattr(response, "status"):
        request = getattr(response, "request", None)
        gave_up = request.meta.get("tw_gave_up") if request is not None else None
        return gave_up or f"HTTP {response.status}"
    return failure.getErrorMessage()
