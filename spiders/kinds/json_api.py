"""``json``: a JSON endpoint, one notice per item of a list in the response.

Recipe (a source is YAML only):

1. ``start_urls``: the endpoint (query string included).
2. ``items``: JMESPath to the list of items (``results``, ``data.tenders``; ``@`` = the
   response itself is the list).
3. ``fields``: JMESPath (a dotted path is valid JMESPath) into one item per notice field, e.g.
   ``{reference: ref, title: title.en, deadline: dates.closing, cpv_codes: {path: "cpv[].code", many: true}}``.
   A ``{lang: text}`` map yields its ``en`` text; nested objects are paths (``status.id``,
   ``externalEntity.entityName``); ``html: true`` keeps the text of a value holding HTML markup.
   Map an organisation's codes (``status.id`` 1, 2) to notice types in the source's ``notice_types``:
   a code the table does not know is stored as it came and reported (stats
   ``tenderwatch/unmapped_notice_type/<code>`` and a log line), never guessed.
4. ``url_template`` builds the notice URL from item keys when the item has none:
   ``"https://example.org/tenders/{id}"``.
5. Pagination, one of: ``page_param: page`` (with ``first_page``) adds ``?page=N``;
   ``offset: {size: 50}`` fills ``{take}`` and ``{skip}`` in the start URL
   (``/api/tenderAction/filter/{take}/{skip}``), the offset growing by the items received;
   ``next_url: links.next`` follows the URL the response gives. ``total: total`` (the path of the
   count of all items) ends paging once that many items have arrived (``skip >= total``); without
   it paging ends at the first page without items. Always at most ``max_pages`` pages.
6. ``method: POST`` with ``multipart`` parts for search APIs that want a form (a mapping or list
   part is sent as JSON): the EU Funding & Tenders search API takes its query that way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import jmespath
import scrapy
from urllib3 import encode_multipart_formdata

from spiders.kinds import extract
from spiders.kinds.common import PageTally, RowSpider, http_url
from spiders.kinds.fields import URL_FIELDS, template_fields
from spiders.kinds.options import JsonOptions, offset_url, with_param

__all__ = ["JsonSpider", "multipart_body", "with_param"]


def multipart_body(parts: dict[str, Any]) -> tuple[bytes, str]:
    """``multipart/form-data`` body and its Content-Type; mapping and list parts as JSON parts."""
    fields: dict[str, Any] = {}
    for name, value in parts.items():
        if isinstance(value, dict | list):
            fields[name] = ("blob", json.dumps(value, ensure_ascii=False).encode(), "application/json")
        else:
            fields[name] = str(value)
    return encode_multipart_formdata(fields)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


class JsonSpider(RowSpider):
    kind = "json"
    options_model = JsonOptions
    options: JsonOptions

    async def start(self) -> Any:
        for start_url in self.start_urls:
            yield self.page_request(self.options.first_url(start_url), page=1, template=start_url)

    def page_request(self, url: str, page: int, *, received: int = 0, skip: int = 0,
                     template: str | None = None) -> scrapy.Request:
        """One listing page (a fresh request: ``response.request.replace`` would carry the previous page's meta)."""
        opts = self.options
        headers = {"Accept": "application/json"}
        body = None
        if opts.method == "POST" and opts.multipart:
            body, headers["Content-Type"] = multipart_body(opts.multipart)
        return scrapy.Request(url, method=opts.method, body=body, headers=headers, callback=self.parse,
                              errback=self.listing_failed, dont_filter=opts.method == "POST",
                              cb_kwargs={"page": page, "received": received, "skip": skip, "template": template})

    def parse(self, response: Any, page: int = 1, received: int = 0, skip: int = 0,
              template: str | None = None) -> Iterator[Any]:
        opts = self.options
        if template is None and opts.offset is not None:  # a first page examined alone (``sources test``)
            template = next((u for u in self.start_urls if opts.first_url(u) == response.url), None)
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            self.problem_named("unreadable", f"{response.url}: not JSON ({exc})")
            return
        items = jmespath.search(opts.items, data)
        listed = isinstance(items, list)
        if not listed:
            self.problem_named("selector_empty/items", f"{response.url}: items path {opts.items!r} is not a list")
            items = []
        tally = PageTally([name for name, spec in opts.fields.items() if not spec.optional])
        for item in items:
            values = self.item_values(item, response.url)
            tally.saw(values)
            yield from self.emit(values, opts.detail, response.url)
        if listed and (page == 1 or items):
            self.check_page(response.url, tally, rows_found=len(items), rows_expr=opts.items)
        received += len(items)
        total = self.total_of(data, response.url)
        nxt_url = jmespath.search(opts.next_url, data) if opts.next_url else None
        if opts.next_url:
            more = isinstance(nxt_url, str) and bool(nxt_url)
        else:
            more = bool(items) and (opts.page_param is not None or opts.offset is not None)
        if not more or (total is not None and received >= total):
            return
        if page >= opts.max_pages:
            self.problem_named("max_pages", f"{response.url}: stopped after max_pages={opts.max_pages}"
                               + (f" with {received} of {total} items" if total is not None else ""))
            return
        if opts.offset is not None:
            if template is None:
                return
            nxt = skip + len(items)
            yield self.page_request(offset_url(template, opts.offset.size, nxt), page + 1, received=received,
                                    skip=nxt, template=template)
        elif opts.page_param:
            current = dict(parse_qsl(urlsplit(response.url).query)).get(opts.page_param)
            nxt = (int(current) if current and current.isdigit() else opts.first_page) + 1
            yield self.page_request(with_param(response.url, opts.page_param, nxt), page + 1, received=received)
        elif isinstance(nxt_url, str):
            if http_url(urljoin(response.url, nxt_url)):
                yield self.page_request(urljoin(response.url, nxt_url), page + 1, received=received)
            else:
                self.problem_named("next_page_not_http", f"{response.url}: next link {nxt_url[:200]!r} is not http(s)")

    def total_of(self, data: Any, url: str) -> int | None:
        """The count of all items the response announces (``total``), or None when not configured or unreadable."""
        if not self.options.total:
            return None
        value = jmespath.search(self.options.total, data)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            self.problem_named("selector_empty/total", f"{url}: total path {self.options.total!r} is not a count "
                                                       f"({str(value)[:50]!r})")
            return None
        return int(value)

    def item_values(self, item: Any, base_url: str) -> dict[str, Any]:
        opts = self.options
        values: dict[str, Any] = {}
        for field, spec in opts.fields.items():
            value = extract.from_mapping(item, spec)
            if value is not None:
                values[field] = value
        if not values.get("url") and opts.url_template and isinstance(item, dict):
            keys = set(template_fields(opts.url_template))
            if all(item.get(k) not in (None, "") for k in keys):
                values["url"] = opts.url_template.format_map(_Missing({k: item[k] for k in keys}))
        for field in URL_FIELDS:
            if isinstance(values.get(field), str):
                values[field] = urljoin(base_url, values[field])
        if isinstance(item, dict):
            values["fields"] = {k: extract.squash(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list)
                                                  else str(v))
                                for k, v in list(item.items())[:100] if v is not None}
        else:
            values["fields"] = {"item": str(item)[:2000]}
        return values
