"""Atom (RFC 4287) and iCalendar (RFC 5545) documents built from stored notices.

Atom is written with lxml, so every scraped string is escaped as XML and characters XML forbids
are dropped rather than breaking a reader. Calendars have one event per call, whose UID is the
call's and never changes: when a deadline moves the event keeps its UID and its SEQUENCE grows (one
per recorded deadline change or new stage), so a calendar client updates the event in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event
from lxml import etree

from tenderwatch.db.models import Notice

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SUMMARY_CHARS = 1000
PRODID = "-//Tenderwatch//ILO-net deadlines//EN"


def _x(text: str | None) -> str:
    return XML_ILLEGAL.sub("", text or "")


def _stamp(dt: datetime | None) -> str:
    return (dt or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(notices: Sequence[Notice], *, feed_id: str, title: str, self_url: str, site_url: str,
              area_labels: dict[str, str]) -> bytes:
    """An Atom feed: one entry per notice, newest change first (the order ``notices`` has)."""
    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _x(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _x(text)
        return el

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", _stamp(max((n.last_changed_at for n in notices), default=None)))
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=site_url, type="text/html")
    sub(sub(feed, "author"), "name", "Tenderwatch")
    sub(feed, "generator", "Tenderwatch")
    for n in notices:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:tenderwatch:notice:{n.uid}")
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
        lines = [f"Deadline: {_stamp(n.deadline_at)}" if n.deadline_at else "Deadline: not given",
                 f"Type: {n.notice_type.replace('_', ' ')}"]
        if n.reference:
            lines.append(f"Reference: {n.reference}")
        if n.description:
            text = n.description if len(n.description) <= SUMMARY_CHARS else n.description[:SUMMARY_CHARS] + "…"
            lines.append(text)
        sub(entry, "summary", "\n".join(lines), type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")


def deadline_calendar(calls: Iterable[Sequence[Notice]], *, name: str, site_url: str,
                      now: datetime | None = None) -> bytes:
    """One VEVENT per call (given as its stages), at the deadline of its latest stage that has one."""
    now = now or datetime.now(UTC)
    host = urlsplit(site_url).hostname or "tenderwatch"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _x(name))
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for stages in calls:
        with_deadline = [n for n in stages if n.deadline_at is not None]
        if not with_deadline:
            continue
        current = with_deadline[-1]
        moves = sum(1 for n in with_deadline for c in n.changes if c.field == "deadline_at")
        event = Event()
        event.add("uid", f"{current.call_uid}@{host}")
        event.add("sequence", moves + len(with_deadline) - 1)
        event.add("dtstamp", now)
        event.add("last-modified", max(n.last_changed_at for n in stages))
        event.add("dtstart", current.deadline_at.astimezone(UTC))
        org = current.organisation.code if current.organisation else ""
        event.add("summary", _x(f"Deadline {org}: {current.title}".replace("  ", " ")))
        details = [f"{current.notice_type.replace('_', ' ')}" + (f", {current.reference}" if current.reference else ""),
                   f"{site_url}/calls/{current.call_uid}"]
        event.add("description", _x("\n".join(details)))
        event.add("url", f"{site_url}/calls/{current.call_uid}")
        event.add("status", "CANCELLED" if current.status == "cancelled" else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        for a in current.areas:
            event.add("categories", a.area_id)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _x(f"Deadline in one week: {current.title}"))
        alarm.add("trigger", timedelta(days=-7))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
