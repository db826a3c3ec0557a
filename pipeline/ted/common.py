"""Helpers the two TED formats share: text, money, dates with offsets, and the record they build."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from lxml import etree

from pipeline.cleaning import CONTROL_CHARACTERS, clean_text
from pipeline.records import MAX_TITLE, AwardRecord, LotRecord, Money, NoticeRecord
from pipeline.ted import codelists

SOURCE = "ted"
"""Every TED record, imported or crawled by any TED query, is one sighting source: a notice found by
two saved queries (or imported and then crawled) is one notice, keyed by its publication number."""

NOTICE_URL = "https://ted.europa.eu/en/notice/{}/html"
_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
_CPV = re.compile(r"^(\d{8})")
_CONTROL_AND_C1 = re.compile(CONTROL_CHARACTERS.pattern[:-1] + r"\x80-\x9f]")
"""``clean_text``'s characters and the C1 controls (mis-decoded Windows-1252 in some notices), in one pass."""


class TedParseError(ValueError):
    """The document is XML but not a TED notice we can read; the message says where and why."""


def text_of(el: etree._Element | None) -> str | None:
    """All text under an element (``<P>`` paragraphs joined), cleaned of control characters."""
    if el is None:
        return None
    if len(el):  # children (or comments): their texts and tails, joined
        return clean_text(" ".join(el.itertext()), drop=_CONTROL_AND_C1)
    return clean_text(el.text or "", drop=_CONTROL_AND_C1)  # a leaf: itertext would yield its text alone


def children(el: etree._Element | None, wanted: frozenset[str]) -> dict[str, list[etree._Element]]:
    """One pass over an element's children: the ``wanted`` ones (Clark tags), by tag, in document order.

    The parsers read every element they need this way, once per parent, instead of one path look-up per
    field (each look-up walks the children again and builds lxml's tag matcher anew)."""
    out: dict[str, list[etree._Element]] = {}
    if el is None:
        return out
    for child in el:
        tag = child.tag
        if tag in wanted:
            found = out.get(tag)
            if found is None:
                out[tag] = [child]
            else:
                found.append(child)
    return out


def first(found: dict[str, list[etree._Element]], tag: str) -> etree._Element | None:
    """The first child of that tag ``children`` found, or None."""
    items = found.get(tag)
    return items[0] if items else None


def leaf_text(el: etree._Element | None) -> str | None:
    """An element's own text, stripped; None when absent or blank (codes, dates, identifiers)."""
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def first_on_path(el: etree._Element, steps: tuple[str, ...], i: int = 0) -> etree._Element | None:
    """``el.find('A/B/C')`` for child steps given as Clark tags: the same element (the first in document
    order), found by comparing the children's tags, without ElementPath's per-call parsing and selectors
    (nor ``iterchildren``'s tag matcher, built anew per call: dearer than the comparisons on the few children
    of the elements on such a path)."""
    tag = steps[i]
    last = i == len(steps) - 1
    for child in el:
        if child.tag == tag:
            if last:
                return child
            found = first_on_path(child, steps, i + 1)
            if found is not None:
                return found
    return None


def iter_on_path(el: etree._Element, steps: tuple[str, ...], i: int = 0) -> Iterator[etree._Element]:
    """``el.iterfind('A/B/C')`` for child steps given as Clark tags: the same elements in the same order."""
    if i == len(steps) - 1:
        yield from el.iterchildren(steps[i])
        return
    for child in el.iterchildren(steps[i]):
        yield from iter_on_path(child, steps, i + 1)


