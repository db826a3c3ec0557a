"""Each spider kind's options model, named: what ``config check`` validates a source's options with.

Only pydantic models are named here (no Scrapy, no spider class), so loading configuration stays
light and never reaches the spiders themselves; ``spiders.registry`` names each kind's spider class.
A new kind is one line here, one in ``spiders.registry`` and its module.
"""

from __future__ import annotations

import importlib
from typing import Any

from pydantic import BaseModel

KIND_OPTIONS: dict[str, str] = {
    # kind: "module:OptionsModel"
    "html_table": "spiders.kinds.options:HtmlTableOptions",
    "html_list": "spiders.kinds.options:HtmlListOptions",
    "feed": "spiders.kinds.options:FeedOptions",
    "json": "spiders.kinds.options:JsonOptions",
    "document": "spiders.kinds.options:DocumentOptions",
    "ted": "pipeline.ted.api:TedOptions",
}


def load_named(path: str) -> Any:
    """The object a ``"module:name"`` path names, importing its module."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def options_model(kind: str) -> type[BaseModel]:
    return load_named(KIND_OPTIONS[kind])
