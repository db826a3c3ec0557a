"""A digest's calendar attachment: the deadlines of the calls it shows, one event per call
(``tenderwatch.calendars``, the icalendar library), with the attachment's quoted-printable form.

A call's event is in hundreds of digests: it is made, serialised and encoded once per run, and each
digest's calendar is its own head (the company's name) and the events' kept bytes and encodings.
"""

from __future__ import annotations

from datetime import datetime

from alerts.facts import NoticeFacts
from alerts.transfer_encoding import qp_text
from tenderwatch.calendars import END, CalendarWriter, DeadlineEvent


def qp_crlf(ical: bytes) -> str | None:
    """Calendar lines (CRLF) in quoted-printable as a text attachment has them (CRLF as LF); None for a lone CR
    (which ends a line for the whole-body encoder too: then the message encodes the attachment itself)."""
    text = ical.decode("utf-8").replace("\r\n", "\n")
    return None if "\r" in text else qp_text(text)


_QP_END = qp_crlf(END)


class DigestCalendar:
    """The run's calendar writer and each call's event, made once; ``attachment`` per digest."""

    def __init__(self, site_url: str, stamp: datetime) -> None:
        self.writer = CalendarWriter(site_url=site_url, stamp=stamp)
        self.sequences: dict[str, int] = {}
        """How often each call's deadline moved (``tenderwatch.calendars.deadline_sequences``), set by the run
        before the first digest is rendered."""
        self._events: dict[int, tuple[bytes, str | None] | None] = {}

    def deadline_event(self, n: NoticeFacts) -> DeadlineEvent | None:
        """A call's calendar event, as the web's calendars write it (same UID and SEQUENCE)."""
        if n.deadline_at is None:
            return None
        return DeadlineEvent(
            call_uid=n.call_uid, title=n.title, deadline_at=n.deadline_at, deadline_date=n.deadline_date,
            organisation=n.organisation, reference=n.reference, sequence=self.sequences.get(n.call_uid, 0),
            cancelled=n.status == "cancelled", last_modified=n.last_changed_at, areas=tuple(a for a, _s in n.areas))

    def event(self, n: NoticeFacts) -> tuple[bytes, str | None] | None:
        """A call's serialised VEVENT and its quoted-printable form, made once per run (None: no deadline)."""
        if n.id not in self._events:
            event = self.deadline_event(n)
            block = None if event is None else self.writer.event(event)
            self._events[n.id] = None if block is None else (block, qp_crlf(block))
        return self._events[n.id]

    def attachment(self, name: str, shown: list[NoticeFacts]) -> tuple[bytes | None, str | None]:
        """The calendar of these calls' deadlines (one event per call, the first of a call wins, as
        ``CalendarWriter.calendar`` joins them) and its quoted-printable form; (None, None) without any."""
        seen: set[str] = set()
        blocks: list[bytes] = []
        codes: list[str | None] = []
        for n in shown:
            hit = None if n.call_uid in seen else self.event(n)
            if hit is not None:
                seen.add(n.call_uid)
                blocks.append(hit[0])
                codes.append(hit[1])
        if not blocks:
            return None, None
        head = self.writer.head(name=name)
        codes = [qp_crlf(head), *codes, _QP_END]
        ics = head + b"".join(blocks) + END
        return ics, None if None in codes else "".join(codes)  # type: ignore[arg-type]
