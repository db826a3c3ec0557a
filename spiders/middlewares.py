"""Downloader middlewares."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response
from scrapy.utils.request import RequestFingerprinter


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
            return None
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
