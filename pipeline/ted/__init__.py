"""TED (Tenders Electronic Daily): safe XML parsing, eForms and legacy TED XML parsers, importer.

``parse_notice(data)`` turns the bytes of one TED notice, in either format, into a
``NoticeRecord``; it is pure (no database, no Scrapy) so the spider, the importer and the bench
share it. Bad or hostile input raises ``TedParseError`` naming what is wrong.

The parsers are imported when one of these names is first used, not with the package: every
``Ingestor`` imports ``pipeline.ted.buyers`` (a JSON lines import or a crawl of an organisation's
site reads no TED XML), and the parsers bring lxml, pycountry and both formats' tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.ted.parse import TedParseError, parse_notice, parse_tree

__all__ = ["TedParseError", "parse_notice", "parse_tree"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.ted import parse

        return getattr(parse, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
