"""Downloader middlewares."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, NotConfigured
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.request import RequestFingerprinter
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, NoRouteError


class UrlRewriteMiddleware:
    """Send requests for real hosts to the loopback fixture server, for tests and ``make demo`` only.

    ``TENDERWATCH_URL_REWRITE`` maps a real prefix (``https://found.cern.ch``) to a loopback one
    (``http://127.0.0.1:8123/found.cern.ch``). The response is handed back to the spider under the
    real URL, so links, allowed domains and stored URLs are exactly what a live crawl would see.
    """

    def __init__(self, rewrite: dict[str, str]) -> None:
        self.rewrite = sorted(rewrite.items(), key=lambda kv: -len(kv[0]))
        self.reverse = sorted(((v, k) for k, v in rewrite.items()), key=lambda kv: -len(kv[0]))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlRewriteMiddleware:
        rewrite = crawler.settings.getdict("TENDERWATCH_URL_REWRITE")
        if not rewrite:
            raise NotConfigured
        return cls(rewrite)

    def process_request(self, request: Request, spider: Any = None) -> Request | None:
        if request.meta.get("tw_original_url"):
            if any(request.url.startswith(local) for _real, local in self.rewrite):
                return None
            # A follow-up built from a rewritten request (a redirect copies its meta): start it over as a
            # fresh request for its real URL, so the offsite and robots.txt rules apply to it again and it
            # is rewritten to loopback rather than sent to the real host.
            meta = {k: v for k, v in request.meta.items()
                    if k not in ("tw_original_url", "dont_obey_robotstxt", "allow_offsite")}
            return request.replace(meta=meta)
        for real, local in self.rewrite:
            if request.url.startswith(real):
                new_url = local + request.url[len(real):]
                # robots.txt and the offsite rule were already applied to the real URL
                meta = {**request.meta, "tw_original_url": request.url, "dont_obey_robotstxt": True,
                        "allow_offsite": True}
                return request.replace(url=new_url, meta=meta, dont_filter=True)
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response | Request:
        original = request.meta.get("tw_original_url")
        if original:
            if 300 <= response.status < 400 and "Location" in response.headers:
                location = response.headers["Location"].decode("latin-1")
                for local, real in self.reverse:
                    if location.startswith(local):
                        response.headers["Location"] = real + location[len(local):]
                        break
            return response.replace(url=original)
        return response


class RewriteAwareFingerprinter(RequestFingerprinter):
    """Fingerprint a rewritten request by its real URL.

    The HTTP cache and the duplicate filter key requests by fingerprint. Without this, a request
    rewritten to the loopback server (whose port changes every run) would never find the cached
    response of the previous run, and the demo and the conditional-request bench would show
    full downloads where a live crawl sends If-None-Match and gets a 304.
    """

    def fingerprint(self, request: Request) -> bytes:
        original = request.meta.get("tw_original_url")
        if original:
            request = request.replace(url=original)
        return super().fingerprint(request)


class RevalidatingPolicy(RFC2616Policy):
    """RFC 2616 caching that revalidates ``no-cache`` responses with a conditional request.

    ``Cache-Control: no-cache`` means "revalidate before reuse" (RFC 9111 5.2.2.4), but Scrapy's
    RFC2616Policy then skips setting If-None-Match / If-Modified-Since, so every crawl of such a
    page (many listings send it) would download it in full. Here it costs a 304 when unchanged.
    """

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        if b"no-cache" in self._parse_cachecontrol(cachedresponse):
            self._set_conditional_validators(request, cachedresponse)
            return False
        return super().is_cached_response_fresh(cachedresponse, request)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, TxConnectionRefusedError,
               ConnectionRefusedError, NoRouteError)
"""Faults a retry within the same crawl cannot cure: the host has no address, refuses connections or has no route.

Retrying them with backoff only made a source that is down take half a minute to fail (a minute on
a bad day, times every source); the next scheduled crawl is the retry."""


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but waiting before each retry: ``Retry-After`` when the server gives one, else
    exponential backoff with jitter (``TENDERWATCH_RETRY_BASE_DELAY`` * 2^(attempt-1), at most
    ``TENDERWATCH_RETRY_MAX_DELAY``).

    Scrapy retries a 503 or 429 at once, which hammers a site that just said it is overloaded and
    usually fails again. A server asking for longer than the cap is not retried in this run: the
    run fails now with the reason (``tw_gave_up`` in the response's meta) and the next scheduled
    crawl tries again, instead of a crawl that sleeps for hours. The wait happens in
    ``process_request`` of the retried request, so it holds no download slot of other requests.
    A host that cannot be reached at all (``UNREACHABLE``) is not retried: the request fails at once.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base_delay = settings.getfloat("TENDERWATCH_RETRY_BASE_DELAY", 2.0)
        self.max_delay = settings.getfloat("TENDERWATCH_RETRY_MAX_DELAY", 300.0)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(attempt - 1, 0)) * random.uniform(1.0, 1.25)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        delay = request.meta.pop("tw_retry_delay", None)
        if delay:
            await asyncio.sleep(delay)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None and wait > self.max_delay:
            request.meta["tw_gave_up"] = (f"HTTP {response.status} with Retry-After {wait:.0f} s, more than the "
                                          f"{self.max_delay:.0f} s a crawl waits; not retried in this run")
            return response
        new = self._retry(request, f"{response.status} response")
        if new is None:
            return response
        new.meta["tw_retry_delay"] = wait if wait is not None else self._backoff(new.meta["retry_times"])
        return new

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Request | None:
        if isinstance(exception, UNREACHABLE):
            return None  # on to the request's errback, which records why
        new = super().process_exception(request, exception)
        if isinstance(new, Request):
            new.meta["tw_retry_delay"] = self._backoff(new.meta["retry_times"])
        return new
