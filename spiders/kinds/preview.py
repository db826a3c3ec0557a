"""Run one source's spider on one page, outside a crawl: what ``tenderwatch sources test`` shows.

The page comes from a file or one fetch; the spider's own ``parse`` runs on it, so what is shown
is exactly what a crawl would extract from that page. Follow-up requests (next page, detail
pages, linked documents) are listed, not fetched: the tool examines one page at a time.
"""

from __future__ import annotations

import mimetypes
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.http.response.html import HtmlResponse
from scrapy.responsetypes import responsetypes
from sqlalchemy import Engine

from spiders.registry import spider_class
from spiders.settings import scrapy_settings
from tenderwatch.config import Config, SourceConfig


@dataclass
class Preview:
    url: str
    notices: list[dict[str, Any]] = field(default_factory=list)
    follow: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[tuple[int, str]] = field(default_factory=list)
    """(notice number, required field) for every required field a notice lacks."""
    pending_detail: int = 0
    """Notices shown with their listing values only: their detail pages are listed in ``follow``, not fetched."""


def fetch(url: str, config: Config, max_bytes: int) -> tuple[bytes, str]:
    """One GET with Tenderwatch's User-Agent, bounded by the download size limit."""
    settings = scrapy_settings(config)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    req = urllib.request.Request(url, headers={"User-Agent": settings["USER_AGENT"]})  # noqa: S310 - checked above
    with urllib.request.urlopen(req, timeout=config.settings.crawl.download_timeout_seconds) as answer:  # noqa: S310
        body = answer.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ValueError(f"{url}: larger than the download limit of {max_bytes} bytes")
        return body, answer.headers.get("Content-Type", "")


def make_response(url: str, body: bytes, content_type: str = "") -> Response:
    if not content_type:
        content_type = mimetypes.guess_type(url)[0] or ""
    headers = {"Content-Type": content_type} if content_type else {}
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    if cls is Response and body.lstrip()[:1] == b"<":
        cls = HtmlResponse
    return cls(url=url, body=body, headers=headers, request=Request(url))


def preview(source: SourceConfig, config: Config, engine: Engine, url: str, body: bytes,
            content_type: str = "") -> Preview:
    """Parse ``body`` as the page at ``url`` with the source's spider; collect notices, follow-ups, problems."""
    from scrapy.utils.test import get_crawler

    cls = spider_class(source.kind)
    crawler = get_crawler(cls, {"LOG_LEVEL": "ERROR"})
    spider = cls.from_crawler(crawler, tw_source=source, tw_config=config, tw_engine=engine)
    crawler.spider = spider
    response = make_response(url, body, content_type)
    out = Preview(url=url)
    callback = spider.parse
    if source.kind == "document" and not getattr(spider.options, "links", None):
        callback = spider.parse_document
    for item in callback(response) or []:
        if isinstance(item, Request):
            out.follow.append(item.url)
            row = (item.cb_kwargs or {}).get("row")
            if row:  # a row waiting for its detail page: what the listing alone gives
                out.notices.append(spider.notice(**row))
                out.pending_detail += 1
        else:
            out.notices.append(item)
    for i, notice in enumerate(out.notices, 1):
        for name in source.required_fields:
            if not notice.get(name):
                out.missing.append((i, name))
    out.problems = list(spider.tw_problems)
    return out


def read_file(path: Path) -> bytes:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    return path.read_bytes()
