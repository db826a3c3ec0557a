"""Turn the date strings spiders find into time-zone aware datetimes.

A date without a zone is read in the organisation's local time zone. Problems are returned, not
raised, so the caller can attach them to the notice (``warnings``) instead of guessing silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dateparser

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_UNIX = re.compile(r"^\d{9,10}(\.\d+)?$")


@dataclass
class ParsedDate:
    value: datetime | None
    problem: str | None = None


def parse_date(text: str | None, tz: str = "UTC", *, end_of_day: bool = False,
               languages: list[str] | None = None) -> ParsedDate:
    """Parse one date; a bare date means start of day (or 23:59 for deadlines when ``end_of_day``)."""
    if text is None or not text.strip():
        return ParsedDate(None)
    raw = " ".join(text.split())
    zone = ZoneInfo(tz)
    if _UNIX.match(raw):
        return ParsedDate(datetime.fromtimestamp(float(raw), UTC))
    m = _DMY.match(raw)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        hour, minute, sec = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if m[4] is None and end_of_day:
            hour, minute = 23, 59
        try:
            return ParsedDate(datetime(year, month, day, hour, minute, sec, tzinfo=zone))
        except ValueError as exc:
            return ParsedDate(None, f"impossible date {raw!r}: {exc}")
    try:
        parsed = dateparser.parse(
            raw,
            languages=languages,
            settings={
                "TIMEZONE": tz,
                "RETURN_AS_TIMEZONE_AWARE": True,
                "DATE_ORDER": "YMD" if raw[:4].isdigit() else "DMY",
                "PREFER_DAY_OF_MONTH": "first",
                "STRICT_PARSING": False,
                "REQUIRE_PARTS": ["day", "month", "year"],
            },
        )
    except (ValueError, OverflowError) as exc:
        return ParsedDate(None, f"impossible date {raw!r}: {exc}")
    if parsed is None:
        return ParsedDate(None, f"unreadable date {raw!r}")
    if end_of_day and (_ISO_DATE.match(raw) or (parsed.hour == 0 and parsed.minute == 0 and ":" not in raw)):
        parsed = parsed.replace(hour=23, minute=59)
    return ParsedDate(parsed)


def plausibility(published: datetime | None, deadline: datetime | None, now: datetime) -> list[str]:
    """Warnings for dates that parse but cannot be right (deadline before publication, placeholders)."""
    problems = []
    if published and deadline and deadline < published:
        problems.append(f"deadline {deadline.isoformat()} is before publication {published.isoformat()}")
    for name, value in (("deadline", deadline), ("published", published)):
        if value is not None and value.year > now.year + 5:
            problems.append(f"{name} {value.date().isoformat()} is implausibly far ahead (placeholder?)")
    if published is not None and published > now.replace(year=now.year + 1):
        problems.append(f"published date {published.date().isoformat()} is in the future")
    return problems
