"""Every value a person reads, formatted once: times, dates, deadlines and days left (Babel).

The web pages, the mails and the feeds' summaries all call these functions, so a deadline reads the
same everywhere: local time in the reader's zone with the zone's name ("Fri 18 Dec 2026, 17:00
CET"), words and order of the reader's language ("vr 18 dec 2026, 17:00 CET"). A deadline the notice
gave as a date only is shown as that date, never with an hour nobody stated, and is never moved to
another day by converting it to the reader's zone.

Values are computed once per (value, zone, language): a digest run formats the same deadline for
thousands of readers.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

LANGUAGES = ("en", "nl")
LOCALES = {"en": "en_GB", "nl": "nl_NL"}
"""The reader's language -> the Babel locale whose conventions it follows (British English: day first)."""

TIME_PATTERN = "EEE d MMM y, HH:mm"
DATE_PATTERN = "EEE d MMM y"
SHORT_DATE_PATTERN = "d MMM y"


def locale_of(language: str | None) -> str:
    """The Babel locale of a reader's language (English for an unknown one)."""
    return LOCALES.get(language or "en", LOCALES["en"])


@lru_cache(maxsize=200_000)
def format_time(moment: datetime, timezone: str, language: str) -> str:
    """A moment in the reader's zone: 'Fri 18 Dec 2026, 17:00 CET' / 'vr 18 dec 2026, 17:00 CET'.

    The zone's own abbreviation (CET, CEST, GMT, EDT) rather than CLDR's zone names, which are long
    words outside Europe and differ between languages for the same zone.
    """
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    shown = _babel_datetime(local, TIME_PATTERN, tzinfo=zone, locale=locale_of(language))
    return f"{shown} {local.tzname()}"


@lru_cache(maxsize=50_000)
def format_date(day: date, language: str, *, weekday: bool = True) -> str:
    """A calendar day: 'Fri 18 Dec 2026' (or '18 Dec 2026' without the weekday)."""
    return _babel_date(day, DATE_PATTERN if weekday else SHORT_DATE_PATTERN, locale=locale_of(language))


def format_day(moment: datetime, timezone: str, language: str, *, weekday: bool = False) -> str:
    """The reader's calendar day of a moment ('18 Dec 2026'): publication dates, link expiry."""
    return format_date(moment.astimezone(ZoneInfo(timezone)).date(), language, weekday=weekday)


def format_deadline(deadline_at: datetime, timezone: str, language: str, day: date | None = None) -> str:
    """A deadline as the reader should read it.

    ``day``: the notice gave its deadline as this date only (``Notice.deadline_date``): shown as that
    date, on that date, whatever the reader's zone. Otherwise the moment in the reader's zone.
    """
    if day is not None:
        return format_date(day, language)
    return format_time(deadline_at, timezone, language)


def deadline_day(deadline_at: datetime, timezone: str, day: date | None = None) -> date:
    """The calendar day a deadline falls on for a reader in ``timezone`` (a date-only deadline's own day)."""
    return day if day is not None else deadline_at.astimezone(ZoneInfo(timezone)).date()


def days_left(deadline_at: datetime, at: datetime, timezone: str, day: date | None = None) -> int:
    """Calendar days from ``at`` to the deadline, both in the reader's zone (0 = closes today)."""
    return (deadline_day(deadline_at, timezone, day) - at.astimezone(ZoneInfo(timezone)).date()).days


DAYS_LEFT: dict[str, dict[str, str]] = {
    "en": {"today": "closes today", "one": "{n} day left", "other": "{n} days left"},
    "nl": {"today": "sluit vandaag", "one": "nog {n} dag", "other": "nog {n} dagen"},
}
"""Words for days left, by the CLDR plural category of the number in the reader's language."""


def format_days_left(left: int, language: str) -> str:
    """'closes today', '1 day left', '3 days left' ('nog 3 dagen'): the plural the language uses."""
    words = DAYS_LEFT.get(language, DAYS_LEFT["en"])
    if left <= 0:
        return words["today"]
    category = Locale.parse(locale_of(language)).plural_form(left)
    return words.get(category, words["other"]).format(n=left)


def deadline_value(value: str | None) -> tuple[datetime | None, date | None]:
    """A deadline as recorded in a change (``notice_changes``) or an export: an ISO datetime, or an ISO
    date when the notice gave a date only. Returns (moment, day); (None, None) for no or unreadable value."""
    if not value or not isinstance(value, str):
        return None, None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, 23, 59, tzinfo=ZoneInfo("UTC")), day
        return datetime.fromisoformat(value), None
    except ValueError:
        return None, None


def format_deadline_value(value: str | None, timezone: str, language: str) -> str | None:
    """A recorded deadline value (see ``deadline_value``) formatted for a reader; None when there is none."""
    moment, day = deadline_value(value)
    if moment is None:
        return None
    return format_deadline(moment, timezone, language, day)
