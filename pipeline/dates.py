"""Turn the date strings spiders find into time-zone aware datetimes.

Forms met on the organisations' pages and feeds: ``15.12.2026``, ``15/12/2026 13:00:00``,
``15 December 2026``, ``2026-12-15+01:00``, ``2021-09-13 13:00 CEST``,
``lundi 15 décembre 2026 12:00 CET``, ``2014-12-18 16:00 (local time)``, Unix times, and
imprecise ones (``Q4 2019``, ``December 2026``).

A date without a zone is read in the organisation's local time zone. Problems are returned, not
raised, so the caller attaches them to the notice (``warnings``) instead of guessing silently:
an impossible date gives no value; an imprecise one (quarter, month only, no year) gives no
value; an ambiguous one (two-digit year, weekday that contradicts the day, a local time that
occurs twice or never at a DST change) gives the most literal reading *and* a problem.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_LOCAL = re.compile(
    r"\(?\b(local time|heure locale|ortszeit|lokale tijd|ora locale|hora local|brussels time)\b\)?", re.I
)
_UNIX = re.compile(r"^(\d{9,10}|\d{12,13})(\.\d+)?$")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|[A-Z]{3,4})?$"
)
_NUMERIC = re.compile(
    r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?:[ T,]+(?:at\s+|um\s+|a\s+|à\s+)?(\d{1,2})[:h.](\d{2})"
    r"(?::(\d{2}))?(?:\s*(?:h|uhr|hrs))?)?\s*([A-Z]{3,4})?$",
    re.I,
)
_QUARTER = re.compile(
    r"\b(Q[1-4]|[1-4](?:st|nd|rd|th)?\s+quarter|(?:I|II|III|IV)\s+quarter|[1-4]e?\s+trimestre)\b", re.I
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")

ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2,
    "EET": 2, "EEST": 3,
}
"""Zone abbreviations seen on the organisations' pages, in hours east of UTC."""

WEEKDAYS = {
    0: ("monday", "lundi", "montag", "maandag", "lunedi", "lunes"),
    1: ("tuesday", "mardi", "dienstag", "dinsdag", "martedi", "martes"),
    2: ("wednesday", "mercredi", "mittwoch", "woensdag", "mercoledi", "miercoles"),
    3: ("thursday", "jeudi", "donnerstag", "donderdag", "giovedi", "jueves"),
    4: ("friday", "vendredi", "freitag", "vrijdag", "venerdi", "viernes"),
    5: ("saturday", "samedi", "samstag", "zaterdag", "sabato", "sabado"),
    6: ("sunday", "dimanche", "sonntag", "zondag", "domenica", "domingo"),
}
_WEEKDAY_OF = {name: day for day, names in WEEKDAYS.items() for name in names}
_WEEKDAY_RE = re.compile(r"\b(" + "|".join(_WEEKDAY_OF) + r")\b", re.I)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class ParsedDate:
    value: datetime | None
    problem: str | None = None
    date_only: bool = False
    """The text gave a day without a time: ``value`` is that day's start (or end, for a deadline) in
    the zone it was read in, an hour nobody stated (``day`` is what the text said)."""

    @property
    def day(self) -> date | None:
        """The day a date-only text named (in its own zone), else None."""
        return self.value.date() if self.date_only and self.value is not None else None


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _zone_of(label: str | None, default: tzinfo) -> tzinfo | None:
    """The tzinfo of an offset or abbreviation; None when the label is not a zone we know."""
    if not label:
        return default
    label = label.upper()
    if label in ZONE_ABBREVIATIONS:
        return timezone(timedelta(hours=ZONE_ABBREVIATIONS[label]))
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", label)
    if m:
        sign = 1 if m[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(m[2]), minutes=int(m[3])))
    return None


def _local_problem(value: datetime, raw: str) -> str | None:
    """A wall-clock time that a DST change makes occur twice (ambiguous) or never (nonexistent)."""
    if not isinstance(value.tzinfo, ZoneInfo):
        return None
    first, second = value.replace(fold=0), value.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(value.tzinfo)
        if round_trip.replace(tzinfo=None) != value.replace(tzinfo=None):
            return f"nonexistent local time {raw!r} (clocks go forward then in {value.tzinfo.key})"
        return (f"ambiguous local time {raw!r} (occurs twice when clocks go back in {value.tzinfo.key}); "
                "read as the first")
    return None


def _build(raw: str, year: int, month: int, day: int, hour: int | None, minute: int, second: int,
           zone: tzinfo, end_of_day: bool) -> ParsedDate:
    date_only = hour is None
    if hour is None:
        hour, minute, second = (23, 59, 0) if end_of_day else (0, 0, 0)
    try:
        value = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        return ParsedDate(None, f"impossible date {raw!r}: {exc}")
    return ParsedDate(value, None if date_only else _local_problem(value, raw), date_only)


def _with_weekday_check(parsed: ParsedDate, raw: str) -> ParsedDate:
    m = _WEEKDAY_RE.search(_fold(raw))
    if parsed.value is None or m is None:
        return parsed
    said = _WEEKDAY_OF[m[1].lower()]
    actual = parsed.value.weekday()
    if said == actual:
        return parsed
    problem = (f"ambiguous date {raw!r}: {m[1]} is a {_DAY_NAMES[said]}, but {parsed.value.date().isoformat()} "
               f"is a {_DAY_NAMES[actual]}; the day number was kept")
    return ParsedDate(parsed.value, "; ".join(p for p in (parsed.problem, problem) if p), parsed.date_only)


