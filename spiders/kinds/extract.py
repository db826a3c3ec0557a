"""Turn field specs into values: selectors on HTML, paths on JSON, headers on tables, labelled lines.

Pure functions (parsel and jmespath, no Scrapy engine), shared by every kind and by
``tenderwatch sources test``. Every value is a string as extracted, whitespace collapsed; a spec
that matches nothing gives None, never a made-up default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import jmespath
from parsel import Selector, SelectorList

from spiders.kinds.fields import FieldSpec, looks_like_xpath

_LABEL_LINE = re.compile(r"^\s*([^\n:]{1,80}?)\s*:\s*(.*)$")


def squash(text: str | None) -> str | None:
    """Collapse whitespace; empty means absent."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    return text or None


def fold(text: str) -> str:
    """Header and label comparison: case, spaces and a trailing colon do not matter."""
    return " ".join(text.replace("\xa0", " ").split()).rstrip(":").strip().casefold()


def select(node: Selector | SelectorList, expr: str) -> SelectorList:
    """CSS or XPath, decided as ``options.looks_like_xpath`` decides it."""
    return node.xpath(expr) if looks_like_xpath(expr) else node.css(expr)


def texts_of(matches: SelectorList) -> list[str]:
    """The text of each match: an element gives its whole text, a text or attribute node its value."""
    out = []
    for m in matches:
        root = m.root
        value = squash(root if isinstance(root, str) else " ".join(m.xpath(".//text()").getall()))
        if value:
            out.append(value)
    return out


def finish(values: list[str], spec: FieldSpec) -> str | list[str] | None:
    """Apply the spec's regex and join (or keep the list when ``many``)."""
    if spec.regex:
        kept = []
        pattern = re.compile(spec.regex)
        for v in values:
            for m in pattern.finditer(v):
                kept.append(squash(m.group(1) if m.groups() else m.group(0)) or "")
                if not spec.many:
                    break
        values = [v for v in kept if v]
    if spec.many:
        return values or None
    if not values:
        return None
    return squash(spec.join.join(values))


def from_html(node: Selector, spec: FieldSpec, labelled: Mapping[str, str] | None = None,
              columns: Mapping[str, str] | None = None) -> str | list[str] | None:
    if spec.css is not None or spec.xpath is not None:
        return finish(texts_of(select(node, spec.css or spec.xpath or "")), spec)
    if spec.label is not None:
        value = (labelled or {}).get(fold(spec.label))
        return finish([value] if value else [], spec)
    if spec.column is not None:
        value = (columns or {}).get(fold(spec.column))
        return finish([value] if value else [], spec)
    return None


def from_mapping(item: Any, spec: FieldSpec, columns: Mapping[str, str] | None = None) -> str | list[str] | None:
    """A value from a JSON item, feed entry (``path``) or table row (``column``)."""
    if spec.path is not None:
        found = jmespath.search(spec.path, item)
        values = [_scalar(v) for v in (found if isinstance(found, list) else [found])]
        if spec.html:
            values = [html_text(v) for v in values]
        return finish([v for v in map(squash, values) if v], spec)
    if spec.column is not None:
        value = (columns or {}).get(fold(spec.column))
        return finish([value] if value else [], spec)
    if spec.label is not None and isinstance(item, Mapping):
        value = labelled_lines(str(item.get("summary") or item.get("description") or "").splitlines()).get(
            fold(spec.label))
        return finish([value] if value else [], spec)
    return None


def html_text(markup: str | None) -> str | None:
    """The text of an HTML fragment (an API field holding ``<p>``, ``<br>``, entities): blocks end in a space."""
    if not markup or ("<" not in markup and "&" not in markup):
        return markup
    return " ".join(block_lines(Selector(text=f"<div>{markup}</div>").xpath("//div[1]")[0]))


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):  # a {lang: text} map or a feed "detail" dict: take its text
        for key in ("value", "en", "eng", "href", "term"):
            if key in value:
                return _scalar(value[key])
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def labelled_lines(lines: Iterable[str]) -> dict[str, str]:
    """``Open Date: 01/04/2020`` lines -> ``{"open date": "01/04/2020"}`` (labels folded).

    A label whose value sits on the next line (``<b>Closing Date:</b><br>09/06/2020``) takes that
    line. The first occurrence of a label wins: a later repeat is usually a footnote.
    """
    out: dict[str, str] = {}
    items = [squash(x) for x in lines]
    cleaned = [x for x in items if x]
    i = 0
    while i < len(cleaned):
        line = cleaned[i]
        m = _LABEL_LINE.match(line)
        if m and not re.match(r"^\d", m[1]) and not m[1].lower().startswith(("http", "www")):
            label, value = fold(m[1]), squash(m[2])
            if value is None and i + 1 < len(cleaned) and not _LABEL_LINE.match(cleaned[i + 1]):
                value = cleaned[i + 1]
                i += 1
            if value is not None:
                out.setdefault(label, value)
        i += 1
    return out


_BLOCK_TAGS = ("br", "p", "div", "li", "dt", "dd", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "section")
_LINES_XPATH = ".//text()[not(ancestor::script) and not(ancestor::style)] | " + " | ".join(
    f".//{t}" for t in _BLOCK_TAGS)


def block_lines(node: Selector) -> list[str]:
    """The text of an element as lines: one per block element or ``<br>``, so labels stay at line starts.

    A ``<dt>``/``<th>`` line followed by a ``<dd>``/``<td>`` line becomes ``label: value``, so
    definition lists and two-column tables read like labelled lines.
    """
    lines: list[tuple[str, str]] = []
    tag, current = "", []
    for el in node.xpath(_LINES_XPATH):
        root = el.root
        if isinstance(root, str):
            current.append(root)
            continue
        text = squash("".join(current))
        if text:
            lines.append((tag, text))
        tag, current = str(getattr(root, "tag", "")), []
    text = squash("".join(current))
    if text:
        lines.append((tag, text))
    out: list[str] = []
    for i, (tag, text) in enumerate(lines):
        if i and tag in ("dd", "td") and lines[i - 1][0] in ("dt", "th") and out:
            out[-1] = out[-1].rstrip(":") + ": " + text
        else:
            out.append(text)
    return out
