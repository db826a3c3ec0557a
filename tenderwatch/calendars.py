"""Every calendar Tenderwatch writes (RFC 5545, through the ``icalendar`` library): the digest's attachment,
the web's area and company calendars, ``tenderwatch export --format ics``.

One event per call, at its deadline, the same in every calendar:

- ``UID``: ``<call uid>-deadline@<site host>``: a company that imports its digest's attachment and
  subscribes to its web calendar gets each deadline once, and next week's file updates the event;
- ``SEQUENCE``: how often the call's deadline moved (recorded deadline changes of its stages, and each
  later stage that brought a deadline of its own), read from the database by ``deadline_sequences``
  for mail and web alike, so a calendar client takes the newer file's time;
- a deadline given as a date only is an all-day event on that day (``DTSTART;VALUE=DATE``); a moment
  is a timed event in UTC (no ``DTEND``: a deadline is an instant);
- ``METHOD:PUBLISH`` (information, not an invitation), one ``PRODID``, and text escaped and folded by
  the library, including ``X-WR-CALNAME`` (a calendar name with commas).

An event is serialised once per run and reused: the same call's event appears in thousands of digests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Alarm, Calendar, Event, vText
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenderwatch.db.models import Notice, NoticeChange

PRODID = "-//Tenderwatch//ILO-net deadlines//EN"
SUMMARY_CHARS = 250
REMINDER = timedelta(days=-7)
"""A reminder a week before each deadline."""


@dataclass(frozen=True, slots=True)
class DeadlineEvent:
    """What a calendar says of one call: built from stored stages (web, CLI) or a mail's facts."""

    call_uid: str
    title: str
    deadline_at: datetime
    deadline_date: date | None = None
    """Set for a date-only deadline: an all-day event on that day."""
    organisation: str | None = None
    reference: str | None = None
    sequence: int = 0
    cancelled: bool = False
    last_modified: datetime | None = None
    areas: tuple[str, ...] = field(default_factory=tuple)


def event_uid(call_uid: str, site_url: str) -> str:
    """The one UID of a call's deadline event, in every calendar."""
    return f"{call_uid}-deadline@{urlsplit(site_url).hostname or 'tenderwatch'}"


def deadline_sequences(session: Session, call_uids: Iterable[str]) -> dict[str, int]:
    """How often each call's deadline moved: its stages' recorded deadline changes, plus each stage after
    the first that has a deadline (a new stage brings a new deadline). Two grouped queries per 500 calls."""
    out: dict[str, int] = {}
    uids = sorted(set(call_uids))
    for i in range(0, len(uids), 500):
        chunk = uids[i:i + 500]
        for call_uid, stages in session.execute(
                select(Notice.call_uid, func.count(Notice.id))
                .where(Notice.call_uid.in_(chunk), Notice.deadline_at.is_not(None)).group_by(Notice.call_uid)):
            out[call_uid] = max(0, stages - 1)
        for call_uid, moves in session.execute(
                select(Notice.call_uid, func.count(NoticeChange.id)).join(Notice, NoticeChange.notice_id == Notice.id)
                .where(Notice.call_uid.in_(chunk), NoticeChange.field == "deadline_at").group_by(Notice.call_uid)):
            out[call_uid] = out.get(call_uid, 0) + moves
    return out


def event_of_stages(stages: Sequence[Notice], sequence: int | None = None) -> DeadlineEvent | None:
    """A call's event from its stages (oldest first, ``changes`` loaded when ``sequence`` is not given):
    the deadline of its latest stage that has one; None when no stage has a deadline."""
    with_deadline = [n for n in stages if n.deadline_at is not None]
    if not with_deadline:
        return None
    current = with_deadline[-1]
    assert current.deadline_at is not None
    if sequence is None:
        sequence = len(with_deadline) - 1 + sum(1 for n in stages for c in n.changes if c.field == "deadline_at")
    return DeadlineEvent(
        call_uid=current.call_uid, title=current.title, deadline_at=current.deadline_at,
        deadline_date=current.deadline_date, organisation=current.organisation.code if current.organisation else None,
        reference=current.reference, sequence=sequence, cancelled=current.status == "cancelled",
        last_modified=max(n.last_changed_at for n in stages), areas=tuple(a.area_id for a in current.areas))


