"""Downloader middlewares."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response


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
