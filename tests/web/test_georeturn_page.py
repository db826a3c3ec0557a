"""/georeturn, its CSV and JSON: the figures computed by hand in tests/georeturn are the page's, digit for
digit the CSV's and the JSON's, in both languages; the default window, sources and completeness are said."""

from __future__ import annotations

import csv
import io
import re

from tenderwatch.db.engine import session_scope
from tenderwatch.georeturn.award_list import import_award_list
from tenderwatch.georeturn.rates import parse_rates, store_rates

from ..georeturn.test_georeturn import GOOD_AND_BAD

FIGURES = ("coefficient", "orders_eur", "all_orders_eur", "orders_share_pct", "contribution_share_pct", "contracts")


def _import(engine, config, tmp_path) -> None:
    path = tmp_path / "cern-2024.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    with session_scope(engine) as session:
        store_rates(session, parse_rates(b"Date,CHF,\n2024-03-01,1.1,\n", "test.csv"), "test")
        import_award_list(session, config, path)


def _box(html: str, kind: str) -> dict[str, tuple[str, str]]:
    box = re.search(rf'id="balance-{kind}"(.*?)</dl>', html, re.S)
    assert box, html[:2000]
    return {name: (value, shown) for name, value, shown in re.findall(
        r'data-figure="([a-z_]+)" data-value="([^"]*)">([^<]*)<', box[1])}


def test_the_page_shows_the_hand_computed_coefficient_and_equals_its_csv(client, engine, config, tmp_path) -> None:
    _import(engine, config, tmp_path)
    query = {"organisation": "CERN", "country": "NL", "year": "2024"}
    page = client.get("/georeturn", params=query)
    assert page.status_code == 200
    supplies = _box(page.text, "supplies")
    # by hand (tests/georeturn): 100 EUR of 1000 = 10.00% of orders; 10.00 / 4.79 = 2.0877 -> 2.09
    assert {k: v[0] for k, v in supplies.items()} == {
        "coefficient": "2.09", "orders_eur": "100", "contracts": "1", "all_orders_eur": "1000",
        "orders_share_pct": "10.00", "contribution_share_pct": "4.79"}
    assert supplies["all_orders_eur"][1] == "1,000" and "well balanced" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/georeturn.csv", params=query).text)))
    for kind in ("supplies", "services"):
        box = _box(page.text, kind)
        mine = next(r for r in rows if r["country"] == "NL" and r["contracts_kind"] == kind)
        assert {name: mine[name] for name in FIGURES} == {name: box[name][0] for name in FIGURES}
        assert mine["class"] == "well balanced"
    fr = next(r for r in rows if r["country"] == "FR" and r["contracts_kind"] == "supplies")
    assert (fr["orders_share_pct"], fr["coefficient"]) == ("60.00", "3.91")
    doc = client.get("/georeturn.json", params=query).json()
    assert [b for b in doc["balances"] if b["country"] == "NL"] == [r for r in rows if r["country"] == "NL"]
    assert doc["contributions"]["sources"][0]["year"] == 2009 and doc["contributions"]["years"] == [
        {"year": 2024, "figures_of": 2009}]
    assert {a["supplier"] for a in doc["awards"]} == {"Delft Cryo B.V.", "Berlin Magnets GmbH", "Lyon Vide SAS",
                                                      "Delft Services B.V."}
    # where the numbers come from, and how complete they are
    assert "CERN: 4 of an unknown number of contracts known" in page.text
    assert "press.cern/facts-and-figures/facts-and-figures-2009" in page.text
    assert "No figures for 2024 in config" in page.text
    assert "Delft Cryo B.V." in page.text and "cern-2024.csv line 2" in page.text  # the awards, with winners
    won = re.search(r'id="areas-won">(.*?)</p>', page.text, re.S)
    missed = re.search(r'id="areas-missed">(.*?)</p>', page.text, re.S)
    assert won and missed and "Cryogenics" in won[1] and "Vacuum" not in won[1]
    assert "Vacuum" in missed[1] and "Magnets" in missed[1]
    dutch = client.get("/georeturn", params={**query, "lang": "nl"}).text
    assert _box(dutch, "supplies")["coefficient"] == ("2.09", "2,09") and "evenwichtig" in dutch


def test_the_default_window_moves_to_the_latest_award_and_says_so(client, engine, config, tmp_path) -> None:
    _import(engine, config, tmp_path)  # every award is of 2024, the test runs later
    page = client.get("/georeturn", params={"organisation": "CERN"})
    assert page.status_code == 200 and "showing the 12 months up to the latest known award (2024-06-10)" in page.text
    assert _box(page.text, "supplies")["coefficient"][0] == "2.09"


def test_an_organisation_without_figures_shows_its_orders_and_a_win_from_the_follow_up(client, engine, seeded) -> None:
    from datetime import UTC, datetime

    from ..georeturn.test_georeturn import win

    win(engine, call_uid=seeded.award_call, company_key="photon-optics-eindhoven", value=5000,
        when=datetime(2024, 5, 1, 9, tzinfo=UTC))
    page = client.get("/georeturn", params={"organisation": "ESO", "year": "2024"})
    assert "ESO has no contribution figures" in page.text and "Photon Optics Eindhoven B.V." in page.text
    assert "ILO follow-up: recorded by ilo-cern" in page.text
    # no coefficient in any period: no chart of dashes, a sentence that says why; no "—%"
    assert 'id="no-trend"' in page.text and "<svg" not in page.text and "—%" not in page.text
    dutch = client.get("/georeturn", params={"organisation": "ESO", "year": "2024", "lang": "nl"}).text
    assert "niets te tekenen" in dutch
    row = next(r for r in csv.DictReader(io.StringIO(client.get(
        "/georeturn.csv", params={"organisation": "ESO", "year": "2024"}).text)) if r["country"] == "NL")
    assert (row["orders_eur"], row["coefficient"], row["contribution_share_pct"]) == ("5000", "", "")
