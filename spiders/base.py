"""The base of every configured spider.

A spider is built from one ``SourceConfig``: its name, start URLs, allowed domains and options
come from ``config/sources.yaml``. Subclasses (one per publishing pattern, see ``registry``)
implement ``parse`` and yield ``RawNotice`` dicts through ``self.notice(...)``; they report
structural problems (a selector that matched nothing, an empty listing) with ``self.problem``,
which land in the crawl run for the health rules.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlparse

import scrapy
from pydantic import BaseModel
from sqlalchemy import Engine

from pipeline.normalise import lookup_notice_type
from pipeline.records import RawNotice
from tenderwatch.config import Config, SourceConfig

if TYPE_CHECKING:
    from spiders.ingestor import SharedClassifier


class ConfiguredSpider(scrapy.Spider):
    kind: ClassVar[str] = ""
    options_model: ClassVar[type[BaseModel]]
    default_domains: ClassVar[tuple[str, ...]] = ()
    """Hosts a kind always talks to (an API), allowed besides the start URLs' hosts."""

    def __init__(self, *args: Any, tw_source: SourceConfig, tw_config: Config, tw_engine: Engine,
                 tw_classifier: SharedClassifier | None = None, **kwargs: Any) -> None:
        super().__init__(*args, name=tw_source.name, **kwargs)
        self.tw_source = tw_source
        self.tw_config = tw_config
        self.tw_engine = tw_engine
        # the classifier the crawls of this process share (``spiders.runner``), or None: the crawl builds its own
        self.tw_classifier = tw_classifier
        self.tw_problems: list[str] = []
        self.tw_unmapped: set[str] = set()
        self.options = self.options_model.model_validate(tw_source.options)
        self.start_urls = list(tw_source.start_urls)
        domains = list(tw_source.allowed_domains) or sorted(
            ({urlparse(u).hostname or "" for u in self.start_urls} | set(self.default_domains)) - {""}
        )
        self.allowed_domains = domains

    async def start(self) -> AsyncIterator[Any]:
        first_url = getattr(self.options, "first_url", lambda url: url)
        for url in self.start_urls:
            yield scrapy.Request(first_url(url), callback=self.parse, errback=self.listing_failed)

    # ------------------------------------------------------------------ helpers for subclasses

    def notice(self, **fields: Any) -> dict[str, Any]:
        """Build a validated RawNotice (as a dict) for this source."""
        fields.setdefault("source", self.name)
        if "organisation" not in fields or fields["organisation"] is None:
            fields.pop("organisation", None)
        raw = RawNotice.model_validate(fields).model_dump()
        self.check_notice_type(raw.get("notice_type"))
        return raw

    def check_notice_type(self, label: str | None) -> None:
        """A type label or code the source's ``notice_types`` table does not map is reported, not guessed.

        The notice keeps the label as it came (its raw record) and gets the source's default type;
        the crawl counts it (``tenderwatch/unmapped_notice_type`` and ``.../<label>``, kept in the
        run's stats) and logs it once per crawl, so an administrator can add it to the table.
        """
        table = self.tw_source.notice_types
        if not label or not table or lookup_notice_type(label, table) is not None:
            return
        stats = self.crawler.stats
        assert stats is not None
        key = re.sub(r"[^\w.-]+", "_", label)[:40]
        stats.inc_value("tenderwatch/unmapped_notice_type")
        stats.inc_value(f"tenderwatch/unmapped_notice_type/{key}")
        if label not in self.tw_unmapped:
            self.tw_unmapped.add(label)
            self.logger.warning("%s: notice type %r is not in the source's notice_types; stored as it came, typed %s",
                                self.name, label[:80], self.tw_source.default_notice_type)

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