class CalendarWriter:
    """Builds each event once per run and joins events into calendars."""

    def __init__(self, *, site_url: str, stamp: datetime | None = None) -> None:
        self.site_url = site_url.rstrip("/")
        self.stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self._events: dict[DeadlineEvent, bytes] = {}
        self._head: bytes | None = None

    def event(self, ev: DeadlineEvent) -> bytes:
        """The serialised VEVENT of one call's deadline (cached)."""
        block = self._events.get(ev)
        if block is None:
            block = self._events[ev] = self._build(ev).to_ical()
        return block

    def _build(self, ev: DeadlineEvent) -> Event:
        page = f"{self.site_url}/calls/{ev.call_uid}"
        event = Event()
        event.add("uid", event_uid(ev.call_uid, self.site_url))
        event.add("sequence", ev.sequence)
        event.add("dtstamp", self.stamp)
        if ev.last_modified is not None:
            event.add("last-modified", ev.last_modified.astimezone(UTC).replace(microsecond=0))
        if ev.deadline_date is not None:
            event.add("dtstart", ev.deadline_date)
            event.add("dtend", ev.deadline_date + timedelta(days=1))
        else:
            event.add("dtstart", ev.deadline_at.astimezone(UTC).replace(microsecond=0))
        head = " ".join(x for x in ("Deadline", ev.organisation, ev.reference) if x)
        event.add("summary", " ".join(f"{head}: {ev.title}".split())[:SUMMARY_CHARS])
        event.add("description", "\n".join(x for x in (ev.reference, page) if x))
        event.add("url", page)
        event.add("status", "CANCELLED" if ev.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        if ev.areas:
            event.add("categories", list(ev.areas))
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", " ".join(f"Deadline in one week: {ev.title}".split())[:SUMMARY_CHARS])
        alarm.add("trigger", REMINDER)
        event.add_component(alarm)
        return event

    def head(self, *, name: str | None = None, refresh: timedelta | None = None) -> bytes:
        """A calendar's lines before its events: BEGIN, PRODID, VERSION, CALSCALE and METHOD (the same in
        every calendar: made by the library once per writer), then the name and refresh interval (made by
        the library per calendar: a name is text to escape and fold, a company's own)."""
        if self._head is None:
            cal = Calendar()
            cal.add("prodid", PRODID)
            cal.add("version", "2.0")
            cal.add("calscale", "GREGORIAN")
            cal.add("method", "PUBLISH")
            self._head = _inner(cal.to_ical())
        if name is None and refresh is None:
            return BEGIN + self._head
        own = Calendar()  # the library writes these after the four above (its canonical order, then by name)
        if name:
            own.add("x-wr-calname", vText(name))  # vText: escaped like any text (commas in a company's name)
        if refresh is not None:
            own.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        return BEGIN + self._head + _inner(own.to_ical())

    def calendar(self, events: Iterable[DeadlineEvent], *, name: str | None = None,
                 refresh: timedelta | None = None, empty: bool = False) -> bytes | None:
        """One calendar of these events (one per call: the first of a call wins).

        Without events: None (a mail attaches no empty file), or with ``empty`` a calendar without events
        (a subscribed calendar must stay readable when nothing is due)."""
        seen: set[str] = set()
        blocks = []
        for ev in events:
            if ev.call_uid not in seen:
                seen.add(ev.call_uid)
                blocks.append(self.event(ev))
        if not blocks and not empty:
            return None
        return self.head(name=name, refresh=refresh) + b"".join(blocks) + END


BEGIN = b"BEGIN:VCALENDAR\r\n"
END = b"END:VCALENDAR\r\n"


def _inner(calendar: bytes) -> bytes:
    """The lines of a serialised calendar between its BEGIN and END lines."""
    assert calendar.startswith(BEGIN) and calendar.endswith(END)
    return calendar[len(BEGIN):-len(END)]
