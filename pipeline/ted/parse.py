"""Dispatch one TED notice to its format's parser: bytes -> safe XML tree -> ``NoticeRecord``."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from pipeline.records import NoticeRecord
from pipeline.ted.common import TedParseError, build_record
from pipeline.ted.eforms import is_eforms, parse_eforms
from pipeline.ted.legacy import is_legacy, parse_legacy
from pipeline.ted.safexml import parse_bytes

__all__ = ["TedParseError", "parse_notice", "parse_tree"]


def parse_tree(tree: etree._ElementTree | etree._Element, where: str = "<notice>", *,
               now: datetime | None = None) -> NoticeRecord:
    """A parsed (already safe) TED document -> record; raises TedParseError for other XML."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    if is_eforms(root):
        extracted = parse_eforms(root, where)
    elif is_legacy(root):
        extracted = parse_legacy(root, where)
    else:
        tag = etree.QName(root).localname if isinstance(root.tag, str) else str(root.tag)
        raise TedParseError(f"{where}: not a TED notice (root element <{tag}>, expected eForms UBL or TED_EXPORT)")
    try:
        return build_record(extracted, now=now)
    except TedParseError as exc:
        raise TedParseError(f"{where}: {exc}") from None


def parse_notice(data: bytes, where: str = "<notice>", *, now: datetime | None = None) -> NoticeRecord:
    """Bytes of one notice (eForms or legacy TED XML) -> record. Raises ValueError subclasses, never others."""
    return parse_tree(parse_bytes(data, where), where, now=now)
