"""The site through Starlette's test client: filters, call page, georeturn, sign-in, CSRF,
headers, escaping of hostile text, company links. The browser tests drive the same flows in
Chromium; these cover the many refusals a browser would never send."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import time_machine
from sqlalchemy import select
from starlette.routing import Route

from alerts.tokens import make_token
from pipeline.classify import Classifier
from pipeline.records import Money, NoticeRecord
from pipeline.store import Store
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.web.security import CSP

from .conftest import ILO_PASSWORD, NOW


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _login(client, username: str = "ilo-cern", password: str = ILO_PASSWORD):  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/ilo/"}, follow_redirects=False)


def _titles(html: str) -> list[str]:
    return re.findall(r'<td data-label="Title"><a href="/calls/[^"]+">([^<]+)</a>', html)


def test_calls_filters_sort_and_search(client, seeded) -> None:
    everything = _titles(client.get("/calls").text)
    # open calls only (the award is not open), sorted by deadline: cryostat (+27d), hostile (+30d), magnets (+40d)
    assert everything[0].startswith("Supply of a cryostat")
    assert everything[-1] == "Manufacture of corrector magnets"
    assert not any(t.startswith("Award") for t in everything)
    assert _titles(client.get("/calls?organisation=ESS").text) == ["Manufacture of corrector magnets"]
    cryostat = "Supply of a cryostat for superconducting magnet tests"
    assert _titles(client.get("/calls?area=cryogenics").text) == [cryostat]
    assert _titles(client.get("/calls?q=corrector+yokes").text) == ["Manufacture of corrector magnets"]
    assert _titles(client.get("/calls?q=helium").text) == ["Supply of a cryostat for superconducting magnet tests"]
    assert "Manufacture of corrector magnets" not in _titles(client.get("/calls?country=nl").text)  # SE/DK only
    assert "Manufacture of corrector magnets" in _titles(client.get("/calls?country=SE").text)
    window = {"deadline_from": (NOW + timedelta(days=29)).date().isoformat(),
              "deadline_to": (NOW + timedelta(days=31)).date().isoformat()}
    assert len(_titles(client.get("/calls", params=window).text)) == 1
    assert _titles(client.get("/calls?notice_type=market_survey").text) == [
        "Supply of a cryostat for superconducting magnet tests"]
    closed = _titles(client.get("/calls?include_closed=1").text)
    assert any(t.startswith("Award") for t in closed)
    # unknown filter values are left out and said on the page (400), never an error page
    bad = client.get("/calls?organisation=NOPE&area=%3Cx%3E&page=-3&deadline_from=garbage")
    assert bad.status_code == 400 and "Left out of the filter" in bad.text
    assert _titles(bad.text) == everything


def test_pagination_keeps_filters(client, seeded, engine, config) -> None:
    from pipeline.store import Store
    from tests.web.conftest import _rec

    with session_scope(engine) as session:
        store = Store(session)
        for i in range(30):
            store.upsert(_rec(external_id=f"TEST-BULK-{i}", reference=f"TEST-BULK-{i}", title=f"Bulk item {i:02d}",
                              notice_type="price_enquiry", deadline_at=NOW + timedelta(days=50, hours=i)))
    first = client.get("/calls?notice_type=price_enquiry").text
    assert "30 calls" in first and "Page 1 of 2" in first
    assert 'href="/calls?notice_type=price_enquiry&amp;page=2"' in first
    second = _titles(client.get("/calls?notice_type=price_enquiry&page=2").text)
    assert second == [f"Bulk item {i:02d}" for i in range(25, 30)]


def test_call_page_shows_stages_sources_changes_areas(client, seeded) -> None:
    html = client.get(f"/calls/{seeded.cryostat_call}").text
    assert "deadline moved from" in html
    assert "TEST-CRYO-1" in html and "seen on test" in html
    assert 'href="https://procurement.example.org/docs/1"' in html
    assert "Cryogenics" in html and "cryostat" in html  # area with its evidence
    assert "€250,000.00" in html  # the value as mail shows it, in the reader's digits
    nl = client.get(f"/calls/{seeded.cryostat_call}?lang=nl").text
    assert "deadline verschoven van" in nl and '<html lang="nl">' in nl
    assert "€\xa0250.000,00" in nl
    assert client.get("/calls/tw-doesnotexist").status_code == 404


def test_call_page_reads_a_cost_range_code_as_its_band(client, seeded, engine, config) -> None:
    """esa-star's "> 500 KEURO" is a band, not an estimate of 500,000 EUR; the same words as in mail."""
    with session_scope(engine) as session:
        store = Store(session, Classifier(config.taxonomy), now=NOW)
        uid = store.upsert(NoticeRecord(
            source="test", organisation="ESA", languages=["en"], external_id="TEST-ESA-1", reference="TEST-ESA-1",
            notice_type="invitation_to_tender", title="Star tracker optical heads", published_at=NOW,
            estimated_value=Money(amount=Decimal(500000), currency="EUR"), value_note="> 500 KEURO")).notice.call_uid
    assert "over €500k" in client.get(f"/calls/{uid}").text
    assert "meer dan €\xa0500K" in client.get(f"/calls/{uid}?lang=nl").text


