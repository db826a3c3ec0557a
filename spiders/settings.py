"""Scrapy settings for every Tenderwatch crawl, derived from ``settings.yaml``.

Each override says what Scrapy's default is and why we differ.
"""

from __future__ import annotations

from typing import Any

from tenderwatch import __version__
from tenderwatch.config import Config


def scrapy_settings(config: Config, *, url_rewrite: dict[str, str] | None = None,
                    http_cache_dir: str | None = None) -> dict[str, Any]:
    crawl = config.settings.crawl
    return {
        "BOT_NAME": "tenderwatch",
        # default True: Scrapy re-parses each generator callback's source with `ast` to warn of a `return`
        # with a value; on CPython 3.11 that parse is not thread-safe ("AST constructor recursion depth
        # mismatch", seen once failing a callback at load 7), and our callbacks are tested, not linted at run time
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # default "Scrapy/x (+https://scrapy.org)": site owners must know who we are and how to reach us
        "USER_AGENT": f"Tenderwatch/{__version__} (+mailto:{crawl.contact})",
        "ROBOTSTXT_OBEY": True,  # default False in a bare project
        "AUTOTHROTTLE_ENABLED": True,  # default False
        "AUTOTHROTTLE_START_DELAY": max(crawl.politeness_floor_seconds, 1.0),
        "DOWNLOAD_DELAY": crawl.politeness_floor_seconds,  # default 0: the per-domain floor
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,  # default 8
        "DOWNLOAD_MAXSIZE": crawl.download_maxsize_bytes,  # default 1 GiB
        "DOWNLOAD_WARNSIZE": crawl.download_maxsize_bytes // 2,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout_seconds,  # default 180
        "DNS_TIMEOUT": 20,  # default 60: a resolver that has not answered in 20 s will not; the source fails sooner
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 3,  # default 2
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        # Scrapy retries at once; ours waits (Retry-After, else exponential backoff with jitter)
        "TENDERWATCH_RETRY_BASE_DELAY": max(crawl.politeness_floor_seconds, 1.0),
        "TENDERWATCH_RETRY_MAX_DELAY": 300,
        "REDIRECT_MAX_TIMES": 10,  # default 20: a loop is reported sooner
        "COOKIES_ENABLED": False,  # listings need none; avoids session-bound pages
        "TELNETCONSOLE_ENABLED": False,  # default True: never open a port we do not need
        "LOG_LEVEL": "INFO",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "HTTPCACHE_ENABLED": http_cache_dir is not None,
        "HTTPCACHE_DIR": http_cache_dir or "httpcache",
        "HTTPCACHE_POLICY": "spiders.middlewares.RevalidatingPolicy",  # RFC2616 + revalidates no-cache pages
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "HTTPCACHE_ALWAYS_STORE": True,  # keep validators even for pages sent with no-cache
        "TENDERWATCH_URL_REWRITE": url_rewrite or {},
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "spiders.middlewares.BackoffRetryMiddleware": 550,
            "spiders.middlewares.UrlRewriteMiddleware": 950,
        },
        "ITEM_PIPELINES": {
            "spiders.pipelines.StorePipeline": 300,
        },
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        # default RequestFingerprinter: requests rewritten to loopback keep their real URL's cache key
        "REQUEST_FINGERPRINTER_CLASS": "spiders.middlewares.RewriteAwareFingerprinter",
    }
