"""TED (Tenders Electronic Daily): safe XML parsing, eForms and legacy TED XML parsers, importer.

``parse_notice(data)`` turns the bytes of one TED notice, in either format, into a
``NoticeRecord``; it is pure (no database, no Scrapy) so the spider, the importer and the bench
share it. Bad or hostile input raises ``TedParseError`` naming what is wrong.
"""

from pipeline.ted.parse import TedParseError, parse_notice, parse_tree

__all__ = ["TedParseError", "parse_notice", "parse_tree"]
