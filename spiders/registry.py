"""Spider kinds: name -> (options model, spider class), imported lazily.

The option models must not import Scrapy, so that ``config check`` stays light. A new kind is one
line here plus its module.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

KINDS: dict[str, tuple[str, str]] = {
    # kind: ("module:OptionsModel", "module:SpiderClass")
    "html_table": ("spiders.kinds.options:HtmlTableOptions", "spiders.kinds.html_table:HtmlTableSpider"),
    "html_list": ("spiders.kinds.options:HtmlListOptions", "spiders.kinds.html_list:HtmlListSpider"),
    "feed": ("spiders.kinds.options:FeedOptions", "spiders.kinds.feed:FeedSpider"),
    "json": ("spiders.kinds.options:JsonOptions", "spiders.kinds.json_api:JsonSpider"),
    "document": ("spiders.kinds.options:DocumentOptions", "spiders.kinds.document:DocumentSpider"),
    "ted": ("pipeline.ted.api:TedOptions", "spiders.kinds.ted:TedSpider"),
}


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def options_model(kind: str) -> type[BaseModel]:
    return _load(KINDS[kind][0])


def spider_class(kind: str) -> type:
    return _load(KINDS[kind][1])


def first_urls(source: Any) -> list[str]:
    """The first page of each start URL of a source (``{take}``/``{skip}`` or a page parameter filled in)."""
    options = options_model(source.kind).model_validate(source.options)
    first_url = getattr(options, "first_url", None)
    return [first_url(u) if first_url else u for u in source.start_urls]
