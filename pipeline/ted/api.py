"""The TED Search API v3, without Scrapy: options of the ``ted`` source kind, the expert query
built from them, request bodies, and reading the answers.

Facts used (``../shared/SOURCES.md`` section 11, docs.ted.europa.eu): ``POST
https://api.ted.europa.eu/v3/notices/search`` with a JSON body (``query``, ``fields``, ``limit``,
``scope``, ``checkQuerySyntax``, ``paginationMode``, ``iterationNextToken``), no API key for
published notices; iteration mode pages without limit by a token (null on the last page); at most
250 notices per page; ``fields`` must be non-empty and every name must exist or the whole request
fails. Each hit has ``publication-number`` and ``links`` (format -> language -> URL), from which
the notice's XML is fetched and parsed by ``pipeline.ted``. Buyers are named by official name or
identifier, never by acronym ("ESS ERIC" is also the European Social Survey).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.ted import codelists

SEARCH_URL = "https://api.ted.europa.eu/v3/notices/search"
MAX_PAGE_SIZE = 250
"""The API refuses pages of more than 250 notices."""
MAX_FIELDS = 10_000
"""... and pages of more than 10,000 fields (notices x fields)."""
DEFAULT_FIELDS = ["publication-number", "notice-type", "publication-date", "buyer-name", "links"]
XML_URL = "https://ted.europa.eu/en/notice/{}/xml"
_PHRASE = re.compile(r'^[^"\\\n]{1,300}$')


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TedQuery(Strict):
    """One saved interest. Filters of one kind are OR-ed; the kinds are AND-ed."""

    buyers: list[str] = []
    """Official buyer names as TED writes them (``buyer-name``)."""
    buyer_ids: list[str] = []
    """Buyer identifiers (``buyer-identifier``: national registration numbers)."""
    cpv: list[str] = []
    """CPV codes of interest (``classification-cpv``), e.g. 31643000 particle accelerators."""
    countries: list[str] = []
    """Buyer countries, ISO alpha-2 (sent to the API as alpha-3)."""
    notice_types: list[str] = []
    """eForms notice-type codes (``cn-standard``, ``can-standard``, ``pin-only``...)."""

    @field_validator("buyers", "buyer_ids")
    @classmethod
    def _phrases(cls, v: list[str]) -> list[str]:
        for name in v:
            if not _PHRASE.match(name):
                raise ValueError(f"{name!r}: a buyer must be 1-300 characters without quotes or backslashes")
        return v

    @field_validator("cpv")
    @classmethod
    def _cpv(cls, v: list[str]) -> list[str]:
        for code in v:
            if not re.fullmatch(r"\d{8}", code):
                raise ValueError(f"CPV code {code!r} must be 8 digits (e.g. 31643000)")
        return v

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        out = []
        for code in v:
            alpha2 = codelists.country_alpha2(code)
            if alpha2 is None:
                raise ValueError(f"unknown country {code!r} (use ISO 3166 alpha-2, e.g. SE)")
            out.append(alpha2)
        return out

    @field_validator("notice_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        for code in v:
            if code not in codelists.EFORMS_NOTICE_TYPES:
                raise ValueError(f"unknown eForms notice type {code!r} (known: "
                                 f"{', '.join(sorted(codelists.EFORMS_NOTICE_TYPES))})")
        return v

    def has_filter(self) -> bool:
        return bool(self.buyers or self.buyer_ids or self.cpv or self.countries or self.notice_types)


class TedOptions(Strict):
    """Options of a ``ted`` source (``config/sources.yaml``)."""

    api_url: str = SEARCH_URL
    query: TedQuery
    fields: list[str] = Field(default_factory=lambda: list(DEFAULT_FIELDS), min_length=1)
    page_size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)
    scope: Literal["ALL", "ACTIVE", "LATEST"] = "ALL"
    first_window_days: int = Field(default=30, ge=1, le=3660)
    """How far back the first run looks; later runs start where the previous one ended."""
    overlap_days: int = Field(default=1, ge=0, le=30)
    """Days re-read before the remembered end (late publications of one OJ S issue)."""
    max_pages: int = Field(default=400, ge=1)
    retries: int = Field(default=5, ge=0, le=20)
    backoff_seconds: float = Field(default=5.0, ge=0)
    """First wait after a 429/5xx, doubled per attempt unless the answer says Retry-After."""
    max_backoff_seconds: float = Field(default=300.0, ge=0)

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
                raise ValueError(f"bad TED field name {name!r}")
        if "publication-number" not in v or "links" not in v:
            raise ValueError("fields must include 'publication-number' and 'links'")
        return v

    def model_post_init(self, context: Any) -> None:
        if not self.query.has_filter():
            raise ValueError("query: give at least one of buyers, buyer_ids, cpv, countries, notice_types")
        if self.page_size * len(self.fields) > MAX_FIELDS:
            raise ValueError(f"page_size x fields = {self.page_size * len(self.fields)} is over the API's "
                             f"{MAX_FIELDS} fields per page")


def _any_of(field: str, values: list[str], quote: bool) -> str:
    terms = [f'{field} = "{v}"' if quote else f"{field} = {v}" for v in values]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def build_query(query: TedQuery, since: date, until: date) -> str:
    """The expert query: the interest's filters AND the publication-date window, oldest first."""
    clauses = []
    buyer_terms = []
    if query.buyers:
        buyer_terms.append(_any_of("buyer-name", query.buyers, quote=True))
    if query.buyer_ids:
        buyer_terms.append(_any_of("buyer-identifier", query.buyer_ids, quote=True))
    if buyer_terms:
        clauses.append(buyer_terms[0] if len(buyer_terms) == 1 else "(" + " OR ".join(buyer_terms) + ")")
    if query.cpv:
        clauses.append(_any_of("classification-cpv", query.cpv, quote=False))
    if query.countries:
        alpha3 = [_alpha3(c) for c in query.countries]
        clauses.append(_any_of("buyer-country", alpha3, quote=False))
    if query.notice_types:
        clauses.append(_any_of("notice-type", query.notice_types, quote=False))
    clauses.append(f"publication-date >= {since:%Y%m%d}")
    clauses.append(f"publication-date <= {until:%Y%m%d}")
    return " AND ".join(clauses) + " SORT BY publication-date ASC"


