"""Digest periods: ISO weeks ('2025-W23') and days ('2025-06-02'), in the settings' time zone.

The period key is part of the ledger's unique key, so it must be the same for every run that
concerns the same week, whatever the hour or the machine's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tenderwatch.formats import format_date

WEEK_LABEL = {"en": "week {week}, {year}", "nl": "week {week} van {year}"}
_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    key: str
    """Ledger key: '2025-W23' or '2025-06-02'."""
    frequency: str
    start: datetime
    end: datetime
    as_of: datetime
    """The moment the digest describes: now, or the end of a past period."""
    length: timedelta

    def label(self, language: str) -> str:
        """'week 23, 2025' / 'week 23 van 2025'; a day as the reader's language writes it ('wo 4 jun 2025')."""
        if self.frequency == "weekly":
            year, week = self.key.split("-W")
            return WEEK_LABEL.get(language, WEEK_LABEL["en"]).format(week=int(week), year=year)
        return format_date(date.fromisoformat(self.key), language)


def parse_week(value: str) -> date:
    """Monday of an ISO week given as YYYY-Www; a clear ValueError otherwise."""
    m = _WEEK.match(value.strip())
    if not m:
        raise ValueError(f"bad week {value!r}: use the ISO form YYYY-Www, e.g. 2025-W23")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"bad week {value!r}: {year} has no week {week}") from exc


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def period_for(frequency: str, *, now: datetime, timezone: str, week: str | None = None,
               day: date | None = None) -> Period:
    """The period a digest run covers. Without ``week``/``day``: the one containing ``now``."""
    tz = ZoneInfo(timezone)
    local_now = now.astimezone(tz)
    if frequency == "weekly":
        monday = parse_week(week) if week else local_now.date() - timedelta(days=local_now.weekday())
        length = timedelta(days=7)
        start = datetime.combine(monday, time(0), tz)
        key = week_key(monday)
    elif frequency == "daily":
        first = day or local_now.date()
        length = timedelta(days=1)
        start = datetime.combine(first, time(0), tz)
        key = first.isoformat()
    else:
        raise ValueError(f"unknown digest frequency {frequency!r} (weekly or daily)")
    end = datetime.combine(start.date() + length, time(0), tz)
    as_of = min(now, end).astimezone(UTC)
    return Period(key=key, frequency=frequency, start=start.astimezone(UTC), end=end.astimezone(UTC),
                  as_of=as_of, length=length)
