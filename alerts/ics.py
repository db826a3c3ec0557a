"""The deadlines of a digest as an iCalendar (RFC 5545) attachment.

One event per call, at its deadline, with a stable UID per notice so that importing next week's
file updates an event whose deadline moved instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from alerts.views import NoticeView

PRODID = "-//Tenderwatch//ILO network alerts//EN"


def deadlines_calendar(views: Iterable[NoticeView], *, stamp: datetime, uid_domain: str) -> bytes | None:
    """The calendar of every view with a deadline; None when none has one (no empty attachment)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    seen: set[str] = set()
    for v in views:
        if v.deadline_at is None or v.uid in seen:
            continue
        seen.add(v.uid)
        event = Event()
        event.add("uid", f"{v.uid}-deadline@{uid_domain}")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", v.deadline_at.astimezone(UTC))
        event.add("dtend", v.deadline_at.astimezone(UTC) + timedelta(minutes=30))
        summary = f"Deadline {v.organisation} {v.reference}: {v.title}".replace("  ", " ")
        event.add("summary", summary[:250])
        if v.link:
            event.add("url", v.link)
            event.add("description", v.link)
        cal.add_component(event)
    if not seen:
        return None
    return cal.to_ical()
