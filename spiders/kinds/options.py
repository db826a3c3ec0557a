"""Declarative options of every spider kind, validated when the config is loaded.

No Scrapy here (only lxml/parsel for selector syntax), so ``tenderwatch config check`` stays
light. Each model forbids unknown keys: a typo in ``config/sources.yaml`` is an error naming the
entry and the field, never a silently ignored setting. Selectors are compiled at load time, so a
bad CSS or XPath expression is reported by ``config check`` rather than by the first crawl.

A *field* (what goes into one ``RawNotice`` attribute, ``spiders.kinds.fields``) is written either
as a plain string or as a mapping. The plain string means, by kind: a CSS selector (``html_table``, ``html_list``; an
expression starting with ``/``, ``./`` or ``(`` is XPath), a JMESPath/dotted path (``json``,
``feed``), or a column header (``document``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator, model_validator

from spiders.kinds.fields import (
    RAW_FIELDS,
    FieldSpec,
    FieldValue,
    Strict,
    check_path,
    check_regex,
    check_selector,
    fields_check,
    labels_check,
    template_fields,
)


class ValueRange(Strict):
    """An organisation's cost-range code (CERN's letters A-D): read by ``pipeline.values.parse_value``."""

    min: Decimal | None = None
    max: Decimal | None = None
    currency: str
    label: str

    @field_validator("currency")
    @classmethod
    def _cur(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"currency {v!r} must be an ISO 4217 code such as CHF")
        return v


class CommonOptions(Strict):
    """Options every kind accepts."""

    value_ranges: dict[str, ValueRange] = {}
    """Cost-range codes -> bounds: ``{A: {max: 750000, currency: CHF, label: "< 750 kCHF"}}``."""
    currency: str | None = None
    """Currency of amounts the pages show without one."""
    organisation_aliases: dict[str, str] = {}
    """Aggregators: a row's organisation label -> organisation code, for names not in organisations.yaml."""
    listing_url_as_url: bool = False
    """Rows without a page of their own link to the listing they were read on (CERN's list has none)."""
    max_pages: int = Field(default=20, ge=1, le=1000)
    """Pagination stops after this many listing pages (a loop in a site's 'next' link cannot run away)."""

    def first_url(self, url: str) -> str:
        """The URL of the first page of a start URL (a kind with paging in the URL overrides this)."""
        return url

    def start_url_problems(self, urls: list[str]) -> list[str]:
        """What is wrong with the source's start URLs for these options (checked by ``config check``)."""
        return []

    @model_validator(mode="after")
    def _ranges_upper(self) -> CommonOptions:
        self.value_ranges = {k.strip().upper(): v for k, v in self.value_ranges.items()}
        return self

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # value_ranges must stay plain numbers for YAML/JSON
        data = super().model_dump(**kwargs)
        for spec in data.get("value_ranges", {}).values():
            for key in ("min", "max"):
                if isinstance(spec.get(key), Decimal):
                    spec[key] = str(spec[key])
        return data


class DetailOptions(Strict):
    """A detail page per row: its fields override or complete the row's."""

    url_field: str = "url"
    """The row field holding the detail page's URL."""
    fields: dict[str, FieldValue] = {}
    labels: dict[str, str] = {}
    block: str | None = None
    """Selector of the element holding the labelled lines (default: the whole body)."""
    url_template: str | None = None
    """The detail page's URL built from the row's fields when it is not a link of the row:
    ``https://www.dtvp.de/Satellite/public/company/project/{reference}/de/processdata/eforms``."""

    @field_validator("url_template")
    @classmethod
    def _template(cls, v: str | None) -> str | None:
        if v is None:
            return v
        names = template_fields(v)
        unknown = [n for n in names if n not in RAW_FIELDS]
        if unknown or not names:
            raise ValueError(f"url_template {v!r} must name row fields in braces (known: {', '.join(RAW_FIELDS)})")
        return v

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, FieldSpec]:
        return fields_check(v or {}, "selector")

    _labels = field_validator("labels")(classmethod(lambda cls, v: labels_check(v)))

    @field_validator("block")
    @classmethod
    def _block(cls, v: str | None) -> str | None:
        return None if v is None else check_selector(v)


class HtmlOptions(CommonOptions):
    """Shared by html_table and html_list: rows, fields, labelled lines, pagination, detail pages."""

    rows: str
    """Selector of one row (``table.cft tbody tr``) or card (``div.tender``)."""
    fields: dict[str, FieldValue] = {}
    labels: dict[str, str] = {}
    """Labelled lines inside each row -> fields: ``{"Closing Date": deadline, "Price Range": value}``."""
    next_page: str | None = None
    """Selector of the 'next page' link (its href); pages are followed up to ``max_pages``."""
    detail: DetailOptions | None = None
    skip_if: str | None = None
    """Regex on a row's text: matching rows are not notices (sub-headers, 'no results' lines)."""
    keep_if: str | None = None
    """Regex on a row's text: only matching rows are notices (one buyer's rows on a platform's listing)."""

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, FieldSpec]:
        return fields_check(v or {}, "selector")

    _labels = field_validator("labels")(classmethod(lambda cls, v: labels_check(v)))

    @field_validator("rows", "next_page")
    @classmethod
    def _sel(cls, v: str | None) -> str | None:
        return None if v is None else check_selector(v)

    @field_validator("skip_if", "keep_if")
    @classmethod
    def _re(cls, v: str | None) -> str | None:
        return None if v is None else check_regex(v)

    @model_validator(mode="after")
    def _something(self) -> HtmlOptions:
        if not self.fields and not self.labels and not getattr(self, "columns", None):
            raise ValueError("give 'fields', 'labels' or 'columns': otherwise no row yields anything")
        return self


