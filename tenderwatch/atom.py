"""Every Atom feed Tenderwatch writes (RFC 4287, built with lxml): the web's feeds per technology area,
organisation and saved search, and ``tenderwatch export --format atom``.

One entry per call (its latest stage): the entry's id is the call's and never changes, ``updated`` is
when Tenderwatch last saw it change, and the summary tells the call the way the site does (deadline in
the site's zone through ``tenderwatch.formats``, a date-only deadline as its date) and what changed
lately ("deadline moved from ... to ..."), so a feed reader shows a moved deadline as an update of
the entry it has, not as a new call. Every string is set as XML text by lxml (escaped; characters XML
forbids are dropped), never concatenated into markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree

from tenderwatch.db.models import Notice
from tenderwatch.formats import describe_change, format_deadline

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SUMMARY_CHARS = 1000
CHANGES_SHOWN = 3
"""The latest changes an entry's summary tells."""


def _x(text: str | None) -> str:
    return XML_ILLEGAL.sub("", text or "")


def _stamp(dt: datetime | None) -> str:
    return (dt or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_summary(n: Notice, *, timezone: str, language: str = "en") -> str:
    """What a call's entry says: deadline, type, reference, its latest changes, then its description."""
    lines = [("Deadline: " + format_deadline(n.deadline_at, timezone, language, n.deadline_date))
             if n.deadline_at else "Deadline: not given", f"Type: {n.notice_type.replace('_', ' ')}"]
    if n.reference:
        lines.append(f"Reference: {n.reference}")
    changes = sorted(n.changes, key=lambda c: (c.changed_at, c.id), reverse=True)[:CHANGES_SHOWN]
    lines += [f"Changed {c.changed_at.astimezone(UTC):%Y-%m-%d}: "
              + describe_change(c.field, c.old_value, c.new_value, timezone, language) for c in changes]
    if n.description:
        lines.append(n.description if len(n.description) <= SUMMARY_CHARS else n.description[:SUMMARY_CHARS] + "…")
    return "\n".join(lines)


def atom_feed(notices: Sequence[Notice], *, feed_id: str, title: str, self_url: str, site_url: str,
              area_labels: dict[str, str], timezone: str, updated: datetime | None = None) -> bytes:
    """An Atom feed: one entry per call (its latest stage, changes loaded), newest change first (the order
    ``notices`` has). ``updated``: the feed's own date when it has no entry (else its newest entry's)."""
    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _x(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _x(text)
        return el

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", _stamp(max((n.last_changed_at for n in notices), default=updated)))
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=site_url, type="text/html")
    sub(sub(feed, "author"), "name", "Tenderwatch")
    sub(feed, "generator", "Tenderwatch")
    for n in notices:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:tenderwatch:call:{n.call_uid}")
        org = n.organisation.code if n.organisation else None
        sub(entry, "title", f"{org}: {n.title}" if org else n.title)
        sub(entry, "updated", _stamp(n.last_changed_at))
        if n.published_at:
            sub(entry, "published", _stamp(n.published_at))
        sub(entry, "link", rel="alternate", type="text/html", href=f"{site_url}/calls/{n.call_uid}")
        if n.url:
            sub(entry, "link", rel="via", href=n.url)
        if n.organisation:
            sub(sub(entry, "author"), "name", n.organisation.name)
        for a in n.areas:
            sub(entry, "category", term=a.area_id, label=area_labels.get(a.area_id, a.area_id))
        sub(entry, "summary", entry_summary(n, timezone=timezone), type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")