def _alpha3(alpha2: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country is not None else alpha2


def request_body(options: TedOptions, query: str, token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": query,
        "fields": list(options.fields),
        "limit": options.page_size,
        "scope": options.scope,
        "checkQuerySyntax": False,
        "paginationMode": "ITERATION",
    }
    if token:
        body["iterationNextToken"] = token
    return body


def window(state: dict[str, Any], options: TedOptions, today: date) -> tuple[date, date]:
    """The publication dates this run reads: from the remembered end (minus overlap) to today."""
    until_text = state.get("published_until")
    try:
        last = date.fromisoformat(until_text) if until_text else None
    except ValueError:
        last = None
    since = today - timedelta(days=options.first_window_days) if last is None else last - timedelta(
        days=options.overlap_days)
    return min(since, today), today


def xml_url(hit: dict[str, Any]) -> str | None:
    """The notice's XML link from a hit (any language; TED's XML holds every language version)."""
    links = hit.get("links")
    xml = links.get("xml") if isinstance(links, dict) else None
    if isinstance(xml, dict) and xml:
        for key in ("MUL", "ENG", "EN", "en"):
            if isinstance(xml.get(key), str):
                return xml[key]
        first = next(iter(xml.values()))
        if isinstance(first, str):
            return first
    if isinstance(xml, str):
        return xml
    number = codelists.publication_number(scalar(hit.get("publication-number")))
    return XML_URL.format(number) if number else None


def scalar(value: Any) -> str | None:
    """A hit's value may be a scalar, a list, or a language map of either: the first string in it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((s for s in (scalar(v) for v in value) if s), None)
    if isinstance(value, dict):
        for key in ("eng", "ENG", "en"):
            if key in value:
                return scalar(value[key])
        return next((s for s in (scalar(v) for v in value.values()) if s), None)
    if isinstance(value, int | float):
        return str(value)
    return None
