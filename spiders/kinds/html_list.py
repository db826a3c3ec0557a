"""``html_list``: cards or list items, each usually linking to a detail page.

Recipe (a source is YAML only):

1. ``start_urls``; ``rows``: selector of one card or item (``div.views-row``, ``li.tender``).
2. ``fields`` by selector relative to the card (``title: "h3 a::text"``,
   ``url: "h3 a::attr(href)"``), and/or ``labels`` for labelled lines inside the card, such as
   ESA's ``Open Date: ... / Closing Date: ... / Price Range: ...`` block:
   ``labels: {"Open Date": published, "Closing Date": deadline, "Price Range": value}``.
   Labels are matched case- and space-insensitively; ``<dt>/<dd>`` and ``<th>/<td>`` pairs read as
   labelled lines too. Every labelled line seen is kept verbatim in the notice's raw ``fields``.
3. ``detail``: ``{fields: ..., labels: ..., block: "div.tender-details"}`` read on the card's
   ``url``. Detail values override or complete the card's; a detail page is fetched only for a
   card that is new or whose card data changed since the last crawl.
4. ``next_page`` for pagination; ``skip_if`` to drop cards such as "No open calls".
5. Aggregators: leave the source's ``organisation`` empty and map a card field to
   ``organisation`` (its text is resolved through organisations.yaml names, then
   ``options.organisation_aliases``).
"""

from __future__ import annotations

from spiders.kinds.html import HtmlSpider
from spiders.kinds.options import HtmlListOptions


class HtmlListSpider(HtmlSpider):
    kind = "html_list"
    options_model = HtmlListOptions
    options: HtmlListOptions
