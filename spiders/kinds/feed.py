"""``feed``: an RSS 2.0 or Atom feed, one notice per entry.

Recipe (a source is YAML only):

1. ``start_urls``: the feed URL(s).
2. ``fields`` are JMESPath (dotted) paths into the entry as feedparser reads it; the defaults are
   ``title: title, url: link, description: summary, published: published``. Other useful paths:
   ``id``, ``updated``, ``tags[].term`` (categories: map one to ``notice_type``), ``author``.
   Add a ``regex`` to pick a reference out of a title:
   ``reference: {path: title, regex: "^\\[(\\d{2}-\\d+)\\]"}``.
3. ``labels`` read labelled lines in the entry's summary (``Closing date: 13 June 2025``).
4. Optional ``detail`` to complete each entry from the page at its link (new or changed entries only).
5. Atom ``<link rel="next">`` pages are followed up to ``max_pages``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import feedparser
from parsel import Selector

from spiders.kinds import extract
from spiders.kinds.common import PageTally, RowSpider, follow, http_url
from spiders.kinds.fields import URL_FIELDS
from spiders.kinds.options import FeedOptions


class FeedSpider(RowSpider):
    kind = "feed"
    options_model = FeedOptions
    options: FeedOptions

    def parse(self, response: Any, page: int = 1) -> Iterator[Any]:
        opts = self.options
        try:
            parsed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        except (ValueError, OverflowError, TypeError) as exc:  # feedparser lets e.g. &#2000000; escape as ValueError
            self.problem_named("unreadable", f"{response.url}: not a readable RSS/Atom feed ({type(exc).__name__}: "
                                             f"{str(exc)[:200]})")
            return
        if parsed.bozo and not parsed.entries:
            self.problem_named("unreadable", f"{response.url}: not a readable RSS/Atom feed "
                                             f"({type(parsed.bozo_exception).__name__}: {parsed.bozo_exception})")
            return
        tally = PageTally(list(dict.fromkeys([*opts.fields, *opts.labels.values()])))
        for entry in parsed.entries:
            values = self.entry_values(entry, response.url)
            tally.saw(values)
            yield from self.emit(values, opts.detail, response.url)
        self.check_page(response.url, tally, rows_found=len(parsed.entries), rows_expr="entries")
        for link in parsed.feed.get("links", []):
            if link.get("rel") == "next" and link.get("href") and page < opts.max_pages \
                    and http_url(response.urljoin(link["href"])):
                yield follow(response, link["href"], callback=self.parse, cb_kwargs={"page": page + 1},
                                      errback=self.listing_failed)

    def entry_values(self, entry: dict[str, Any], base_url: str) -> dict[str, Any]:
        opts = self.options
        summary = entry.get("summary") or ""
        labelled = extract.labelled_lines(extract.block_lines(Selector(text=f"<div>{summary}</div>"))) \
            if summary and (opts.labels or any(s.label for s in opts.fields.values())) else {}
        values: dict[str, Any] = {}
        for label, field in opts.labels.items():
            if extract.fold(label) in labelled:
                values[field] = labelled[extract.fold(label)]
        for field, spec in opts.fields.items():
            if spec.label is not None:
                value = extract.finish([labelled[extract.fold(spec.label)]] if extract.fold(spec.label) in labelled
                                      else [], spec)
            else:
                value = extract.from_mapping(dict(entry), spec)
            if value is not None:
                values[field] = value
        if values.get("description") and "<" in str(values["description"]):
            values["description"] = " ".join(extract.block_lines(Selector(text=f"<div>{values['description']}</div>")))
        for field in URL_FIELDS:
            if isinstance(values.get(field), str):
                values[field] = urljoin(base_url, values[field])
        verbatim = {k: extract.squash(str(v)) for k, v in entry.items()
                    if isinstance(v, str) and k in ("id", "title", "link", "published", "updated", "author")}
        verbatim.update(labelled)
        values["fields"] = verbatim
        return values
