"""``html_table``: a listing table, one notice per row.

Recipe (a source is YAML only):

1. ``start_urls``: the listing page(s). ``rows``: selector of one data row (default
   ``table tbody tr``). Selectors are CSS, or XPath when they start with ``/``, ``./`` or ``(``.
2. Say where each field is, by header name or by selector, or both (selectors win):
   ``columns: {"Reference": reference, "Title": title, "Cost Range": value}`` reads the header
   cells (``header``) and aligns each row's cells (``cells``) to them, so a reordered table keeps
   working; a column mapped to ``url``/``documents_url`` gives the cell's first link.
   ``fields: {title: "td:nth-child(2) a::text", url: "td:nth-child(2) a::attr(href)"}`` picks by
   position; a field may also be ``{css|xpath|label: ..., regex: ..., join: ..., many: ...}``.
3. ``labels`` for rows that hold labelled lines (``Cost Range: B``); ``skip_if`` (a regex) for
   sub-header rows.
4. Optional: ``next_page`` (selector of the next link's href, up to ``max_pages``); ``detail``
   (``fields``/``labels``/``block`` read on the page at the row's ``url``; they override or complete
   the row, and are fetched only for rows that are new or whose listing data changed).
5. Map the organisation's own type labels in the source's ``notice_types``; cost-range codes in
   ``options.value_ranges``. Then ``tenderwatch sources test NAME --file page.html``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from spiders.kinds import extract
from spiders.kinds.fields import URL_FIELDS
from spiders.kinds.html import HtmlSpider
from spiders.kinds.options import HtmlTableOptions


class HtmlTableSpider(HtmlSpider):
    kind = "html_table"
    options_model = HtmlTableOptions
    options: HtmlTableOptions
    _headers: tuple[str, list[str]] | None = None

    def headers(self, response: Any) -> list[str]:
        """Folded header texts of the page, read once per page."""
        if self._headers is None or self._headers[0] != response.url:
            texts = [extract.fold(" ".join(h.xpath(".//text()").getall()))
                     for h in extract.select(response.selector, self.options.header)]
            self._headers = (response.url, texts)
            if self.options.columns and not texts:
                self.problem_named("selector_empty/header",
                                   f"{response.url}: header selector '{self.options.header}' matched nothing")
            missing = [c for c in self.options.columns if extract.fold(c) not in texts] if texts else []
            for col in missing:
                self.problem_named("selector_empty/column", f"{response.url}: no column headed {col!r}")
        return self._headers[1]

    def row_columns(self, response: Any, row: Selector) -> dict[str, str] | None:
        if not self.options.columns:
            return None
        headers = self.headers(response)
        cells = extract.select(row, self.options.cells)
        out: dict[str, str] = {}
        for header, cell in zip(headers, cells, strict=False):
            if header:
                out[header] = extract.squash(" ".join(cell.xpath(".//text()").getall())) or ""
        self._cells = dict(zip(headers, cells, strict=False))
        return out

    def column_values(self, row: Selector, columns: dict[str, str], base_url: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        cells: dict[str, Selector] = getattr(self, "_cells", {})
        for header, field in self.options.columns.items():
            key = extract.fold(header)
            if field in URL_FIELDS:
                cell = cells.get(key)
                href = cell.css("a::attr(href)").get() if cell is not None else None
                if href:
                    values[field] = urljoin(base_url, href.strip())
            elif columns.get(key):
                values[field] = columns[key]
        return values