def test_hostile_text_is_escaped_everywhere(client, seeded) -> None:
    for path in ("/calls", f"/calls/{seeded.hostile_call}", "/feeds/organisation/CERN.atom"):
        body = client.get(path).text
        assert "<script>alert" not in body and "<img src=x" not in body, path
    page = client.get(f"/calls/{seeded.hostile_call}").text
    assert "&lt;script&gt;" in page
    assert 'href="javascript:' not in page  # a scraped javascript: URL is never a link
    reflected = client.get("/calls", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in reflected and "&lt;script&gt;" in reflected
    bad_next = client.get("/login", params={"next": '"><script>x</script>'}).text
    assert "<script>x" not in bad_next


def test_security_headers_on_every_kind_of_response(client, seeded) -> None:
    for path in ("/", f"/calls/{seeded.cryostat_call}", "/login", "/nope", "/static/style.css",
                 "/feeds/area/cryogenics.atom"):
        r = client.get(path)
        assert r.headers["content-security-policy"] == CSP, path
        assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
        assert r.headers["x-frame-options"] == "DENY"
    html = client.get("/").text
    assert "<script" not in html and " style=" not in html and " onclick" not in html


def test_every_form_route_refuses_a_missing_or_wrong_csrf_token(client, web_app, seeded) -> None:
    assert _login(client).status_code == 303  # signed in, so only CSRF can refuse
    token = make_token(client.app.state.web.config.settings, "cryovac-delft", "preferences")
    posts = [r for r in web_app.routes if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert {r.path for r in posts} >= {"/login", "/logout", "/ilo/searches", "/admin/users",
                                       "/preferences/{token:str}"}
    for route in posts:
        if route.path == "/u/{token:str}":
            continue  # RFC 8058: the signed URL is the credential (tested below)
        path = route.path.replace("{token:str}", token)
        assert client.post(path, data={"title": "x"}).status_code == 403, route.path
        assert client.post(path, data={"title": "x", "csrf_token": "forged"}).status_code == 403, route.path


def test_sign_in_roles_and_throttle(client, seeded) -> None:
    assert client.get("/ilo/sources", follow_redirects=False).headers["location"].startswith("/login?next=")
    assert _login(client, password="wrong password!").status_code == 400
    assert _login(client, username="nobody").status_code == 400
    ok = _login(client)
    assert ok.status_code == 303 and ok.headers["location"] == "/ilo/"
    health = client.get("/ilo/sources")
    assert health.status_code == 200 and health.headers["cache-control"] == "no-store"
    assert client.get("/admin/").status_code == 403  # an ILO is not an administrator
    client.post("/logout", data={"csrf_token": _csrf(client.get("/ilo/").text)})
    assert client.get("/ilo/", follow_redirects=False).status_code == 303
    for _ in range(6):  # five free failures; the sixth is checked and starts a delay for the account
        assert _login(client, username="root-admin", password="not the password").status_code == 400
    refused = _login(client, username="root-admin")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1  # even the right password, a while
    assert _login(client, username="ilo-cern").status_code == 303  # other users unaffected


def test_admin_adds_a_user(client, seeded, engine) -> None:
    assert _login(client, username="root-admin").status_code == 303
    page = client.get("/admin/")
    assert page.status_code == 200 and "ilo-cern" in page.text
    bad = client.post("/admin/users", data={"username": "x y", "password": "short", "role": "ilo",
                                            "csrf_token": _csrf(page.text)})
    assert bad.status_code == 400
    good = client.post("/admin/users", data={"username": "ilo-esa", "password": "another long password",
                                             "role": "ilo", "csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert good.status_code == 303
    client.post("/logout", data={"csrf_token": _csrf(client.get("/admin/").text)})
    assert _login(client, username="ilo-esa", password="another long password").status_code == 303


def test_matching_companies_and_csv(client, seeded) -> None:
    _login(client)
    html = client.get(f"/ilo/calls/{seeded.cryostat_call}/companies").text
    assert "CryoVac Delft B.V." in html and "sales@cryovac-delft.example.nl" in html
    r = client.get(f"/ilo/calls/{seeded.cryostat_call}/companies.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cryo = next(row for row in rows if row["company_key"] == "cryovac-delft")
    assert "area: cryogenics" in cryo["reasons"] and "keyword: cryostat" in cryo["reasons"]
    assert cryo["contacts"] == "sales@cryovac-delft.example.nl"
    # the ESS call is only open to SE/DK firms: no Dutch company may be listed
    ess = list(csv.DictReader(io.StringIO(client.get(f"/ilo/calls/{seeded.magnet_call}/companies.csv").text)))
    assert ess == []


def test_saved_search_gets_an_atom_feed(client, seeded) -> None:
    import feedparser

    _login(client)
    token = _csrf(client.get("/calls?area=cryogenics").text)
    r = client.post("/ilo/searches", data={"csrf_token": token, "title": "Cryo <b>watch</b>", "area": "cryogenics"},
                    follow_redirects=False)
    assert r.status_code == 303
    home = client.get("/ilo/").text
    slug = re.search(r'href="/feeds/search/([^"]+)\.atom"', home).group(1)  # type: ignore[union-attr]
    assert "<b>watch" not in home
    feed = feedparser.parse(client.get(f"/feeds/search/{slug}.atom").content)
    assert [e.title for e in feed.entries] == ["CERN: Supply of a cryostat for superconducting magnet tests"]


def test_georeturn_names_the_winners_of_ted_awards(client, seeded) -> None:
    html = client.get("/georeturn", params={"organisation": "ESO"}).text
    # ESO has no contribution figures: no coefficient to draw, and the page says so instead of a chart
    assert 'id="no-trend"' in html and "Delft Coatings B.V." in html and "Optique SA" in html
    rows = list(csv.DictReader(io.StringIO(client.get("/georeturn.csv", params={"organisation": "ESO"}).text)))
    assert {(r["country"], r["contracts"], r["orders_eur"], r["orders_share_pct"]) for r in rows} == {
        ("NL", "1", "1200000", "80.00"), ("FR", "1", "300000", "20.00")}
    old = client.get("/georeturn.csv", params={"organisation": "ESO", "start": "2000-01-01", "end": "2000-12-31"})
    assert [r["orders_eur"] for r in csv.DictReader(io.StringIO(old.text))] == ["0"]


def test_georeturn_default_window_shows_the_latest_awards(client, seeded, engine) -> None:
    """No award in the last year (a demo's recorded awards, a stalled import): the default page shows the
    year up to the latest award and says so; an asked period is shown as asked."""
    from sqlalchemy import update

    from tenderwatch.db.models import Award, Notice

    with session_scope(engine) as s:
        s.execute(update(Award).values(awarded_at=NOW - timedelta(days=800)))
        s.execute(update(Notice).where(Notice.notice_type == "contract_award")
                  .values(published_at=NOW - timedelta(days=799)))
    html = client.get("/georeturn", params={"organisation": "ESO"}).text
    assert "Delft Coatings B.V." in html and "No awards known in the last 12 months" in html
    assert (NOW - timedelta(days=800)).date().isoformat() in html  # the period shown says where it ends
    asked = client.get("/georeturn", params={"organisation": "ESO",
                                             "start": (NOW - timedelta(days=30)).date().isoformat()}).text
    assert "No award to NL known in this period." in asked and "Delft" not in asked


def test_one_click_unsubscribe_rfc8058(client, seeded, engine, config) -> None:
    settings = config.settings
    token = make_token(settings, "groningen-rf", "unsubscribe")

    def unsubscribed() -> bool:
        with session_scope(engine) as session:
            return session.scalar(select(Company.unsubscribed_at).where(Company.key == "groningen-rf")) is not None

    assert client.get(f"/u/{token}").status_code == 200 and not unsubscribed()  # GET never unsubscribes
    assert client.post(f"/u/{token}", data={"List-Unsubscribe": "Yes"}).status_code == 400 and not unsubscribed()
    assert client.post(f"/u/{token[:-3]}abc", data={"List-Unsubscribe": "One-Click"}).status_code == 403
    with time_machine.travel(NOW - timedelta(days=settings.token_max_age_days + 1), tick=False):
        expired = make_token(settings, "groningen-rf", "unsubscribe")
    r = client.post(f"/u/{expired}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 403 and "expired" in r.text and not unsubscribed()
    # what a mail provider sends: no cookie, no CSRF token, just the RFC 8058 body
    from starlette.testclient import TestClient

    with TestClient(client.app, base_url="http://127.0.0.1") as provider:
        ok = provider.post(f"/u/{token}", content=b"List-Unsubscribe=One-Click",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert ok.status_code == 200 and unsubscribed()


def test_preferences_refuse_an_unsubscribe_token(client, seeded, config) -> None:
    token = make_token(config.settings, "groningen-rf", "unsubscribe")
    assert client.get(f"/preferences/{token}").status_code == 403


def test_saved_preferences_survive_the_next_config_sync(client, seeded, engine, config) -> None:
    from tenderwatch.sync import sync_config

    token = make_token(config.settings, "cryovac-delft", "preferences")
    page = client.get(f"/preferences/{token}")
    r = client.post(f"/preferences/{token}", data={"csrf_token": _csrf(page.text), "areas": ["optics"],
                                                   "keywords": "lens\nmirror", "frequency": "daily",
                                                   "language": "en"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("saved=1")
    bad = client.post(f"/preferences/{token}", data={"csrf_token": _csrf(page.text), "areas": ["<nope>"],
                                                     "frequency": "hourly"})
    assert bad.status_code == 400 and "unknown choice" in bad.text
    with session_scope(engine) as session:
        sync_config(session, config)  # what every command does first
    with session_scope(engine) as session:
        c = session.scalar(select(Company).where(Company.key == "cryovac-delft"))
        assert (c.areas, c.keywords, c.frequency, c.language) == (["optics"], ["lens", "mirror"], "daily", "en")
        assert c.name == "CryoVac Delft B.V." and c.profile_edited_at is not None
