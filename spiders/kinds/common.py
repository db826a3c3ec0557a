"""What every kind does with a row once its values are extracted.

``RowSpider`` turns a row's values into a ``RawNotice``, follows its detail page only when the row
is new or its listing data changed (incremental crawling), and reports structural problems by
name in the crawl stats (``tenderwatch/selector_empty/<field>``, ``tenderwatch/zero_rows``) and
in the crawl run, where the scheduler's health rules read them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.utils.url import url_is_from_any_domain
from sqlalchemy import func, select

from pipeline.records import MAX_TEXT
from spiders.base import ConfiguredSpider, failure_reason
from spiders.kinds import extract
from spiders.kinds.fields import URL_FIELDS, FieldSpec, template_fields
from spiders.kinds.options import DetailOptions
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeSource

MAX_VERBATIM = 100
"""At most this many verbatim fields are kept per notice (scraped pages are hostile)."""


def http_url(url: str) -> bool:
    """Only http(s) links are followed or stored: a scraped ``javascript:``, ``data:`` or ``mailto:`` link
    is hostile or useless, and one Scrapy cannot request would abort the whole page's callback."""
    try:
        return urlsplit(url.strip()).scheme.lower() in ("http", "https")
    except ValueError:
        return False


def follow(response: Any, href: str, **kwargs: Any) -> scrapy.Request:
    """``response.follow``, in UTF-8 when the page's own (guessed) encoding cannot write the link: a broken or
    hostile page must not abort the callback that found its link."""
    try:
        return response.follow(href, **kwargs)
    except UnicodeEncodeError:
        return response.follow(href, encoding="utf-8", **kwargs)


