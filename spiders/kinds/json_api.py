"""``json``: a JSON endpoint, one notice per item of a list in the response.

Recipe (a source is YAML only):

1. ``start_urls``: the endpoint (query string included).
2. ``items``: JMESPath to the list of items (``results``, ``data.tenders``; ``@`` = the
   response itself is the list).
3. ``fields``: JMESPath (a dotted path is valid JMESPath) into one item per notice field, e.g.
   ``{reference: ref, title: title.en, deadline: dates.closing, cpv_codes: {path: "cpv[].code", many: true}}``.
   A ``{lang: text}`` map yields its ``en`` text.
4. ``url_template`` builds the notice URL from item keys when the item has none:
   ``"https://example.org/tenders/{id}"``.
5. Pagination: ``page_param: page`` (with ``first_page``) adds ``?page=N`` and goes on while a
   page returns items, or ``next_url: links.next`` follows the URL the response gives; both stop
   at ``max_pages``.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import jmespath
import scrapy

from spiders.kinds import extract
from spiders.kinds.common import PageTally, RowSpider, http_url
from spiders.kinds.options import URL_FIELDS, JsonOptions


def with_param(url: str, name: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query)))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


class JsonSpider(RowSpider):
    kind = "json"
    options_model = JsonOptions
    options: JsonOptions

    async def start(self) -> Any:
        for start_url in self.start_urls:
            url = start_url
            if self.options.page_param:
                url = with_param(url, self.options.page_param, self.options.first_page)
            yield scrapy.Request(url, callback=self.parse, errback=self.listing_failed,
                                 headers={"Accept": "application/json"})

    def parse(self, response: Any, page: int = 1) -> Iterator[Any]:
        opts = self.options
        try:
            data = json.loads(response.body)
        except ValueError as exc:
            self.problem_named("unreadable", f"{response.url}: not JSON ({exc})")
            return
        items = jmespath.search(opts.items, data)
        if not isinstance(items, list):
            self.problem_named("selector_empty/items", f"{response.url}: items path {opts.items!r} is not a list")
            items = []
        tally = PageTally(list(opts.fields))
        for item in items:
            values = self.item_values(item, response.url)
            tally.saw(values)
            yield from self.emit(values, opts.detail, response.url)
        if page == 1 or items:
            self.check_page(response.url, tally, rows_found=len(items), rows_expr=opts.items)
        if page >= opts.max_pages:
            return
        if opts.page_param and items:
            current = dict(parse_qsl(urlsplit(response.url).query)).get(opts.page_param)
            nxt = (int(current) if current and current.isdigit() else opts.first_page) + 1
            yield self.page_request(with_param(response.url, opts.page_param, nxt), page + 1)
        elif opts.next_url:
            nxt_url = jmespath.search(opts.next_url, data)
            if isinstance(nxt_url, str) and nxt_url and http_url(urljoin(response.url, nxt_url)):
                yield self.page_request(urljoin(response.url, nxt_url), page + 1)
            elif isinstance(nxt_url, str) and nxt_url:
                self.problem_named("next_page_not_http", f"{response.url}: next link {nxt_url[:200]!r} is not http(s)")

    def page_request(self, url: str, page: int) -> scrapy.Request:
        """A fresh request (not ``response.request.replace``: that would carry the previous page's meta)."""
        return scrapy.Request(url, callback=self.parse, errback=self.listing_failed, cb_kwargs={"page": page},
                              headers={"Accept": "application/json"})

    def item_values(self, item: Any, base_url: str) -> dict[str, Any]:
        opts = self.options
        values: dict[str, Any] = {}
        for field, spec in opts.fields.items():
            value = extract.from_mapping(item, spec)
            if value is not None:
                values[field] = value
        if not values.get("url") and opts.url_template and isinstance(item, dict):
            keys = {name for _, name, _, _ in string.Formatter().parse(opts.url_template) if name}
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
