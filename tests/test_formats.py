"""``tenderwatch.formats``: one style for every time, date and deadline a person reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tenderwatch.formats import (
    days_left,
    deadline_value,
    format_date,
    format_day,
    format_days_left,
    format_deadline,
    format_deadline_value,
    format_time,
)


def test_a_moment_is_local_time_with_the_zone_name_in_the_readers_language() -> None:
    moment = datetime(2026, 12, 18, 16, 0, tzinfo=UTC)
    assert format_time(moment, "Europe/Amsterdam", "en") == "Fri 18 Dec 2026, 17:00 CET"
    assert format_time(moment, "Europe/Amsterdam", "nl") == "vr 18 dec 2026, 17:00 CET"
    summer = datetime(2026, 6, 16, 10, 0, tzinfo=UTC)
    assert format_time(summer, "Europe/Amsterdam", "en") == "Tue 16 Jun 2026, 12:00 CEST"
    assert format_time(summer, "Europe/London", "en") == "Tue 16 Jun 2026, 11:00 BST"


def test_a_date_only_deadline_stays_on_its_own_day_without_an_invented_time() -> None:
    # SKAO (Europe/London): "18 December 2026" is stored as the end of that day in London; a reader in
    # Amsterdam (an hour ahead) must still read 18 December, and no hour
    end_of_day_london = datetime(2026, 12, 18, 23, 59, tzinfo=UTC)
    day = date(2026, 12, 18)
    assert format_deadline(end_of_day_london, "Europe/Amsterdam", "en", day) == "Fri 18 Dec 2026"
    assert format_deadline(end_of_day_london, "Europe/Amsterdam", "nl", day) == "vr 18 dec 2026"
    # without the date-only mark the same moment is the next day's 00:59 for that reader
    assert format_deadline(end_of_day_london, "Europe/Amsterdam", "en") == "Sat 19 Dec 2026, 00:59 CET"
    at = datetime(2026, 12, 18, 8, 0, tzinfo=UTC)
    assert days_left(end_of_day_london, at, "Europe/Amsterdam", day) == 0
    assert days_left(end_of_day_london, at, "Europe/Amsterdam") == 1


@pytest.mark.parametrize(("left", "en", "nl"), [
    (-2, "closes today", "sluit vandaag"), (0, "closes today", "sluit vandaag"),
    (1, "1 day left", "nog 1 dag"), (3, "3 days left", "nog 3 dagen"), (21, "21 days left", "nog 21 dagen"),
])
def test_days_left_use_the_languages_plural(left: int, en: str, nl: str) -> None:
    assert format_days_left(left, "en") == en
    assert format_days_left(left, "nl") == nl


def test_recorded_deadline_values_read_back_as_dates_or_moments() -> None:
    assert deadline_value("2026-12-18") == (datetime(2026, 12, 18, 23, 59, tzinfo=UTC), date(2026, 12, 18))
    assert deadline_value("2035-03-13T16:00:00+00:00")[1] is None
    assert deadline_value("not a date") == (None, None)
    assert deadline_value(None) == (None, None)
    assert format_deadline_value("2026-12-18", "America/New_York", "en") == "Fri 18 Dec 2026"
    assert format_deadline_value("2035-03-13T16:00:00+00:00", "Europe/Amsterdam", "en") == "Tue 13 Mar 2035, 17:00 CET"
    assert format_deadline_value("", "Europe/Amsterdam", "en") is None


def test_days_and_dates() -> None:
    assert format_date(date(2026, 3, 1), "nl", weekday=False) == "1 mrt 2026"
    assert format_day(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Europe/Amsterdam", "en") == "2 Mar 2026"
