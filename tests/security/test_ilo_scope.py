"""Issue 18 finding 5: an ILO sees the companies of the organisations its ILO address covers (or, with
``settings.ilo_scope: network``, every company), on every ILO page and CSV (``tenderwatch.web.scope``)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tenderwatch.web.app import create_app
from tenderwatch.web.users import add_user
from tests.web.conftest import ILO_PASSWORD
from tests.web.test_site import _login

PAGES = ("/ilo/calls/{call}/companies", "/ilo/calls/{call}/companies.csv")


def _status(client: TestClient, call: str) -> list[int]:
    return [client.get(p.format(call=call), follow_redirects=False).status_code for p in PAGES]


def test_an_ilo_sees_only_its_organisations_companies(client, seeded, engine, figures) -> None:
    add_user(engine, "ilo-cern-nl", ILO_PASSWORD, "ilo", ilo_email="ilo-cern@example.nl")  # covers CERN
    assert _login(client, username="ilo-cern-nl").status_code == 303
    assert _status(client, seeded.cryostat_call) == [200, 200]
    cern = client.get(f"/ilo/calls/{seeded.cryostat_call}/companies").text
    assert "sales@cryovac-delft.example.nl" in cern
    others = {call: _status(client, call) for call in (seeded.magnet_call, seeded.award_call)}  # ESS, ESO
    figures.attack("ILO scope: the CERN ILO opens the companies page and CSV of ESS and ESO calls",
                   stopped=all(codes == [403, 403] for codes in others.values()), detail=f"{list(others.values())}")
    for call in (seeded.magnet_call, seeded.award_call):
        assert _status(client, call) == [403, 403]
        page = client.get(f"/ilo/calls/{call}/companies").text
        assert "@" not in page.split("<main", 1)[1].split("</main>", 1)[0], "no contact address on a refused page"
        assert "your ILO address covers CERN" in page


def test_administrators_and_the_network_rule_see_everything(client, seeded, engine, config) -> None:
    add_user(engine, "ilo-cern-nl", ILO_PASSWORD, "ilo", ilo_email="ilo-cern@example.nl")
    assert _login(client, username="root-admin").status_code == 303
    assert _status(client, seeded.magnet_call) == [200, 200]
    assert _login(client, username="ilo-cern").status_code == 303  # bound to no address: a network account
    assert _status(client, seeded.magnet_call) == [200, 200]
    network = config.model_copy(update={"settings": config.settings.model_copy(update={"ilo_scope": "network"})})
    with TestClient(create_app(network, engine, https_only=False), base_url="http://127.0.0.1") as shared:
        assert _login(shared, username="ilo-cern-nl").status_code == 303
        assert _status(shared, seeded.magnet_call) == [200, 200]


def test_the_rule_itself() -> None:
    from tenderwatch.web.scope import scope_for
    from tenderwatch.web.sessions import SignedIn

    ilo = SignedIn(id=1, name="x", role="ilo", ilo_id=3)
    scope = scope_for(ilo, "organisations", ["CERN", "ESA"])
    assert scope.sees_organisation("CERN") and not scope.sees_organisation("ESS") and not scope.sees_organisation(None)
    assert scope.sees_company([]) and scope.sees_company(["ESA", "ESO"]) and not scope.sees_company(["ESO"])
    assert scope_for(ilo, "network", None).everything
    assert scope_for(SignedIn(id=2, name="a", role="admin", ilo_id=None), "organisations", None).everything
    assert scope_for(SignedIn(id=1, name="x", role="ilo", ilo_id=None), "organisations", None).everything
    covers_nothing = scope_for(ilo, "organisations", [])
    assert not covers_nothing.sees_organisation("CERN") and not covers_nothing.sees_company([])
