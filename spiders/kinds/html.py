"""What ``html_table`` and ``html_list`` share: rows on a page, fields per row, pagination."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector

from spiders.kinds import extract
from spiders.kinds.common import PageTally, RowSpider, follow, http_url
from spiders.kinds.options import HtmlOptions


class HtmlSpider(RowSpider):
    options: HtmlOptions

    def row_columns(self, response: Any, row: Selector) -> dict[str, str] | None:
        """Header-name -> cell text for the row (``html_table`` only)."""
        return None

    def parse(self, response: Any, page: int = 1) -> Iterator[Any]:
        opts = self.options
        rows = extract.select(response.selector, opts.rows)
        wanted = list(dict.fromkeys([*opts.fields, *opts.labels.values(), *getattr(opts, "columns", {}).values()]))
        tally = PageTally([name for name in wanted if name not in opts.fields or not opts.fields[name].optional])
        skip = re.compile(opts.skip_if) if opts.skip_if else None
        keep = re.compile(opts.keep_if) if opts.keep_if else None
        found = listed = 0
        for row in rows:
            text = " ".join(extract.texts_of(row.xpath("."))) if skip or keep else ""
            if skip and skip.search(text):
                continue
            listed += 1
            if keep and not keep.search(text):
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("tenderwatch/rows_not_kept")
                continue
            columns = self.row_columns(response, row)
            values = self.html_values(row, opts.fields, opts.labels, response.url, columns)
            if columns is not None:
                values.update({k: v for k, v in self.column_values(row, columns, response.url).items()
                               if k not in opts.fields})
                values["fields"].update({k: v for k, v in columns.items() if v})
            if not any(v for k, v in values.items() if k != "fields"):
                continue  # a spacer or layout row
            if "is_new" in wanted:
                values["is_new"] = bool(values.get("is_new"))  # the mark is configured: no mark means not new
            found += 1
            tally.saw(values)
            yield from self.emit(values, opts.detail, response.url)
        # a listing of several buyers' rows, none of them kept today, is a quiet day, not a broken selector
        self.check_page(response.url, tally, rows_found=listed if keep else found, rows_expr=opts.rows)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("tenderwatch/rows", found)
        if opts.next_page and page < opts.max_pages:
            href = extract.select(response.selector, opts.next_page).get()
            if href and http_url(response.urljoin(href.strip())):
                yield follow(response, href.strip(), callback=self.parse, cb_kwargs={"page": page + 1},
                                      errback=self.listing_failed)
            elif href:
                self.problem_named("next_page_not_http",
                                   f"{response.url}: next-page link {href[:200]!r} is not http(s)")
        elif opts.next_page and extract.select(response.selector, opts.next_page).get():
            self.problem_named("max_pages", f"{response.url}: stopped after max_pages={opts.max_pages}")

    def column_values(self, row: Selector, columns: dict[str, str], base_url: str) -> dict[str, Any]:
        return {}