def _bound(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 2000:
        return value[:1999] + "…"
    return value


class PageTally:
    """Which configured fields and labels matched on at least one row of a page."""

    def __init__(self, wanted: list[str]) -> None:
        self.wanted = wanted
        self.hits: Counter[str] = Counter()
        self.rows = 0

    def saw(self, values: Mapping[str, Any]) -> None:
        self.rows += 1
        for name in self.wanted:
            if values.get(name) not in (None, "", []):
                self.hits[name] += 1

    def empty(self) -> list[str]:
        return [n for n in self.wanted if not self.hits[n]] if self.rows else []


class RowSpider(ConfiguredSpider):
    """Base of the row-based kinds: ``emit`` a row's values; detail pages and incremental logic follow."""

    _known: dict[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ what the database knows

    def known_records(self) -> dict[str, dict[str, Any]]:
        """External id and URL -> the raw record stored from this source's last sighting (read once per crawl).

        Indexed by URL too: a listing row often shows only the link, while the reference (the
        external id) comes from the detail page.
        """
        if self._known is None:
            with session_scope(self.tw_engine) as session:
                rows = session.execute(
                    select(NoticeSource.external_id, NoticeSource.url, Notice.raw)
                    .join(Notice, Notice.id == NoticeSource.notice_id)
                    .where(NoticeSource.source_name == self.name)
                ).all()
            known: dict[str, dict[str, Any]] = {}
            for ext, url, raw in rows:
                if isinstance(raw, dict) and raw.get("source") == self.name:
                    known[ext] = raw
                    if url:
                        known.setdefault(url, raw)
            self._known = known
        return self._known

    def had_rows_before(self) -> int:
        with session_scope(self.tw_engine) as session:
            return int(session.scalar(
                select(func.count()).select_from(NoticeSource).where(NoticeSource.source_name == self.name)) or 0)

    # ------------------------------------------------------------------ extraction helpers

    def html_values(self, node: Selector, fields: Mapping[str, FieldSpec], labels: Mapping[str, str],
                    base_url: str, columns: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Values of one HTML row or detail page: labelled lines first, then explicit fields (which win)."""
        values: dict[str, Any] = {}
        verbatim: dict[str, Any] = {}
        labelled = extract.labelled_lines(extract.block_lines(node)) if labels or any(
            s.label for s in fields.values()) else {}
        for label, value in list(labelled.items())[:MAX_VERBATIM]:
            verbatim[label] = _bound(value)
        for label, field in labels.items():
            value = labelled.get(extract.fold(label))
            if value is not None:
                values[field] = value
        for field, spec in fields.items():
            value = extract.from_html(node, spec, labelled, columns)
            if value is not None:
                values[field] = value
        for field in URL_FIELDS:
            if isinstance(values.get(field), str):
                try:
                    values[field] = urljoin(base_url, values[field])
                except ValueError:  # "//[]": no URL urllib can read (the store's URL policy would refuse it too)
                    verbatim[f"{field} (not a URL, dropped)"] = _bound(values.pop(field))
        values["fields"] = verbatim
        return values

    def problem_named(self, key: str, message: str) -> None:
        """A problem with a stable stats key, so health rules can count it by name."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"tenderwatch/{key}")
        self.problem(message)

    def check_page(self, url: str, tally: PageTally, *, rows_found: int, rows_expr: str = "rows") -> None:
        """Report a listing page with no rows, and fields or labels that matched on no row."""
        if rows_found == 0:
            before = self.had_rows_before()
            if before:
                self.problem_named("zero_rows", f"{url}: zero rows on a listing that had {before} notice(s) before")
            else:
                self.problem_named("selector_empty/rows", f"{url}: selector '{rows_expr}' matched nothing")
            return
        for name in tally.empty():
            self.problem_named(f"selector_empty/{name}", f"{url}: '{name}' matched nothing on any row")

    # ------------------------------------------------------------------ emitting

    def finish_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Coerce extracted strings to RawNotice shapes (cpv list, is_new flag); drop empty values."""
        out = {k: v for k, v in values.items() if v not in (None, "", [])}
        if "cpv_codes" in out and isinstance(out["cpv_codes"], str):
            out["cpv_codes"] = [out["cpv_codes"]]
        if "is_new" in values:
            out["is_new"] = bool(values.get("is_new"))
        for key, value in list(out.items()):
            if isinstance(value, list) and key != "cpv_codes":
                out[key] = " ".join(value)
            if isinstance(out[key], str) and len(out[key]) > MAX_TEXT:
                out[key] = out[key][:MAX_TEXT]
        out["fields"] = {k: v for k, v in (values.get("fields") or {}).items()}
        for key in URL_FIELDS:
            if isinstance(out.get(key), str) and not http_url(out[key]):
                out["fields"][f"{key} (not http/https, dropped)"] = _bound(out.pop(key))
        return out

    def emit(self, values: dict[str, Any], detail: DetailOptions | None, listing_url: str) -> Iterator[Any]:
        """Yield the row's notice, or a request for its detail page when the row is new or changed."""
        values = self.finish_values(values)
        # the row's data, not where it sits: a row moving to page 2 keeps its detail page unfetched
        digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]
        values["fields"]["listing_url"] = listing_url
        if not values.get("url") and self.options.listing_url_as_url:
            values["url"] = listing_url
        detail_url = self.detail_url(values, detail) if detail else None
        if detail_url and not url_is_from_any_domain(detail_url, self.allowed_domains):
            # Scrapy's offsite filter drops such a request without calling its errback, which lost the row
            self.problem_named("detail_offsite", f"detail page {detail_url[:300]} is outside {self.allowed_domains}; "
                                                 "the row is stored without it")
            detail_url = None
        if not detail or not detail_url:
            yield self.notice(**values)
            return
        values["fields"]["listing_hash"] = digest
        known = None
        for key in (values.get("reference"), values.get("url")):
            if key and known is None:
                known = self.known_records().get(key)
        if known is not None and (known.get("fields") or {}).get("listing_hash") == digest:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("tenderwatch/detail_skipped")
            yield self.notice(**known)  # unchanged on the listing: the stored record stands, no detail fetch
            return
        yield scrapy.Request(detail_url, callback=self.parse_detail, errback=self.detail_failed,
                             cb_kwargs={"row": values}, meta={"tw_row": values})

    @staticmethod
    def detail_url(values: dict[str, Any], detail: DetailOptions) -> str | None:
        """The row's detail page: its ``url_field``, or ``url_template`` filled with the row's (quoted) fields."""
        if not detail.url_template:
            url = values.get(detail.url_field)
            return url if isinstance(url, str) else None
        names = template_fields(detail.url_template)
        if not all(isinstance(values.get(n), str) and values[n] for n in names):
            return None
        return detail.url_template.format_map({n: quote(values[n], safe="") for n in names})

    def parse_detail(self, response: Any, row: dict[str, Any]) -> Iterator[Any]:
        detail: DetailOptions = self.options.detail
        node = response.selector
        if detail.block:
            blocks = extract.select(node, detail.block)
            if not blocks:
                self.problem_named("selector_empty/detail_block",
                                   f"{response.url}: detail block '{detail.block}' matched nothing")
            else:
                node = blocks[0]
        values = self.html_values(node, detail.fields, detail.labels, response.url)
        values = self.finish_values(values)
        for name in list(detail.fields) + list(dict.fromkeys(detail.labels.values())):
            if name not in values:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(f"tenderwatch/detail_missing/{name}")
        merged = {**row, **{k: v for k, v in values.items() if k != "fields"}}
        merged["fields"] = {**row.get("fields", {}), **{f"detail: {k}": v for k, v in values["fields"].items()}}
        merged["fields"]["detail_url"] = response.url
        yield self.notice(**merged)

    def detail_failed(self, failure: Any) -> Iterator[Any]:
        """A detail page that fails loses nothing: the row's own values are stored, the problem reported."""
        request = failure.request
        row = request.meta.get("tw_row") or {}
        url = request.meta.get("tw_original_url", request.url)
        self.problem_named("detail_failed", f"detail page {url} failed: {failure_reason(failure)}")
        if row:
            row = {**row, "fields": {k: v for k, v in row.get("fields", {}).items() if k != "listing_hash"}}
            yield self.notice(**row)
