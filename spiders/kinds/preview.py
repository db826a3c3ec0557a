"""Run one source's spider on one page, outside a crawl: what ``tenderwatch sources test`` and
``tenderwatch sources check`` show.

The page comes from a file or one fetch; the spider's own ``parse`` runs on it, so what is shown
is exactly what a crawl would extract from that page. Follow-up requests (next page, detail
pages, linked documents) are listed, not fetched: the tool examines one page at a time.

``check_source`` fetches a source's first page live, as its spider would ask for it (method,
body, headers), once and politely (robots.txt, a pause per host, size and time limits), and when
nothing is extracted describes what came back (``PageFacts``: an application shell, a page whose
selectors drifted, a JSON answer with other keys), so the YAML can be corrected with ``sources test``.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import socket
import time
import urllib.error
import urllib.request
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector
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
    unmapped: list[str] = field(default_factory=list)
    """Type labels or codes the source's ``notice_types`` table does not map."""

    def missing_counts(self) -> dict[str, int]:
        """Required field -> how many notices lack it."""
        counts: dict[str, int] = {}
        for _, name in self.missing:
            counts[name] = counts.get(name, 0) + 1
        return counts


@dataclass
class Fetched:
    url: str
    status: int
    body: bytes
    content_type: str


def fetch_request(request: Request | str, config: Config, max_bytes: int, *, errors_too: bool = False) -> Fetched:
    """One request as a spider would send it (method, body, headers) with Tenderwatch's User-Agent.

    Raises ValueError (not http(s), larger than the download limit), ``urllib.error.URLError`` (not
    reachable) or ``TimeoutError``; an HTTP error status raises ``HTTPError`` unless ``errors_too``.
    """
    if not isinstance(request, Request) or not request.url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {getattr(request, 'url', request)!r}")
    headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in request.headers.items()}
    headers["User-Agent"] = scrapy_settings(config)["USER_AGENT"]
    req = urllib.request.Request(request.url, data=request.body or None, headers=headers,  # noqa: S310 - http(s)
                                 method=request.method)
    try:
        with urllib.request.urlopen(req, timeout=config.settings.crawl.download_timeout_seconds) as answer:  # noqa: S310
            status, body, ctype = answer.status, answer.read(max_bytes + 1), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if not errors_too:
            raise
        status, body, ctype = exc.code, exc.read(max_bytes + 1), exc.headers.get("Content-Type", "")
    if len(body) > max_bytes:
        raise ValueError(f"{request.url}: larger than the download limit of {max_bytes} bytes")
    return Fetched(request.url, status, body, ctype)


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
    out.unmapped = sorted(spider.tw_unmapped)
    return out


def read_file(path: Path) -> bytes:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    return path.read_bytes()


# --------------------------------------------------------------------------- what a page is

_SHELL_ROOTS = ("//app-root", "//*[@ng-version]", "//*[@id='root']", "//*[@id='app']", "//*[@id='__next']",
                "//*[@id='__nuxt']")
_VISIBLE_TEXT = "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"


@dataclass
class PageFacts:
    """What came back, for an administrator whose selectors or paths extract nothing."""

    size: int
    content_type: str
    form: str
    """html, json, xml, pdf or other."""
    title: str | None = None
    text_chars: int = 0
    scripts: int = 0
    app_shell: bool = False
    json_keys: list[str] | None = None
    json_list: int | None = None

    def describe(self) -> str:
        size = f"{self.size / 1024:.1f} KB" if self.size >= 1024 else f"{self.size} bytes"
        if self.form == "json":
            if self.json_list is not None:
                return f"JSON, {size}: a list of {self.json_list} item(s) at the top level"
            return f"JSON, {size}, top-level keys: {', '.join(self.json_keys or []) or '(none)'}"
        if self.form != "html":
            return f"{self.form.upper() if self.form != 'other' else self.content_type or 'unknown type'}, {size}"
        parts = [f"HTML, {size}", f"title {self.title!r}" if self.title else "no title",
                 f"{self.text_chars} characters of text", f"{self.scripts} script(s)"]
        if self.app_shell:
            parts.append("looks like a JavaScript application shell: its data is loaded by script from an API "
                         "(find it in the browser's network tab and use the json kind)")
        return "; ".join(parts)


