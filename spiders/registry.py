"""Spider kinds: name -> spider class, imported lazily; each kind's options model is named in
``spiders.kind_options`` (which configuration loads without reaching the spiders).

A new kind is one line here, one in ``spiders.kind_options`` and its module.
"""

from __future__ import annotations

from typing import Any

from spiders.kind_options import load_named, options_model

SPIDERS: dict[str, str] = {
    # kind: "module:SpiderClass"
    "html_table": "spiders.kinds.html_table:HtmlTableSpider",
    "html_list": "spiders.kinds.html_list:HtmlListSpider",
    "feed": "spiders.kinds.feed:FeedSpider",
    "json": "spiders.kinds.json_api:JsonSpider",
    "document": "spiders.kinds.document:DocumentSpider",
    "ted": "spiders.kinds.ted:TedSpider",
}


def spider_class(kind: str) -> type:
    return load_named(SPIDERS[kind])


def first_urls(source: Any) -> list[str]:
    """The first page of each start URL of a source (``{take}``/``{skip}`` or a page parameter filled in)."""
    options = options_model(source.kind).model_validate(source.options)
    first_url = getattr(options, "first_url", None)
    return [first_url(u) if first_url else u for u in source.start_urls]