def parse_date(text: str | None, tz: str = "UTC", *, end_of_day: bool = False,
               languages: list[str] | None = None) -> ParsedDate:
    """Parse one date; a bare date means start of day (or 23:59 local for deadlines, ``end_of_day``).

    Numeric dates are read day first (``15.12.2026``, ``15/12/2026``): every organisation
    followed here writes them so; ``12/31/2026`` is therefore reported impossible, not swapped.
    """
    if text is None or not text.strip():
        return ParsedDate(None)
    raw = " ".join(text.split())
    zone = ZoneInfo(tz)
    core = _LOCAL.sub("", raw).strip(" ,;")

    m = _UNIX.match(core)
    if m:
        seconds = float(core) / (1000 if len(m[1]) > 10 else 1)
        return ParsedDate(datetime.fromtimestamp(seconds, UTC))

    m = _ISO.match(core)
    if m:
        given = _zone_of(m[7], zone)
        if given is None:
            return ParsedDate(None, f"unknown time zone {m[7]!r} in date {raw!r}")
        hour = int(m[4]) if m[4] is not None else None
        return _build(raw, int(m[1]), int(m[2]), int(m[3]), hour, int(m[5] or 0), int(m[6] or 0), given,
                      end_of_day)

    m = _NUMERIC.match(core)
    if m:
        given = _zone_of(m[7], zone)
        if given is None:
            return ParsedDate(None, f"unknown time zone {m[7]!r} in date {raw!r}")
        year = int(m[3])
        problem = None
        if len(m[3]) == 2:
            year += 2000
            problem = f"two-digit year in {raw!r} read as {year}"
        hour = int(m[4]) if m[4] is not None else None
        parsed = _build(raw, year, int(m[2]), int(m[1]), hour, int(m[5] or 0), int(m[6] or 0), given, end_of_day)
        if problem and parsed.value is not None:
            parsed = ParsedDate(parsed.value, "; ".join(p for p in (problem, parsed.problem) if p), parsed.date_only)
        return parsed

    if _QUARTER.search(core):
        return ParsedDate(None, f"imprecise date {raw!r}: a quarter, not a day; not guessed")
    return _with_weekday_check(_natural(raw, core, zone, tz, end_of_day, languages), raw)


DATE_LANGUAGES = ["en", "fr", "de", "nl", "it", "es"]
"""The languages a date in words is read in when the caller names none: those the organisations
followed here publish their pages in. Without a list dateparser tries every locale it has, and the
first date none of them reads ("Q3 2027 tbc") loaded them all: 1.8 s of CPU against 0.2 s, on the
crawl's reactor thread, long enough for Scrapy's one-second timer on closing connections to fire after
they had closed (a ``twisted AlreadyCalledError`` traceback in ``make demo``)."""


def _natural(raw: str, core: str, zone: ZoneInfo, tz: str, end_of_day: bool,
             languages: list[str] | None) -> ParsedDate:
    """Dates in words, in any of the project's languages (``DATE_LANGUAGES``), through dateparser."""
    import dateparser

    languages = languages or DATE_LANGUAGES

    text = _WEEKDAY_RE.sub("", _fold(core)) if _WEEKDAY_RE.search(_fold(core)) else core
    settings: dict[str, object] = {
        "TIMEZONE": tz,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "DATE_ORDER": "YMD" if core[:4].isdigit() else "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    try:
        parsed = dateparser.parse(text, languages=languages, settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        return ParsedDate(None, f"impossible date {raw!r}: {exc}")
    if parsed is None:
        if not _YEAR.search(core) and dateparser.parse(text, languages=languages) is not None:
            return ParsedDate(None, f"incomplete date {raw!r}: no year; not guessed")
        partial = dateparser.parse(text, languages=languages, settings={"REQUIRE_PARTS": ["month", "year"]})
        if partial is not None:
            return ParsedDate(None, f"imprecise date {raw!r}: a month, not a day; not guessed")
        return ParsedDate(None, f"unreadable date {raw!r}")
    has_time = bool(re.search(r"\d{1,2}[:h]\d{2}", core))
    if parsed.tzinfo is None:  # RETURN_AS_TIMEZONE_AWARE should prevent it; never return a naive value
        parsed = parsed.replace(tzinfo=zone)
    if not has_time:
        local = parsed.astimezone(zone)
        return _build(raw, local.year, local.month, local.day, None, 0, 0, zone, end_of_day)
    if parsed.utcoffset() == zone.utcoffset(parsed.replace(tzinfo=None)):
        local = parsed.replace(tzinfo=None)
        return _build(raw, local.year, local.month, local.day, local.hour, local.minute, local.second, zone,
                      end_of_day=False)
    offset = parsed.utcoffset()
    return ParsedDate(parsed.astimezone(timezone(offset)) if offset is not None else parsed)


def at_the_hour(day: date, hour: time, zone: str) -> datetime:
    """A date-only deadline at the hour an organisation's rules set (``OrganisationConfig.deadline_time``)."""
    return datetime.combine(day, hour, tzinfo=ZoneInfo(zone))


def plausibility(published: datetime | None, deadline: datetime | None, now: datetime) -> list[str]:
    """Warnings for dates that parse but cannot be right (deadline before publication, placeholders)."""
    problems = []
    if published and deadline and deadline < published:
        problems.append(f"deadline {deadline.isoformat()} is before publication {published.isoformat()}")
    for name, value in (("deadline", deadline), ("published", published)):
        if value is not None and value.year > now.year + 5:
            problems.append(f"{name} {value.date().isoformat()} is implausibly far ahead (placeholder?)")
    if published is not None and published > now + timedelta(days=2):
        problems.append(f"published date {published.date().isoformat()} is in the future")
    return problems
