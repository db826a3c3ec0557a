"""The follow-up on the site: the board and its CSV, a call's follow-ups, one follow-up's changes, the
companies' answer links (signed, bound to company, call and answer; a GET changes nothing), CSRF on
every form and the ILO scope: one network's ILO does not see another's follow-ups."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
import time_machine
from sqlalchemy import Engine, func, select

from alerts.tokens import make_answer_token, make_token
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CallBidder, Company, FollowUp, FollowUpChange
from tenderwatch.followup.records import Actor, change_state, find_company
from tenderwatch.web.users import add_user
from tests.web.conftest import ILO_PASSWORD, NOW, Seed


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": ILO_PASSWORD, "csrf_token": token,
                                    "next": "/ilo/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


ANNA = Actor("ilo", "anna")


def _set(engine: Engine, call: str, key: str, *states: str, actor: Actor = ANNA, **kw: object) -> None:
    with session_scope(engine) as s:
        for state in states:
            change_state(s, call_uid=call, company=find_company(s, key), state=state, actor=actor,
                         **kw)  # type: ignore[arg-type]


def _changes(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(FollowUpChange)) or 0


@pytest.fixture
def networks(engine: Engine, seeded: Seed) -> Seed:
    """Two bound ILO accounts (CERN's, ESS's), follow-ups on a CERN call and on an ESS call."""
    add_user(engine, "anna-cern", ILO_PASSWORD, "ilo", ilo_email="ilo-cern@example.nl")
    add_user(engine, "erik-ess", ILO_PASSWORD, "ilo", ilo_email="ilo-np@example.nl")
    _set(engine, seeded.cryostat_call, "cryovac-delft", "informed", "interested")
    _set(engine, seeded.magnet_call, "twente-precision", "proposed")
    return seeded


def test_the_board_groups_by_state_filters_and_exports_csv(client, engine, networks) -> None:  # type: ignore[no-untyped-def]
    _set(engine, networks.cryostat_call, "twente-precision", "bid_submitted")
    _set(engine, networks.cryostat_call, "twente-precision", "won", value=Decimal("99000"), currency="EUR")
    _login(client, "ilo-cern")  # bound to no ILO address: a network account sees every organisation
    page = client.get("/ilo/follow-up").text
    assert re.findall(r'<h2 id="h-(\w+)">', page) == ["proposed", "interested"]  # won is finished: hidden
    assert "CryoVac Delft B.V." in page and "Twente Precision" in page
    every = client.get("/ilo/follow-up?closed=1").text
    assert re.findall(r'<h2 id="h-(\w+)">', every) == ["proposed", "interested", "won"]
    assert "€99,000.00" in every
    only_ess = client.get("/ilo/follow-up?organisation=ESS").text
    assert re.findall(r'<h2 id="h-(\w+)">', only_ess) == ["proposed"]
    by_area = client.get("/ilo/follow-up?area=cryogenics&closed=1").text
    assert "CryoVac Delft" in by_area and "Manufacture of corrector magnets" not in by_area
    bad = client.get("/ilo/follow-up?organisation=NOPE&state=maybe")
    assert bad.status_code == 400 and "organisation &#39;NOPE&#39;" in bad.text and "state &#39;maybe&#39;" in bad.text
    rows = list(csv.DictReader(io.StringIO(client.get("/ilo/follow-up.csv?closed=1").text)))
    assert {(r["company_key"], r["state"], r["value"], r["currency"]) for r in rows} == {
        ("cryovac-delft", "interested", "", ""), ("twente-precision", "proposed", "", ""),
        ("twente-precision", "won", "99000.00", "EUR")}


def test_one_ilo_does_not_see_another_networks_follow_ups(client, engine, networks) -> None:  # type: ignore[no-untyped-def]
    _login(client, "erik-ess")  # covers the neutron and photon sources (ESS, XFEL, ESRF, ILL...), not CERN
    board = client.get("/ilo/follow-up?closed=1").text
    assert "Twente Precision" in board and "CryoVac Delft" not in board
    assert "Supply of a cryostat" not in client.get("/ilo/follow-up.csv?closed=1").text
    cern = quote(networks.cryostat_call)
    assert client.get(f"/ilo/calls/{cern}/companies").status_code == 403
    assert client.get(f"/ilo/calls/{cern}/follow-up/cryovac-delft").status_code == 403
    token = _csrf(client.get("/ilo/follow-up").text)
    before = _changes(engine)
    for path, data in ((f"/ilo/calls/{cern}/follow-up/cryovac-delft", {"state": "bid_submitted"}),
                       (f"/ilo/calls/{cern}/send", {"company": "cryovac-delft"}),
                       (f"/ilo/calls/{cern}/add", {"company": "groningen-rf", "why": "x"}),
                       (f"/ilo/calls/{cern}/bidders", {"bidders": "Acme; NL"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _changes(engine) == before
    assert client.get(f"/ilo/calls/{quote(networks.magnet_call)}/companies").status_code == 200
    client.post("/logout", data={"csrf_token": token})
    _login(client, "anna-cern")
    board = client.get("/ilo/follow-up?closed=1").text
    assert "CryoVac Delft" in board and "Twente Precision" not in board


def test_the_network_setting_lets_every_ilo_see_every_follow_up(client, engine, networks, config) -> None:  # type: ignore[no-untyped-def]
    config.settings.ilo_scope = "network"
    _login(client, "erik-ess")
    board = client.get("/ilo/follow-up?closed=1").text
    assert "Twente Precision" in board and "CryoVac Delft" in board


def test_changes_through_the_follow_up_page_and_refused_ones(client, engine, networks) -> None:  # type: ignore[no-untyped-def]
    _login(client, "anna-cern")
    url = f"/ilo/calls/{quote(networks.cryostat_call)}/follow-up/cryovac-delft"
    page = client.get(url)
    assert page.status_code == 200 and "<h2>History</h2>" in page.text
    token = _csrf(page.text)
    before = _changes(engine)
    refused = client.post(url, data={"state": "won", "csrf_token": token})
    assert refused.status_code == 400 and "needs a bid" in refused.text and _changes(engine) == before
    assert client.post(url, data={"state": "bid_submitted", "note": "sent on time", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    no_currency = client.post(url, data={"state": "won", "value": "1200", "csrf_token": token})
    assert no_currency.status_code == 400 and "three letters" in no_currency.text
    assert client.post(url, data={"state": "won", "value": "1 250 000,50", "currency": "eur", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    with session_scope(engine) as s:
        fu = s.scalar(select(FollowUp).join(Company).where(Company.key == "cryovac-delft"))
        assert fu is not None
        assert (fu.state, fu.value_amount, fu.value_currency) == ("won", Decimal("1250000.50"), "EUR")
        assert [(c.by, c.to_state) for c in fu.changes][-2:] == [("anna-cern", "bid_submitted"), ("anna-cern", "won")]
    history = client.get(url).text
    assert "sent on time" in history and "€1,250,000.50" in history
    georeturn = client.get("/georeturn").text  # the win counts for the winner's country, with its name
    assert "CryoVac Delft B.V." in georeturn


def test_a_company_that_did_not_match_is_added_only_with_a_reason_and_bidders_are_recorded(
        client, engine, networks) -> None:  # type: ignore[no-untyped-def]
    _login(client, "anna-cern")
    call = quote(networks.cryostat_call)
    page = client.get(f"/ilo/calls/{call}/companies").text
    token = _csrf(page)
    assert '<option value="noordwijk-space-systems">' in page  # ESA/ESO only: it does not match a CERN call
    no_reason = client.post(f"/ilo/calls/{call}/add", data={"company": "noordwijk-space-systems", "why": " ",
                                                           "csrf_token": token})
    assert no_reason.status_code == 400 and "say why" in no_reason.text
    assert client.post(f"/ilo/calls/{call}/add", data={"company": "noordwijk-space-systems", "csrf_token": token,
                                                      "why": "builds cryocoolers for ESA"},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/ilo/calls/{call}/bidders", data={
        "csrf_token": token, "bidders": "Air Liquide Advanced Technologies; FR\nCRYOVAC DELFT BV; nl\n\nLinde AG"},
        follow_redirects=False).status_code == 303
    bad = client.post(f"/ilo/calls/{call}/bidders", data={"csrf_token": token, "bidders": "Acme; Netherlands"})
    assert bad.status_code == 400 and "not a country code" in bad.text
    page = client.get(f"/ilo/calls/{call}/companies").text
    assert "builds cryocoolers for ESA" in page and "Air Liquide Advanced Technologies" in page
    with session_scope(engine) as s:
        bidders = {b.name: (b.country, b.company_id is not None) for b in s.scalars(select(CallBidder))}
    assert bidders == {"Air Liquide Advanced Technologies": ("FR", False), "CRYOVAC DELFT BV": ("NL", True),
                       "Linde AG": (None, False)}


def test_answer_links_show_a_button_record_once_and_cannot_be_forged_or_moved(
        client, engine, networks, config: Config) -> None:  # type: ignore[no-untyped-def]
    settings = config.settings
    call = networks.magnet_call
    url = "/answer/" + make_answer_token(settings, "twente-precision", call, "not_interested")
    before = _changes(engine)
    page = client.get(url)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Vastleggen dat deze oproep niets is voor Twente Precision" in page.text  # nl
    assert page.headers["cache-control"] == "no-store"
    assert _changes(engine) == before
    token = _csrf(page.text)
    assert client.post(url, data={"reason": "too_big"}).status_code == 403  # no CSRF token
    done = client.post(url, data={"reason": "too_big", "note": "we are five people", "csrf_token": token})
    assert done.status_code == 200 and "staat genoteerd zonder interesse" in done.text
    client.post(url, data={"reason": "too_big", "note": "we are five people", "csrf_token": token})  # replayed
    with session_scope(engine) as s:
        fu = s.scalar(select(FollowUp).join(Company).where(Company.key == "twente-precision"))
        assert fu is not None and (fu.state, fu.answer_reason) == ("not_interested", "too_big")
        assert [(c.actor, c.to_state, c.reason) for c in fu.changes] == [
            ("ilo", "proposed", None), ("company", "not_interested", "too_big")]
    # the company changes its mind from the page's own link; then the ILO records its bid
    other = re.search(r'<a href="(/answer/[^"?]+)">Van gedachten veranderd', done.text)  # not the EN/NL links
    assert other is not None
    assert other is not None and other.group(1) != url
    assert client.post(other.group(1), data={"csrf_token": token}).status_code == 200
    replayed = client.post(url, data={"reason": "too_big", "csrf_token": token})  # the used link cannot undo it
    assert replayed.status_code == 409 and "al eerder gebruikt" in replayed.text  # in the company's Dutch
    with session_scope(engine) as s:
        assert s.scalar(select(FollowUp.state).join(Company).where(Company.key == "twente-precision")) == \
            "interested"
    _set(engine, call, "twente-precision", "bid_submitted")
    late = client.post(url, data={"csrf_token": token})
    assert late.status_code == 409 and "already bid submitted" in late.text
    prefix, _, signature = url.rpartition(".")
    forged = [
        prefix + "." + ("A" if signature[0] != "A" else "B") + signature[1:],  # altered signature
        url.replace("twente-precision", "cryovac-delft"),  # another company, same signature
        url.replace(call, networks.cryostat_call),  # another call
        url.replace("/answer/n.", "/answer/i."),  # the other answer
        "/answer/" + make_token(settings, "twente-precision", "preferences"),  # a preferences link
    ]
    for bad in forged:
        assert client.get(bad).status_code == 403, bad
        assert client.post(bad, data={"csrf_token": token}).status_code == 403, bad
    with session_scope(engine) as s:
        assert s.scalar(select(FollowUp.state).join(Company).where(Company.key == "twente-precision")) == \
            "bid_submitted"
        assert s.scalar(select(func.count()).select_from(FollowUp).join(Company)
                        .where(Company.key == "cryovac-delft", FollowUp.call_uid == networks.magnet_call)) == 0
    stale = make_answer_token(settings, "cryovac-delft", call, "interested")
    with time_machine.travel(NOW + timedelta(days=settings.token_max_age_days + 1), tick=False):
        page = client.get("/answer/" + stale)
    assert page.status_code == 403 and "expired" in page.text


def test_every_follow_up_form_refuses_a_missing_or_wrong_csrf_token(client, engine, networks, config) -> None:  # type: ignore[no-untyped-def]
    _login(client, "ilo-cern")
    call = quote(networks.cryostat_call)
    answer = "/answer/" + make_answer_token(config.settings, "cryovac-delft", networks.cryostat_call, "interested")
    client.get(answer)
    before = _changes(engine)
    for path, data in ((f"/ilo/calls/{call}/follow-up/cryovac-delft", {"state": "bid_submitted"}),
                       (f"/ilo/calls/{call}/send", {"company": "cryovac-delft"}),
                       (f"/ilo/calls/{call}/add", {"company": "groningen-rf", "why": "x"}),
                       (f"/ilo/calls/{call}/bidders", {"bidders": "Acme; NL"}),
                       (answer, {})):
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403, path
    assert _changes(engine) == before
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(CallBidder)) == 0


def test_answer_tokens_stay_out_of_the_access_log(config: Config, secret_env: str) -> None:
    from tenderwatch.web.logs import redact

    token = make_answer_token(config.settings, "cryovac-delft", "tw-0123", "interested")
    assert redact(f"/answer/{token}?lang=nl") == "/answer/[token]?lang=nl"
