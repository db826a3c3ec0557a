"""The ILO's first page (/ilo/): new calls since the last visit for the ILO's organisations, calls
closing within 14 days with their number of matching companies, moved deadlines and cancellations,
failing sources, saved searches with their counts; "since your last visit" kept across visits."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from pipeline.classify import Classifier
from pipeline.store import Store
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import SavedSearch, Source, User
from tenderwatch.web.users import add_user

from .conftest import ILO_PASSWORD, NOW, _rec
from .test_site import _login


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start:end if end != -1 else len(html)]


def _more(engine, config) -> None:  # type: ignore[no-untyped-def]
    """A CERN call closing in 5 days that CryoVac Delft matches, a cancelled ESS call, a failing source,
    a saved search."""
    with session_scope(engine) as session:
        store = Store(session, Classifier(config.taxonomy), now=NOW - timedelta(days=1))
        store.upsert(_rec(external_id="TEST-SOON-1", reference="TEST-SOON-1", notice_type="invitation_to_tender",
                          title="Helium cryostat for a test stand", description="A cryostat with vacuum vessel.",
                          published_at=NOW - timedelta(days=1), deadline_at=NOW + timedelta(days=5),
                          cpv_codes=["42123000"], eligible_countries=["NL"]))
        Store(session, Classifier(config.taxonomy), now=NOW - timedelta(hours=3)).upsert(_rec(
            external_id="TEST-MAG-7", reference="TEST-MAG-7", notice_type="invitation_to_tender", organisation="ESS",
            title="Manufacture of corrector magnets", description="Coils and yokes for corrector magnets.",
            published_at=NOW - timedelta(days=5), deadline_at=NOW + timedelta(days=40),
            eligible_countries=["SE", "DK"], status="cancelled"))
        session.add(Source(name="test-broken", kind="html_table", organisation_code="CERN", enabled=True,
                           healthy=False, health_reason="3 failed runs in a row: HTTP 503", state={}))
        session.add(SavedSearch(slug="cryo", title="Cryogenics watch", query={"area": "cryogenics"}))


def test_the_ilo_first_page(client, seeded, engine, config) -> None:
    _more(engine, config)
    _login(client)
    html = client.get("/ilo/").text
    assert "Your first visit: this page shows the last 7 days." in html and "All organisations." in html

    new = _section(html, "h-new")
    assert "Helium cryostat for a test stand" in new and "Manufacture of corrector magnets" not in new  # cancelled
    assert "Supply of a cryostat" not in new and "Vacuum chamber" not in new  # first seen 10 days ago
    closing = _section(html, "h-closing")
    row = re.search(r"Helium cryostat for a test stand.*?</tr>", closing, re.S)
    assert row and re.search(r'/ilo/calls/[^"]+/companies">(\d+)</a>', row.group(0))
    assert int(re.search(r'/companies">(\d+)</a>', row.group(0)).group(1)) >= 1  # type: ignore[union-attr]
    assert "Supply of a cryostat" not in closing  # 27 days away
    changes = _section(html, "h-changes")
    assert "Supply of a cryostat for superconducting magnet tests" in changes and "deadline moved from" in changes
    assert "Manufacture of corrector magnets" in changes and "cancelled" in changes
    assert "test-broken" in html and "HTTP 503" in html
    searches = _section(html, "h-searches")
    counts = re.search(r"Cryogenics watch</a></td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", searches)
    assert counts and counts.groups() == ("2", "1")  # two open cryogenics calls, one of them new

    reload = client.get("/ilo/").text  # the same visit: the same window
    assert "Helium cryostat for a test stand" in _section(reload, "h-new") and "(your previous visit)" in reload
    with session_scope(engine) as session:  # the next visit; the last one was four hours ago
        user = session.scalar(select(User).where(User.username == "ilo-cern"))
        assert user is not None and user.ilo_page_seen_at is not None
        user.ilo_page_seen_at = NOW - timedelta(hours=4)
    later = client.get("/ilo/").text
    assert "(your previous visit)" in later
    assert "Helium cryostat" not in _section(later, "h-new")  # seen a day ago: before that visit
    assert "Manufacture of corrector magnets" in _section(later, "h-changes")  # cancelled 3 hours ago
    assert "Supply of a cryostat" not in _section(later, "h-changes")  # moved 2 days ago


def test_an_ilo_sees_its_own_organisations(client, seeded, engine, config) -> None:
    _more(engine, config)
    add_user(engine, "ilo-np", ILO_PASSWORD, "ilo", ilo_email="ilo-np@example.nl")  # covers ESS (and others)
    _login(client, "ilo-np")
    html = client.get("/ilo/").text
    assert "Your organisations:" in html and "ESS" in html and "All organisations." not in html
    assert "Helium cryostat" not in html  # CERN's
    assert "Manufacture of corrector magnets" in _section(html, "h-changes")  # ESS's cancellation
    assert "test-broken" not in html  # a CERN source


def test_the_page_in_dutch_and_for_signed_in_users_only(client, seeded) -> None:
    assert client.get("/ilo/", follow_redirects=False).status_code == 303
    _login(client)
    html = client.get("/ilo/?lang=nl").text
    assert "Uw eerste bezoek" in html and "Sluit binnen 14 dagen" in html and "Nieuwe oproepen" in html
