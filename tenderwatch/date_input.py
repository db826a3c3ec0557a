"""Dates typed by people: web filters (``/calls``, ``/calls.csv``, ``/georeturn`` and its CSV),
saved searches and command-line options all go through ``parse_user_date`` (and ``parse_user_week``).

A date a person types is either understood or refused with a message saying which field and why;
it is never dropped silently (the filter would then show more than asked) and never reaches the
database or date arithmetic out of range: ``9999-12-31`` plus one day, or ``0001-01-01`` moved to
UTC, overflows Python's ``date`` and gave 500s. The range (1950 to 2100) holds every procurement
date Tenderwatch can meet, with room on both sides.

``DateInputError`` keeps its English template and values apart, so that the web site can show it
in the reader's language (``tenderwatch.web.i18n`` has the Dutch of each template).
"""

from __future__ import annotations

import re
from datetime import date

EARLIEST = date(1950, 1, 1)
LATEST = date(2100, 12, 31)

NOT_A_DATE = "{value} is not a date: use YYYY-MM-DD, e.g. 2026-03-31"
OUT_OF_RANGE = "{value} is out of range: use a date from {earliest} to {latest}"
NOT_A_WEEK = "{value} is not a week: use YYYY-Www, e.g. 2026-W07"
NO_SUCH_WEEK = "{value}: {year} has no week {week}"
TEMPLATES = (NOT_A_DATE, OUT_OF_RANGE, NOT_A_WEEK, NO_SUCH_WEEK)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class DateInputError(ValueError):
    """A typed date that is refused: ``field`` (as the user knows it: ``--since``, ``deadline_to``),
    an English ``template`` from this module and its ``values``."""

    def __init__(self, field: str, template: str, **values: object) -> None:
        self.field, self.template, self.values = field, template, values
        super().__init__(f"{field}: {self.message}")

    @property
    def message(self) -> str:
        return self.template.format(**self.values)


def _bounds() -> dict[str, str]:
    return {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}


def parse_user_date(value: object, *, field: str) -> date | None:
    """``None`` for an empty value; the date of ``YYYY-MM-DD`` from 1950-01-01 to 2100-12-31;
    anything else raises ``DateInputError``."""
    text = str(value or "").strip()
    if not text:
        return None
    shown = repr(text[:40])
    if not ISO_DATE.match(text):
        raise DateInputError(field, NOT_A_DATE, value=shown)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DateInputError(field, NOT_A_DATE, value=shown) from None
    if not EARLIEST <= day <= LATEST:
        raise DateInputError(field, OUT_OF_RANGE, value=text, **_bounds())
    return day


def parse_user_week(value: object, *, field: str) -> str | None:
    """``None`` for an empty value; an ISO week ``YYYY-Www`` (``2026W7`` and ``2026-w07`` are read as
    ``2026-W07``) whose days lie in the range of ``parse_user_date``; else ``DateInputError``."""
    text = str(value or "").strip()
    if not text:
        return None
    match = ISO_WEEK.match(text)
    if not match:
        raise DateInputError(field, NOT_A_WEEK, value=repr(text[:40]))
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise DateInputError(field, NO_SUCH_WEEK, value=text, year=year, week=week) from None
    if not EARLIEST <= monday <= LATEST:
        raise DateInputError(field, OUT_OF_RANGE, value=text, **_bounds())
    return f"{year}-W{week:02d}"
