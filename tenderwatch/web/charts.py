"""A horizontal bar chart as server-side SVG: no JavaScript, no chart library, readable on a phone.

Only presentation attributes are used (no ``style``), so the strict Content-Security-Policy holds,
and every label is escaped: winner countries come from scraped award notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 150
CHART_WIDTH = 640


def bar_chart(data: Sequence[tuple[str, int]], *, title: str, max_bars: int = 30) -> Markup:
    """``data``: (label, value) pairs, drawn in the given order; values must be >= 0."""
    rows = list(data)[:max_bars]
    top = max((v for _, v in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    span = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="100%" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = max(1, round(span * value / top))
        parts.append(
            f'<g><text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="#222">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="#1f5f8b"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR_HEIGHT * 0.7:.1f}" font-size="13" '
            f'fill="#222">{int(value)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated label is escaped above
