"""Charts as server-side SVG: no JavaScript, no chart library, readable on a phone.

Only presentation attributes are used (no ``style``), so the strict Content-Security-Policy holds,
and every label is escaped: winner countries come from scraped award notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

TREND_WIDTH, TREND_HEIGHT, TREND_TOP, TREND_BOTTOM, TREND_LEFT = 640, 260, 16, 40, 48
KIND_COLOURS = ("#1f5f8b", "#c2185b", "#2e7d32")


def trend_chart(points: Sequence[tuple[str, Sequence[float | None]]], *, series: Sequence[str],
                lines: Sequence[float], title: str) -> Markup:
    """Vertical bars per period (one per series, e.g. supplies and services) with dashed horizontal
    lines at ``lines`` (the class thresholds; the page explains them beside the chart): the return
    coefficient's trend. A missing value (nothing known, no contribution) is a dash, not a zero bar."""
    values = [v for _, vs in points for v in vs if v is not None]
    highest_line = max(lines, default=1.0)
    # a coefficient of 20 would flatten the class limits into the axis: bars above the scale are
    # cut at its top (their value still written), so the limits stay readable
    top = max(highest_line * 2.5, min(max(values, default=0.0), highest_line * 5)) * 1.12
    inner_h = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    inner_w = TREND_WIDTH - TREND_LEFT - 10
    slot = inner_w / max(1, len(points))
    bar = min(40.0, slot * 0.8 / max(1, len(series)))

    def y(value: float) -> float:
        return TREND_TOP + inner_h * (1 - min(value, top) / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" role="img" viewBox="0 0 {TREND_WIDTH} '
        f'{TREND_HEIGHT + 18 * len(series) + 8}" width="100%" aria-labelledby="trend-title">',
        f'<title id="trend-title">{escape(title)}</title>',
        f'<line x1="{TREND_LEFT}" y1="{y(0):.1f}" x2="{TREND_WIDTH - 10}" y2="{y(0):.1f}" stroke="#222"/>',
    ]
    for value in lines:
        parts.append(f'<line x1="{TREND_LEFT}" y1="{y(value):.1f}" x2="{TREND_WIDTH - 10}" y2="{y(value):.1f}" '
                     f'stroke="#888" stroke-dasharray="4 3"/>'
                     f'<text x="{TREND_LEFT - 4}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#555">{value:.2f}</text>')
    for i, (label, vs) in enumerate(points):
        x0 = TREND_LEFT + i * slot + (slot - bar * len(series)) / 2
        for j, value in enumerate(vs):
            x = x0 + j * bar
            if value is None:
                parts.append(f'<text x="{x + bar / 2:.1f}" y="{y(0) - 4:.1f}" text-anchor="middle" font-size="12" '
                             f'fill="#555">–</text>')
                continue
            parts.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar - 2:.1f}" height="{y(0) - y(value):.1f}" '
                         f'fill="{KIND_COLOURS[j % len(KIND_COLOURS)]}"/><text x="{x + bar / 2:.1f}" '
                         f'y="{y(value) - 4:.1f}" text-anchor="middle" font-size="11" fill="#222">{value:.2f}</text>')
        first, _, second = label.partition(" – ")
        centre = TREND_LEFT + i * slot + slot / 2
        parts.append(f'<text x="{centre:.1f}" y="{TREND_HEIGHT - TREND_BOTTOM + 15:.1f}" text-anchor="middle" '
                     f'font-size="11" fill="#222">{escape(first)}</text>')
        if second:
            parts.append(f'<text x="{centre:.1f}" y="{TREND_HEIGHT - TREND_BOTTOM + 28:.1f}" text-anchor="middle" '
                         f'font-size="11" fill="#222">– {escape(second)}</text>')
    for j, name in enumerate(series):
        ly = TREND_HEIGHT + 18 * j
        parts.append(f'<rect x="{TREND_LEFT}" y="{ly - 10}" width="12" height="12" '
                     f'fill="{KIND_COLOURS[j % len(KIND_COLOURS)]}"/><text x="{TREND_LEFT + 18}" y="{ly}" '
                     f'font-size="12" fill="#222">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated label is escaped above
