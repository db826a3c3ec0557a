"""Every value a person reads, formatted once: times, dates, deadlines, days left, numbers, counted
nouns, money and value bands (Babel).

The web pages, the mails and the feeds' summaries all call these functions, so a deadline reads the
same everywhere: local time in the reader's zone with the zone's name ("Fri 18 Dec 2026, 17:00
CET"), words and order of the reader's language ("vr 18 dec 2026, 17:00 CET"). A deadline the notice
gave as a date only is shown as that date, never with an hour nobody stated, and is never moved to
another day by converting it to the reader's zone.

Values are computed once per (value, zone, language): a digest run formats the same deadline for
thousands of readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_compact_currency as _babel_compact_currency
from babel.numbers import format_compact_decimal as _babel_compact_decimal
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal

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
    return format_count(left, words, language)


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


# --------------------------------------------------------------------------- numbers, plurals, money


@lru_cache(maxsize=20_000, typed=True)
def format_number(value: int | float | Decimal, language: str) -> str:
    """A number with the reader's separators: '12,345' in English, '12.345' in Dutch (cached: a digest run
    writes the same few counts thousands of times)."""
    return _babel_decimal(value, locale=locale_of(language))


@lru_cache(maxsize=8)
def _locale(language: str) -> Locale:
    return Locale.parse(locale_of(language))


@lru_cache(maxsize=20_000)
def plural_category(count: int, language: str) -> str:
    """CLDR's plural category of ``count`` in the reader's language ('one', 'other', ...)."""
    return _locale(language).plural_form(count)


def format_count(count: int, forms: Mapping[str, str], language: str, **values: object) -> str:
    """'1 call' / '3 calls' / '1.234 oproepen': the form CLDR's plural rules pick, with the number
    formatted for the language. ``forms`` maps plural categories to texts holding ``{n}``; 'other'
    is required (every language has it)."""
    text = forms.get(plural_category(count, language)) or forms["other"]
    return text.format(n=format_number(count, language), **values)


@lru_cache(maxsize=50_000)
def format_money(amount: Decimal, currency: str | None, language: str) -> str:
    """An amount with its currency in the reader's style ('€1,250,000.00', '€ 1.250.000,00')."""
    if currency:
        try:
            return _babel_currency(amount, currency, locale=locale_of(language), format_type="standard")
        except (ValueError, KeyError):  # a code Babel does not know (historic currencies): number + code
            pass
    return f"{format_number(amount, language)} {currency or ''}".strip()


BAND_WORDS: dict[str, dict[str, str]] = {
    "en": {"between": "{low}{dash}{high}", "over": "over {low}", "under": "under {high}"},
    "nl": {"between": "{low}{dash}{high}", "over": "meer dan {low}", "under": "minder dan {high}"},
}
"""How a value band reads when it has both bounds, only a lower one, or only an upper one (the dash is
spaced when the amounts hold spaces, as Dutch ones do: 'CHF 5 mln. – CHF 10 mln.')."""


@lru_cache(maxsize=1_000)
def _compact(amount: Decimal, currency: str, language: str) -> str:
    try:
        return _babel_compact_currency(amount, currency, locale=locale_of(language), fraction_digits=1)
    except (ValueError, KeyError):
        return f"{_babel_compact_decimal(amount, locale=locale_of(language), fraction_digits=1)} {currency}"


def format_value_band(low: Decimal | None, high: Decimal | None, currency: str, language: str) -> str | None:
    """An organisation's value band in the reader's language: 'CHF5m–CHF10m', 'meer dan € 500K'.

    Amounts are compact (a band is an order of magnitude, not a price); None when neither bound is known.
    """
    words = BAND_WORDS.get(language, BAND_WORDS["en"])
    if low is not None and high is not None:
        low_text, high_text = _compact(low, currency, language), _compact(high, currency, language)
        dash = " – " if any(c.isspace() for c in low_text + high_text) else "–"
        return words["between"].format(low=low_text, high=high_text, dash=dash)
    if low is not None:
        return words["over"].format(low=_compact(low, currency, language))
    if high is not None:
        return words["under"].format(high=_compact(high, currency, language))


# --------------------------------------------------------------------------- changes


CHANGE_WORDS: dict[str, dict[str, str]] = {
    "en": {"deadline_at": "deadline moved from {old} to {new}", "status": "status changed from {old} to {new}",
           "title": "title changed", "description": "description changed", "any": "{field} changed",
           "values": "{field} changed from {old} to {new}", "none": "not given"},
    "nl": {"deadline_at": "deadline verschoven van {old} naar {new}", "status": "status gewijzigd van {old} in {new}",
           "title": "titel gewijzigd", "description": "beschrijving gewijzigd", "any": "{field} gewijzigd",
           "values": "{field} gewijzigd van {old} in {new}", "none": "niet vermeld"},
}
"""How a recorded change reads (``describe_change``): the call page's history, feeds and mails say it alike."""

FIELD_NAMES: dict[str, dict[str, str]] = {
    "en": {"notice_type": "notice type", "documents_url": "documents", "published_at": "publication date",
           "cpv_codes": "CPV codes", "eligible_countries": "eligible countries"},
    "nl": {"notice_type": "soort aankondiging", "documents_url": "documenten", "published_at": "publicatiedatum",
           "cpv_codes": "CPV-codes", "eligible_countries": "toegelaten landen", "value": "waarde", "url": "link",
           "reference": "referentie"},
}
STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {"open": "open", "closed": "closed", "cancelled": "cancelled", "awarded": "awarded"},
    "nl": {"open": "open", "closed": "gesloten", "cancelled": "geannuleerd", "awarded": "gegund"},
}


def describe_change(field: str, old: object, new: object, timezone: str, language: str) -> str:
    """A recorded change (``notice_changes``) in the reader's words: 'deadline moved from Fri 13 Mar 2026,
    17:00 CET to Fri 10 Apr 2026, 17:00 CEST'; a long text is not quoted ('description changed')."""
    words = CHANGE_WORDS.get(language, CHANGE_WORDS["en"])
    if field == "deadline_at":
        return words["deadline_at"].format(
            old=format_deadline_value(old if isinstance(old, str) else None, timezone, language) or words["none"],
            new=format_deadline_value(new if isinstance(new, str) else None, timezone, language) or words["none"])
    if field == "status":
        statuses = STATUS_WORDS.get(language, STATUS_WORDS["en"])
        return words["status"].format(old=statuses.get(str(old), str(old)), new=statuses.get(str(new), str(new)))
    if field in ("title", "description"):
        return words[field]
    name = FIELD_NAMES.get(language, {}).get(field) or FIELD_NAMES["en"].get(field) or field.replace("_", " ")
    shown_old, shown_new = _change_value(field, old, timezone, language), _change_value(field, new, timezone, language)
    if shown_old is None or shown_new is None:
        return words["any"].format(field=name)
    return words["values"].format(field=name, old=shown_old, new=shown_new)


def _change_value(field: str, value: object, timezone: str, language: str) -> str | None:
    """A short value of a change worth quoting (an amount, a date, a type, a reference), else None."""
    if isinstance(value, dict) and "amount" in value:
        try:
            return format_money(Decimal(str(value["amount"])), value.get("currency"), language)
        except ArithmeticError:
            return f"{value['amount']} {value.get('currency') or ''}".strip()
    if field == "published_at" and isinstance(value, str):
        moment, _ = deadline_value(value)
        return format_day(moment, timezone, language) if moment else None
    if field in ("notice_type", "reference") and isinstance(value, str) and len(value) <= 100:
        return value.replace("_", " ") if field == "notice_type" else value
    return None