class HtmlTableOptions(HtmlOptions):
    rows: str = "table tbody tr"
    columns: dict[str, str] = {}
    """Header text -> field (``{"Reference": reference, "Cost Range": value}``): survives column reordering."""
    header: str = "table thead tr th, table tr th"
    """Selector of the header cells, read when ``columns`` is used."""
    cells: str = "td"
    """Selector of a row's cells, aligned with the header cells."""

    @field_validator("columns")
    @classmethod
    def _cols(cls, v: dict[str, str]) -> dict[str, str]:
        return labels_check(v)

    @field_validator("header", "cells")
    @classmethod
    def _sel2(cls, v: str) -> str:
        return check_selector(v)


class HtmlListOptions(HtmlOptions):
    pass


class FeedOptions(CommonOptions):
    """RSS 2.0 / Atom: entries are feedparser dicts (title, link, id, summary, published, tags...)."""

    fields: dict[str, FieldValue] = {
        "title": "title",
        "url": "link",
        "description": "summary",
        "published": "published",
    }
    labels: dict[str, str] = {}
    """Labelled lines in the entry's summary (``Closing Date: ...``) -> fields."""
    detail: DetailOptions | None = None

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, FieldSpec]:
        return fields_check(v or {}, "path")

    _labels = field_validator("labels")(classmethod(lambda cls, v: labels_check(v)))


OFFSET_PLACEHOLDERS = ("{take}", "{skip}")
"""Written in a start URL (path or query) where an offset-paged API wants the page size and the offset."""


class OffsetPaging(Strict):
    """Offset paging: the start URL holds ``{skip}`` (and usually ``{take}``): ``/filter/{take}/{skip}``."""

    size: int = Field(ge=1, le=1000)
    """Items asked per page, written for ``{take}``; ``{skip}`` is 0, then the number of items received."""


class JsonOptions(CommonOptions):
    """A JSON endpoint: ``items`` selects the list, ``fields`` map paths of one item to notice fields."""

    items: str = "@"
    fields: dict[str, FieldValue]
    page_param: str | None = None
    """Query parameter holding the page number (``page``); pages go on while they return items."""
    first_page: int = 0
    next_url: str | None = None
    """Path of the next page's URL in the response (``links.next``); used instead of ``page_param``."""
    offset: OffsetPaging | None = None
    """Offset paging in the URL itself (esa-star's ``/api/tenderAction/filter/{take}/{skip}``)."""
    total: str | None = None
    """Path of the number of items of all pages (``total``): paging ends once that many have arrived."""
    method: Literal["GET", "POST"] = "GET"
    multipart: dict[str, Any] = {}
    """POST only: ``multipart/form-data`` parts, name -> text; a mapping or list is sent as a JSON part
    (``query: {bool: {must: [...]}}``, as the EU Funding & Tenders search API wants it)."""
    detail: DetailOptions | None = None
    url_template: str | None = None
    """Notice URL built from item fields when the item has none: ``https://x.org/tender/{id}``."""

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, FieldSpec]:
        return fields_check(v or {}, "path")

    @field_validator("items", "next_url", "total")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return None if v is None else check_path(v)

    @model_validator(mode="after")
    def _paging(self) -> JsonOptions:
        modes = [m for m in ("page_param", "next_url", "offset") if getattr(self, m)]
        if len(modes) > 1:
            raise ValueError(f"give one way of paging, not {' and '.join(repr(m) for m in modes)}")
        if self.multipart and self.method != "POST":
            raise ValueError("'multipart' parts are sent with method: POST")
        return self

    def first_url(self, url: str) -> str:
        if self.offset is not None:
            return offset_url(url, self.offset.size, 0)
        if self.page_param:
            return with_param(url, self.page_param, self.first_page)
        return url

    def start_url_problems(self, urls: list[str]) -> list[str]:
        problems = []
        for url in urls:
            has = [p for p in OFFSET_PLACEHOLDERS if p in url]
            if self.offset is not None and "{skip}" not in url:
                problems.append(f"start URL {url!r} has no {{skip}} for the offset paging")
            elif self.offset is None and has:
                problems.append(f"start URL {url!r} holds {' and '.join(has)} but the source has no 'offset' paging")
        return problems


def offset_url(template: str, take: int, skip: int) -> str:
    """A page of an offset-paged API: ``{take}`` and ``{skip}`` filled in (no other brace is touched)."""
    return template.replace("{take}", str(take)).replace("{skip}", str(skip))


def with_param(url: str, name: str, value: int) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (page-number paging)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class DocumentOptions(CommonOptions):
    """A PDF, XLSX or CSV list: a header row names the columns, each later row is a notice."""

    format: Literal["auto", "pdf", "xlsx", "csv"] = "auto"
    links: str | None = None
    """When the start URL is an HTML page: selector of the links to the documents to read."""
    columns: dict[str, str]
    """Header text -> field; the header row is the first row holding all of these headers' texts."""
    fields: dict[str, FieldValue] = {}
    """Extra per-row fields, e.g. ``reference: {column: Title, regex: "..."}``."""
    sheet: str | None = None
    """XLSX: the sheet to read (default: every sheet)."""
    table_strategy: Literal["lines", "text"] = "lines"
    """PDF: tables drawn with ruling lines, or aligned text only (pdfplumber strategies)."""

    _cols = field_validator("columns")(classmethod(lambda cls, v: labels_check(v)))

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, FieldSpec]:
        return fields_check(v or {}, "column")

    @field_validator("links")
    @classmethod
    def _sel(cls, v: str | None) -> str | None:
        return None if v is None else check_selector(v)