def money(amount: str | None, currency: str | None) -> Money | None:
    """A Money from TED's decimal text and currency attribute; None when either is missing or bad."""
    cur = codelists.currency(currency)
    if not amount or cur is None:
        return None
    try:
        value = Decimal(amount.strip().replace(" ", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e16"):
        return None
    return Money(amount=value, currency=cur)


def cpv(code: str | None) -> str | None:
    m = _CPV.match(code.strip()) if code else None
    return m.group(1) if m else None


def split_offset(text: str) -> tuple[str, tzinfo | None]:
    """``2019-11-15+01:00`` -> (``2019-11-15``, UTC+1); no offset -> (text, None).

    The offset at the very end, as eForms writes it, is read by looking at the last characters; anything
    else goes through ``_OFFSET`` (whose ``$`` also matches before a final line break)."""
    if text[-1:] == "Z":
        return text[:-1], UTC
    raw = text[-6:]
    if len(raw) == 6 and raw[0] in "+-" and raw[3] == ":" and raw[1:3].isdecimal() and raw[4:].isdecimal():
        return text[:-6], _fixed_offset(raw)
    m = _OFFSET.search(text)
    if not m:
        return text, None
    raw = m.group(1)
    body = text[: m.start()]
    if raw == "Z":
        return body, UTC
    return body, _fixed_offset(raw)


@lru_cache(maxsize=256)
def _fixed_offset(raw: str) -> timezone:
    """``+01:00`` -> UTC+1, made once per offset (a day's notices share a few)."""
    sign = 1 if raw[0] == "+" else -1
    hours, minutes = int(raw[1:3]), int(raw[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))



@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, kept: ``ZoneInfo`` holds only 8 zones strongly, so reading notices of many countries
    read the zone files from disk again and again (a quarter of a legacy notice's extraction)."""
    return ZoneInfo(name)


def eforms_datetime(date_text: str | None, time_text: str | None = None, *, end_of_day: bool = False,
                    fallback_tz: str = "UTC") -> datetime | None:
    """eForms dates carry their offset (``2019-11-15+01:00``, time ``12:00:00+01:00``); keep it."""
    return _eforms(date_text, time_text, end_of_day, fallback_tz)[0]


def eforms_deadline(date_text: str | None, time_text: str | None, fallback_tz: str) -> Deadline:
    """An eForms deadline: with its time, or the end of the day and the day itself when it gives none."""
    value, timed = _eforms(date_text, time_text, True, fallback_tz)
    return Deadline(value, value.date() if value is not None and not timed else None)


_KEPT_DATE_TEXT = 40
"""Longer date or time texts (no real one is) are read every time, not kept."""


def _eforms(date_text: str | None, time_text: str | None, end_of_day: bool,
            fallback_tz: str) -> tuple[datetime | None, bool]:
    """(the moment, whether a time was given), kept for texts of real length: a day's notices share a few
    dates and times, and an aware ``datetime`` cannot change."""
    if len(date_text or "") > _KEPT_DATE_TEXT or len(time_text or "") > _KEPT_DATE_TEXT:
        return _read_eforms(date_text, time_text, end_of_day, fallback_tz)
    return _kept_eforms(date_text, time_text, end_of_day, fallback_tz)


def _read_eforms(date_text: str | None, time_text: str | None, end_of_day: bool,
                 fallback_tz: str) -> tuple[datetime | None, bool]:
    if not date_text:
        return None, False
    day_text, day_tz = split_offset(date_text.strip())
    try:
        day = date.fromisoformat(day_text[:10])
    except ValueError:
        return None, False
    tz = day_tz
    at = time(23, 59) if end_of_day else time(0, 0)
    timed = False
    if time_text:
        t_text, t_tz = split_offset(time_text.strip())
        try:  # noqa: SIM105 - not contextlib.suppress: a context manager made for every date read
            at, timed = time.fromisoformat(t_text[:8]), True
        except ValueError:
            pass
        tz = t_tz or tz
    return datetime.combine(day, at, tzinfo=tz or zone(fallback_tz)), timed


_kept_eforms = lru_cache(maxsize=4096)(_read_eforms)


def local_datetime(date_text: str | None, time_text: str | None, tz_name: str, *,
                   end_of_day: bool = False) -> datetime | None:
    """Legacy TED dates are local time without offset (``2021-03-10`` + ``16:00``): read them in ``tz_name``."""
    return _local(date_text, time_text, tz_name, end_of_day)[0]


def local_deadline(date_text: str | None, time_text: str | None, tz_name: str) -> Deadline:
    """A legacy deadline: with its time, or the end of the day and the day itself when it gives none."""
    value, timed = _local(date_text, time_text, tz_name, True)
    return Deadline(value, value.date() if value is not None and not timed else None)


def _local(date_text: str | None, time_text: str | None, tz_name: str,
           end_of_day: bool) -> tuple[datetime | None, bool]:
    """(the moment, whether a time was given)."""
    if not date_text:
        return None, False
    text = date_text.strip()
    try:
        day = date.fromisoformat(text) if "-" in text else datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        return None, False
    at = time(23, 59) if end_of_day else time(0, 0)
    timed = False
    if time_text:
        m = re.match(r"^\s*(\d{1,2})[:.h](\d{2})", time_text)
        if m and int(m[1]) < 24 and int(m[2]) < 60:
            at, timed = time(int(m[1]), int(m[2])), True
    return datetime.combine(day, at, tzinfo=zone(tz_name)), timed


class Deadline(NamedTuple):
    """A deadline read from a notice: the moment, and its day when the notice gave no time (date only)."""

    at: datetime | None
    day: date | None = None


@dataclass
class Extracted:
    """What a format parser found, before it becomes a ``NoticeRecord`` (one builder for both formats)."""

    format: str
    publication_number: str | None
    notice_id: str | None
    notice_type: str
    type_code: str | None
    title: str | None
    description: str | None = None
    reference: str | None = None
    buyer_name: str | None = None
    buyer_country: str | None = None
    buyer_identifier: str | None = None
    published_at: datetime | None = None
    deadline_at: datetime | None = None
    deadline_date: date | None = None
    """Set when the notice gave the deadline as a date only."""
    cpv_codes: list[str] = field(default_factory=list)
    value: Money | None = None
    value_note: str | None = None
    languages: list[str] = field(default_factory=list)
    lots: list[LotRecord] = field(default_factory=list)
    awards: list[AwardRecord] = field(default_factory=list)
    previous_notice: str | None = None
    procedure_id: str | None = None
    url: str | None = None
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def build_record(ex: Extracted, *, now: datetime | None = None) -> NoticeRecord:
    """One place where a TED extraction becomes a record: identity, status, raw and extras."""
    now = now or datetime.now(UTC)
    title = clean_text(ex.title, MAX_TITLE)
    if not title:
        ident = ex.publication_number or ex.notice_id
        raise TedParseError(f"{ex.format} notice {ident}: no title" if ident
                            else f"{ex.format} notice without a title, publication number or notice identifier")
    if ex.publication_number:
        external_id = ex.publication_number
    elif ex.notice_id:
        external_id = f"notice:{ex.notice_id}"
    else:
        raise TedParseError(f"{ex.format} notice: neither a publication number nor a notice identifier")
    status = "open"
    if ex.notice_type == "contract_award":
        status = "awarded"
    elif ex.deadline_at is not None and ex.deadline_at < now:
        status = "closed"
    url = ex.url or (NOTICE_URL.format(ex.publication_number) if ex.publication_number else None)
    extra: dict[str, Any] = {"ted_publication_number": ex.publication_number, "ted_notice_id": ex.notice_id,
                             "ted_format": ex.format, "ted_type_code": ex.type_code}
    if ex.procedure_id:
        extra["ted_procedure_id"] = ex.procedure_id
    if ex.buyer_identifier:
        extra["buyer_identifier"] = ex.buyer_identifier
    if ex.deadline_at is not None:
        extra["deadline_local"] = ex.deadline_at.isoformat()
    extra.update(ex.extra)
    cpvs = _unique(ex.cpv_codes + [c for lot in ex.lots for c in lot.cpv_codes])
    raw = {
        "format": ex.format,
        "type_code": ex.type_code,
        "publication_number": ex.publication_number,
        "notice_id": ex.notice_id,
        "title": title,
        "reference": ex.reference,
        "buyer": {"name": ex.buyer_name, "country": ex.buyer_country, "identifier": ex.buyer_identifier},
        "published": ex.published_at.isoformat() if ex.published_at else None,
        "deadline": ex.deadline_at.isoformat() if ex.deadline_at else None,
        "cpv": cpvs,
        "value": ex.value.export() if ex.value else None,
        "languages": ex.languages,
        "lots": len(ex.lots),
        "winners": len(ex.awards),
        "previous_notice": ex.previous_notice,
    }
    return NoticeRecord(
        source=SOURCE,
        external_id=external_id,
        # eForms change notices cite the notice they change by its identifier-version, not its number
        alias_id=ex.notice_id if ex.format == "eforms" else None,
        reference=clean_text(ex.reference, 200),
        notice_type=ex.notice_type,  # type: ignore[arg-type]
        title=title,
        description=clean_text(ex.description),
        url=url,
        published_at=ex.published_at,
        deadline_at=ex.deadline_at,
        deadline_date=ex.deadline_date,
        cpv_codes=cpvs,
        estimated_value=ex.value,
        value_note=ex.value_note,
        buyer_name=clean_text(ex.buyer_name, 500),
        buyer_country=ex.buyer_country,
        eligible_countries=None,  # EU procurement law: open to economic operators of every GPA/EEA country
        languages=_unique(ex.languages),
        status=status,
        lots=ex.lots,
        awards=ex.awards,
        previous_notice=ex.previous_notice,
        extra=extra,
        warnings=ex.warnings,
        raw=raw,
        # given rather than defaulted: pydantic deep-copies a mutable default for every record (about 0.7 us each)
        sources=[],
        changes=[],
    )
