"""The deadlines of a digest as an iCalendar (RFC 5545) attachment.

One event per call, at its deadline, with a stable UID per notice so that importing next week's
file updates an event whose deadline moved instead of adding a second one. Written by hand
(escaping per RFC 5545 3.3.11, folding at 75 octets per 3.1) rather than through the
``icalendar`` package: the same call's event appears in thousands of digests, so each event is
built once per run and cached, and a digest's calendar is a join. The tests parse the output
with ``icalendar`` to hold this writer to the standard.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from alerts.views import NoticeView

PRODID = "-//Tenderwatch//ILO network alerts//EN"


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # continuation byte: step back
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class CalendarWriter:
    """Builds VEVENT blocks once per (notice, deadline) and joins them per digest."""

    def __init__(self, *, stamp: datetime, uid_domain: str) -> None:
        self.stamp = _stamp(stamp)
        self.uid_domain = uid_domain
        self._events: dict[tuple[str, datetime], str] = {}

    def event(self, v: NoticeView) -> str:
        assert v.deadline_at is not None
        key = (v.uid, v.deadline_at)
        block = self._events.get(key)
        if block is None:
            summary = " ".join(f"Deadline {v.organisation} {v.reference}: {v.title}".split())[:250]
            lines = [
                "BEGIN:VEVENT",
                f"UID:{v.uid}-deadline@{self.uid_domain}",
                f"DTSTAMP:{self.stamp}",
                f"DTSTART:{_stamp(v.deadline_at)}",
                f"DTEND:{_stamp(v.deadline_at + timedelta(minutes=30))}",
                f"SUMMARY:{escape(summary)}",
            ]
            if v.link:
                lines += [f"URL:{v.link}", f"DESCRIPTION:{escape(v.link)}"]
            lines.append("END:VEVENT")
            block = self._events[key] = "".join(fold(line) + "\r\n" for line in lines)
        return block

    def calendar(self, views: Iterable[NoticeView]) -> bytes | None:
        """The calendar of every view with a deadline; None when none has one (no empty attachment)."""
        seen: set[str] = set()
        events = []
        for v in views:
            if v.deadline_at is None or v.uid in seen:
                continue
            seen.add(v.uid)
            events.append(self.event(v))
        if not events:
            return None
        head = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nMETHOD:PUBLISH\r\nCALSCALE:GREGORIAN\r\n"
        return (head + "".join(events) + "END:VCALENDAR\r\n").encode("utf-8")
