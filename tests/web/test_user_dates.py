"""Dates typed by people, on every page and file that takes one (issue 18 #6): a date that is not one,
or out of range (``9999-12-31`` gave a 500 on ``/calls``, ``/calls.csv``, ``/georeturn`` and its CSV,
and a saved search holding one broke its public feed for good), is refused with a message naming
the field; the rest of the filter still applies. Also what an empty result says."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tenderwatch import date_input
from tenderwatch.date_input import DateInputError, parse_user_date, parse_user_week
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import SavedSearch
from tenderwatch.web import queries
from tenderwatch.web.i18n import NL

from .test_site import _csrf, _login, _titles

OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1949-12-31", "2101-01-01"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_out_of_range_dates_are_refused_by_name(value: str) -> None:
    with pytest.raises(DateInputError) as err:
        parse_user_date(value, field="deadline_to")
    assert str(err.value) == f"deadline_to: {value} is out of range: use a date from 1950-01-01 to 2100-12-31"


def test_the_one_date_rule() -> None:
    assert parse_user_date(" 2026-03-31 ", field="x") == date(2026, 3, 31)
    assert parse_user_date("", field="x") is None and parse_user_date(None, field="x") is None
    for bad in ("2026-02-30", "31-03-2026", "2026-3-31", "tomorrow", "2026-03-31T00:00", "+12026-01-01"):
        with pytest.raises(DateInputError, match="is not a date"):
            parse_user_date(bad, field="x")
    assert parse_user_week("2026w7", field="--week") == "2026-W07"
    assert parse_user_week("2026-W53", field="--week") == "2026-W53"
    with pytest.raises(DateInputError, match="2025 has no week 53"):
        parse_user_week("2025-W53", field="--week")
    with pytest.raises(DateInputError, match="out of range"):
        parse_user_week("9999-W52", field="--week")


def test_every_message_has_its_dutch() -> None:
    for template in (*date_input.TEMPLATES, queries.UNKNOWN_VALUE, queries.NOT_A_COUNTRY):
        assert template in NL, template
        assert set(re.findall(r"{\\w+}", NL[template])) == set(re.findall(r"{\\w+}", template))


@pytest.mark.parametrize("value", [*OUT_OF_RANGE, "garbage"])
def test_calls_page_and_csv_say_what_they_left_out(client, seeded, value: str) -> None:
    everything = _titles(client.get("/calls").text)
    page = client.get("/calls", params={"deadline_to": value, "organisation": "CERN"})
    assert page.status_code == 400
    assert "Left out of the filter" in page.text and "Deadline until: " in page.text
    assert ("out of range" if value != "garbage" else "is not a date") in page.text
    assert set(_titles(page.text)) <= set(everything) and _titles(page.text)  # the organisation still filters
    csv_ = client.get("/calls.csv", params={"deadline_from": value})
    assert csv_.status_code == 400 and csv_.text.startswith("deadline_from: ")
    dutch = client.get("/calls", params={"deadline_from": value, "lang": "nl"})
    assert "Niet in het filter opgenomen" in dutch.text and "Deadline vanaf" in dutch.text


@pytest.mark.parametrize("params", [{"start": "0001-01-01"}, {"end": "9999-12-31"}, {"start": "2026-02-30"},
                                    {"organisation": "NASA"}])
def test_georeturn_and_its_csv_say_what_they_left_out(client, seeded, params: dict[str, str]) -> None:
    page = client.get("/georeturn", params=params)
    assert page.status_code == 400 and "Left out of the filter" in page.text and 'id="trend-h"' in page.text
    csv_ = client.get("/georeturn.csv", params=params)
    assert csv_.status_code == 400 and csv_.text.split(":")[0] in params


def test_a_saved_search_never_keeps_a_date_that_breaks_its_feed(client, seeded, engine) -> None:
    _login(client)
    token = _csrf(client.get("/calls").text)
    refused = client.post("/ilo/searches", data={"csrf_token": token, "title": "Far future",
                                                 "deadline_to": "9999-12-31"}, follow_redirects=False)
    assert refused.status_code == 400 and "not saved" in refused.text and "out of range" in refused.text
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SavedSearch)) == 0
        # one stored before this rule existed still gives its feed (the bad date is left out)
        session.add(SavedSearch(slug="legacy", title="Legacy", query={"deadline_to": "9999-12-31",
                                                                       "area": "cryogenics"}))
    feed = client.get("/feeds/search/legacy.atom")
    assert feed.status_code == 200 and "Supply of a cryostat" in feed.text


def test_an_empty_result_says_why(client, seeded) -> None:
    filtered = client.get("/calls", params={"q": "no such words anywhere"}).text
    assert "No calls match these filters." in filtered and "No notices are stored" not in filtered


def test_an_empty_database_says_how_to_fill_it(engine, config, secret_env) -> None:
    from starlette.testclient import TestClient

    from tenderwatch.web.app import create_app

    with TestClient(create_app(config, engine, https_only=False), base_url="http://127.0.0.1") as c:
        page = c.get("/calls").text
    assert "No notices are stored in this database yet." in page and "make serve-demo" in page
    assert "No calls match these filters." not in page
