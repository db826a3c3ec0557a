"""Every date form the spiders meet becomes an aware datetime, or a reported problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.dates import DATE_LANGUAGES, parse_date, plausibility

ZURICH = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize(("text", "expected"), [
    ("15.12.2026", datetime(2026, 12, 15, 23, 59, tzinfo=ZURICH)),
    ("15/12/2026 13:00:00", datetime(2026, 12, 15, 13, 0, tzinfo=ZURICH)),
    ("15 December 2026", datetime(2026, 12, 15, 23, 59, tzinfo=ZURICH)),
    ("June 13, 2025", datetime(2025, 6, 13, 23, 59, tzinfo=ZURICH)),
    ("2026-12-15+05:00", datetime(2026, 12, 15, 23, 59, tzinfo=timezone(timedelta(hours=5)))),
    ("2026-12-15T12:00:00Z", datetime(2026, 12, 15, 12, 0, tzinfo=UTC)),
    ("13/09/2021 13:00 CEST", datetime(2021, 9, 13, 11, 0, tzinfo=UTC)),
    ("lundi 14 décembre 2026 12:00 CET", datetime(2026, 12, 14, 11, 0, tzinfo=UTC)),
    ("Montag, 14. Dezember 2026, 12:00 Uhr", datetime(2026, 12, 14, 12, 0, tzinfo=ZURICH)),
    ("15 de diciembre de 2026", datetime(2026, 12, 15, 23, 59, tzinfo=ZURICH)),
    ("15 dicembre 2026", datetime(2026, 12, 15, 23, 59, tzinfo=ZURICH)),
    ("15 december 2026", datetime(2026, 12, 15, 23, 59, tzinfo=ZURICH)),
    ("2014-12-18 16:00 (local time)", datetime(2014, 12, 18, 16, 0, tzinfo=ZURICH)),
    ("1797289200", datetime(2026, 12, 14, 23, 0, tzinfo=UTC)),
    ("1797289200000", datetime(2026, 12, 14, 23, 0, tzinfo=UTC)),
])
def test_forms(text: str, expected: datetime) -> None:
    parsed = parse_date(text, "Europe/Zurich", end_of_day=True)
    assert parsed.problem is None, parsed.problem
    assert parsed.value is not None and parsed.value.tzinfo is not None
    assert parsed.value == expected


def test_local_zone_is_the_organisations() -> None:
    assert parse_date("15.12.2026 12:00", "Europe/Madrid").value == datetime(2026, 12, 15, 11, 0, tzinfo=UTC)
    assert parse_date("15.12.2026").value == datetime(2026, 12, 15, tzinfo=UTC)  # start of day when published


def test_weekday_that_contradicts_the_day_is_reported() -> None:
    parsed = parse_date("lundi 15 décembre 2026 12:00 CET", "Europe/Zurich")
    assert parsed.value == datetime(2026, 12, 15, 11, 0, tzinfo=UTC)  # the day number is kept...
    assert parsed.problem and "Monday" in parsed.problem and "Tuesday" in parsed.problem  # ...and reported


@pytest.mark.parametrize(("text", "words"), [
    ("31.02.2026", "impossible"),
    ("12/31/2026", "impossible"),
    ("Q4 2019", "imprecise"),
    ("IV quarter of 2019", "imprecise"),
    ("December 2026", "imprecise"),
    ("15 December", "no year"),
    ("soon", "unreadable"),
    ("2026-12-15 12:00 XYZ", "unknown time zone"),
])
def test_not_guessed(text: str, words: str) -> None:
    parsed = parse_date(text, "Europe/Paris")
    assert parsed.value is None
    assert parsed.problem and words in parsed.problem and text in parsed.problem


@pytest.mark.parametrize(("text", "words"), [
    ("15.12.26", "two-digit year"),
    ("25.10.2026 02:30", "ambiguous local time"),
    ("29.03.2026 02:30", "nonexistent local time"),
])
def test_ambiguous_read_literally_and_reported(text: str, words: str) -> None:
    parsed = parse_date(text, "Europe/Paris")
    assert parsed.value is not None and parsed.problem and words in parsed.problem


def test_implausible_dates_are_reported() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    published = datetime(2026, 5, 1, tzinfo=UTC)
    assert any("before publication" in p for p in plausibility(published, datetime(2026, 4, 1, tzinfo=UTC), now))
    assert any("placeholder" in p for p in plausibility(published, datetime(2049, 12, 31, tzinfo=UTC), now))
    assert any("future" in p for p in plausibility(datetime(2026, 9, 1, tzinfo=UTC), None, now))
    assert plausibility(published, datetime(2026, 7, 1, tzinfo=UTC), now) == []


def test_an_unreadable_date_in_words_is_tried_in_the_projects_languages_only() -> None:
    """Without a language list dateparser tried every locale it has: the first date none could read loaded
    them all (1.8 s of CPU on a crawl's reactor thread, long enough for a Twisted traceback in the demo)."""
    import subprocess
    import sys

    code = ("from dateparser.languages import loader\n"
            "from pipeline.dates import parse_date\n"
            "print(parse_date('Closing date: when the first ships sail').problem)\n"
            "print(','.join(sorted(loader.default_loader._loaded_locales)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout.splitlines()
    assert out[0].startswith("unreadable date")
    assert out[1].split(",") == sorted(DATE_LANGUAGES) == ["de", "en", "es", "fr", "it", "nl"]
