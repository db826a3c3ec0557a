"""``ted``: the TED Search API v3 source, one saved query per source entry.

Recipe (YAML only, see ``pipeline.ted.api.TedOptions``)::

    - name: ted-f4e
      kind: ted
      organisation: F4E            # optional: the query names only this organisation's buyers
      options:
        query: {buyers: ["Fusion for Energy"], notice_types: [cn-standard]}

A run POSTs the expert query (filters AND a publication-date window) in iteration mode, page
after page, backing off on 429/5xx (``Retry-After`` or doubling waits), then fetches the XML of
each notice not stored yet and parses it with ``pipeline.ted`` (both formats). The window's end
is remembered in the source's ``state`` and the next run starts there (minus ``overlap_days``):
incremental, and a failed run is simply read again. Records are stored through the one
``Ingestor`` as they come, so the run's counters (read by the health rules) are real.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from sqlalchemy import select

from pipeline.ted import api, codelists
from pipeline.ted.common import SOURCE
from pipeline.ted.importer import keep_rejected
from pipeline.ted.parse import parse_notice
from spiders.base import ConfiguredSpider
from spiders.ingestor import LazyIngestor
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import NoticeSource, Source

RETRY_STATUSES = [429, 500, 502, 503, 504]


class TedSpider(ConfiguredSpider):
    kind = "ted"
    options_model = api.TedOptions
    options: api.TedOptions
    default_domains = ("api.ted.europa.eu", "ted.europa.eu")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ingestor: LazyIngestor | None = None
        self.window: tuple[date, date] | None = None
        self.pages = 0
        self.search_failed = False

    # ------------------------------------------------------------------ search pages

    async def start(self) -> AsyncIterator[Any]:
        with session_scope(self.tw_engine) as session:
            src = session.scalars(select(Source).where(Source.name == self.name)).first()
            state = dict(src.state or {}) if src is not None else {}
        self.window = api.window(state, self.options, datetime.now(UTC).date())
        self.query = api.build_query(self.options.query, *self.window)
        self.ingestor = LazyIngestor(self.tw_engine, self.tw_config, self.tw_classifier)
        yield self.search(None)

    def search(self, token: str | None, attempt: int = 0) -> scrapy.Request:
        body = api.request_body(self.options, self.query, token)
        return scrapy.Request(
            self.options.api_url, method="POST", body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self.parse_page, errback=self.search_error, dont_filter=True,
            meta={"dont_retry": True, "handle_httpstatus_list": RETRY_STATUSES, "tw_token": token,
                  "tw_attempt": attempt},
        )

    async def parse_page(self, response: Any) -> AsyncIterator[Any]:
        token, attempt = response.meta["tw_token"], response.meta["tw_attempt"]
        if response.status in RETRY_STATUSES:
            retry = await self.backoff(response, attempt)
            if retry:
                yield self.search(token, attempt + 1)
            return
        try:
            data = json.loads(response.body)
            hits = data["notices"]
            if not isinstance(hits, list):
                raise TypeError("'notices' is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            self.fail_search(f"search answer is not the documented JSON ({exc})")
            return
        self.pages += 1
        self.crawler.stats.inc_value("tenderwatch/ted/hits", len(hits))
        if data.get("timedOut"):
            self.problem("TED search timed out on the server: results may be incomplete; the window is read again")
            self.search_failed = True
        numbers = {}
        for hit in hits:
            number = codelists.publication_number(api.scalar(hit.get("publication-number")) if isinstance(
                hit, dict) else None)
            if number is None:
                self.problem(f"search hit without a readable publication-number: {str(hit)[:200]}")
                continue
            numbers[number] = hit
        known = self.known(list(numbers))
        for number, hit in numbers.items():
            if number in known:
                # seen and stored before: not fetched again, but counted as seen, so a quiet run of an
                # incremental query is not taken for a broken source by the health rules
                self.crawler.stats.inc_value("tenderwatch/ted/known")
                self.crawler.stats.inc_value("tenderwatch/notices")
                continue
            url = api.xml_url(hit)
            if url is None:
                self.problem(f"{number}: no XML link")
                continue
            yield scrapy.Request(url, callback=self.parse_notice, errback=self.notice_error,
                                 meta={"tw_number": number}, headers={"Accept": "application/xml"})
        next_token = data.get("iterationNextToken")
        if next_token and hits:
            if self.pages >= self.options.max_pages:
                self.problem(f"stopped after max_pages={self.options.max_pages}; the window is read again next run")
                self.search_failed = True
            else:
                yield self.search(str(next_token))

    async def backoff(self, response: Any, attempt: int) -> bool:
        """Wait before retrying a 429/5xx answer; False (run failed) once the retries are spent."""
        if attempt >= self.options.retries:
            self.fail_search(f"search answered HTTP {response.status} {attempt + 1} times; giving up")
            return False
        delay = min(self.options.max_backoff_seconds, self.options.backoff_seconds * (2 ** attempt))
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            delay = min(self.options.max_backoff_seconds, _retry_after_seconds(retry_after.decode("latin-1"), delay))
        self.crawler.stats.inc_value("tenderwatch/ted/backoff")
        self.logger.info("TED answered %s; retrying in %.1f s", response.status, delay)
        await asyncio.sleep(delay)
        return True

    def fail_search(self, message: str) -> None:
        self.search_failed = True
        self.crawler.stats.inc_value("tenderwatch/listing_failed")
        self.problem(message)

    def search_error(self, failure: Any) -> None:
        self.fail_search(f"search request failed: {failure.getErrorMessage()}")

    def known(self, numbers: list[str]) -> set[str]:
        if not numbers:
            return set()
        with session_scope(self.tw_engine) as session:
            return set(session.scalars(select(NoticeSource.external_id).where(
                NoticeSource.source_name == SOURCE, NoticeSource.external_id.in_(numbers))))

    # ------------------------------------------------------------------ notices

    async def parse_notice(self, response: Any) -> None:
        assert self.ingestor is not None
        ingestor = await self.ingestor.get()
        stats = self.crawler.stats
        where = response.url
        try:
            record = parse_notice(response.body, where)
        except ValueError as exc:
            reason = str(exc).splitlines()[0]
            kept = keep_rejected(f"{response.meta['tw_number']}.xml", response.body)
            stats.inc_value("tenderwatch/rejected")
            ingestor.reject(stage="crawl", location=where, reason=reason + (f" (kept as {kept})" if kept else ""),
                            raw=response.body, source_name=self.name)
            ingestor.flush()
            return
        if record.organisation is None and self.tw_source.organisation:
            matched = ingestor.buyers.match(record.buyer_name)
            record.organisation = matched or self.tw_source.organisation
        result = ingestor.add(record)
        ingestor.flush()
        if result is not None:
            stats.inc_value(f"tenderwatch/{result.outcome}")
            stats.inc_value("tenderwatch/notices")

    def notice_error(self, failure: Any) -> None:
        request = getattr(failure, "request", None)
        self.problem(f"notice {request.url if request is not None else '?'} failed: {failure.getErrorMessage()}")
        self.search_failed = True

    def closed(self, reason: str) -> None:
        if self.ingestor is not None:
            self.ingestor.close()
        if reason == "finished" and not self.search_failed and self.window is not None:
            with session_scope(self.tw_engine) as session:
                src = session.scalars(select(Source).where(Source.name == self.name)).first()
                if src is not None:
                    src.state = {**(src.state or {}), "published_until": self.window[1].isoformat(),
                                 "published_since": self.window[0].isoformat()}


def _retry_after_seconds(value: str, default: float) -> float:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
