"""A company's own pages (preferences, unsubscribe) speak the company's language, as its digests do,
whatever the browser asks; ``?lang=`` still switches."""

from __future__ import annotations

from alerts.tokens import make_token

from .test_site import _csrf


def test_preferences_and_unsubscribe_in_the_company_language(client, seeded, config) -> None:
    dutch = make_token(config.settings, "cryovac-delft", "preferences")  # language: nl
    english = make_token(config.settings, "photon-optics-eindhoven", "preferences")  # language: en
    english_browser = {"accept-language": "en-GB,en;q=0.9"}
    assert "Uw attenderingsvoorkeuren" in client.get(f"/preferences/{dutch}", headers=english_browser).text
    assert "Your alert preferences" in client.get(f"/preferences/{english}",
                                                  headers={"accept-language": "nl-NL"}).text
    assert "Your alert preferences" in client.get(f"/preferences/{dutch}?lang=en").text
    unsubscribe = make_token(config.settings, "cryovac-delft", "unsubscribe")
    page = client.get(f"/u/{unsubscribe}", headers=english_browser).text
    assert "CryoVac Delft B.V. afmelden voor Tenderwatch-overzichten?" in page


def test_form_errors_in_the_company_language(client, seeded, config) -> None:
    token = make_token(config.settings, "cryovac-delft", "preferences")
    page = client.get(f"/preferences/{token}")
    bad = client.post(f"/preferences/{token}", data={
        "csrf_token": _csrf(page.text), "keywords": "\n".join(f"word{i}" for i in range(51)), "frequency": "hourly"})
    assert bad.status_code == 400
    assert "ten hoogste 50 trefwoorden" in bad.text and "de frequentie is wekelijks of dagelijks" in bad.text