def page_facts(body: bytes, content_type: str = "") -> PageFacts:
    """HTML size, title, visible text, scripts and the application-shell look; JSON top-level keys."""
    ctype = content_type.split(";", maxsplit=1)[0].strip().lower()
    head = body.lstrip()[:1]
    facts = PageFacts(size=len(body), content_type=ctype, form="other")
    if "json" in ctype or head in (b"{", b"["):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            facts.form, facts.json_keys = "json", [str(k)[:60] for k in list(data)[:20]]
            return facts
        if isinstance(data, list):
            facts.form, facts.json_list = "json", len(data)
            return facts
    if ctype == "application/pdf" or body[:5] == b"%PDF-":
        facts.form = "pdf"
        return facts
    if "xml" in ctype and "html" not in ctype:
        facts.form = "xml"
        return facts
    if "html" in ctype or head == b"<":
        sel = Selector(text=body.decode("utf-8", errors="replace"))
        facts.form = "html"
        title = " ".join(" ".join(sel.xpath("//title//text()").getall()).split())
        facts.title = title[:120] or None
        facts.text_chars = len(" ".join(" ".join(sel.xpath(_VISIBLE_TEXT).getall()).split()))
        facts.scripts = len(sel.xpath("//script"))
        rooted = any(sel.xpath(x) for x in _SHELL_ROOTS)
        facts.app_shell = facts.scripts > 0 and facts.text_chars < 300 and (rooted or facts.text_chars < 80)
    return facts


# --------------------------------------------------------------------------- sources check


@dataclass
class Check:
    """One start URL of one source, fetched live once."""

    source: str
    url: str
    reachable: bool = False
    status: int | None = None
    error: str | None = None
    result: Preview | None = None
    facts: PageFacts | None = None

    @property
    def ok(self) -> bool:
        r = self.result
        return self.reachable and self.status == 200 and r is not None and bool(r.notices) and not r.missing \
            and not r.problems


class Politeness:
    """One check run's manners: robots.txt read once per host, a pause between two requests to one host."""

    def __init__(self, config: Config, pause: float | None = None) -> None:
        self.config = config
        self.pause = config.settings.crawl.politeness_floor_seconds if pause is None else pause
        self.last: dict[str, float] = {}
        self.robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.agent = scrapy_settings(config)["USER_AGENT"]

    def wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        if host in self.last:
            time.sleep(max(0.0, self.last[host] + self.pause - time.monotonic()))
        self.last[host] = time.monotonic()

    def allowed(self, url: str) -> bool:
        """What robots.txt says (an unreadable or missing robots.txt allows, as for the crawl)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self.robots:
            self.wait(url)
            parser: urllib.robotparser.RobotFileParser | None = None
            try:
                got = fetch_request(Request(key + "/robots.txt"), self.config, 512 * 1024, errors_too=True)
                if got.status == 200:
                    parser = urllib.robotparser.RobotFileParser()
                    parser.parse(got.body.decode("utf-8", errors="replace").splitlines())
            except (OSError, ValueError):
                parser = None
            self.robots[key] = parser
        parser = self.robots[key]
        return parser is None or parser.can_fetch(self.agent, url)


def first_requests(source: SourceConfig, config: Config, engine: Engine) -> list[Request]:
    """The requests a crawl of ``source`` starts with (first page of each start URL, with method and body)."""
    from scrapy.utils.test import get_crawler

    cls = spider_class(source.kind)
    crawler = get_crawler(cls, {"LOG_LEVEL": "ERROR"})
    spider = cls.from_crawler(crawler, tw_source=source, tw_config=config, tw_engine=engine)
    crawler.spider = spider

    async def collect() -> list[Request]:
        return [r async for r in spider.start() if isinstance(r, Request)]

    # a loop of its own in a worker thread: the caller may already run one (a reactor, a test runner)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, collect()).result()


def unreachable_reason(exc: BaseException, timeout: int) -> str:
    """One line for a failed fetch: refused, unknown host, timed out, TLS..."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout} s"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    text = re.sub(r"\s+", " ", str(reason)).strip()
    return text[:200] or type(reason).__name__


def check_source(source: SourceConfig, config: Config, engine: Engine, manners: Politeness) -> list[Check]:
    """Fetch each first page of ``source`` live, once, and run the source's spider on it."""
    limit = config.settings.crawl.download_maxsize_bytes
    checks = []
    for request in first_requests(source, config, engine):
        check = Check(source=source.name, url=request.url)
        checks.append(check)
        if not manners.allowed(request.url):
            check.error = "robots.txt refuses this page to Tenderwatch: a crawl would not fetch it"
            continue
        manners.wait(request.url)
        try:
            got = fetch_request(request, config, limit, errors_too=True)
        except (OSError, ValueError) as exc:
            check.error = unreachable_reason(exc, config.settings.crawl.download_timeout_seconds)
            continue
        check.reachable, check.status = True, got.status
        check.result = preview(source, config, engine, request.url, got.body, got.content_type)
        if not check.result.notices or got.status != 200:
            check.facts = page_facts(got.body, got.content_type)
    return checks
