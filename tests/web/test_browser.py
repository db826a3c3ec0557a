"""The site in a real headless Chromium (Debian's ``chromium`` package, never a downloaded build):
filter calls and open one, sign in as an ILO and download the matching companies CSV, change
preferences from a digest link and unsubscribe with one click, and see that forged or expired
links change nothing. Screenshots go to ``tests/artifacts/``; with ``TENDERWATCH_DOCS_SCREENSHOTS=1``
the calls page is also written to ``docs/web-calls.png`` for the README.
"""

from __future__ import annotations

import csv
import os
import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from alerts.tokens import make_token
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.georeturn.award_list import import_award_list
from tenderwatch.georeturn.rates import parse_rates, store_rates

from ..georeturn.test_georeturn import GOOD_AND_BAD
from .conftest import ILO_PASSWORD, NOW

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
ARGS = ["--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync",
        "--no-first-run"]


def _in_thread(scenario: Callable[[Any], None]) -> None:
    """Run ``scenario(browser)`` with Playwright's sync API on a thread of its own.

    The tests run under pytest-twisted's asyncio reactor, whose loop owns the main thread, and the
    sync API refuses to start a loop inside a running one; a thread has no running loop."""
    failure: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        args = [*ARGS, "--no-sandbox"] if os.geteuid() == 0 else ARGS
        try:
            with sync_playwright() as pw:
                b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
                try:
                    scenario(b)
                finally:
                    b.close()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="playwright")
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "browser scenario did not finish in 180 s"
    if failure:
        raise failure[0]


@pytest.fixture
def drive() -> Callable[[Callable[[Any], None]], None]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser-deps installs it)")
    return _in_thread


def new_page(browser, **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "accept_downloads": True,
                                     "locale": "en-GB", **options})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    return pg


def follow(page, target) -> None:  # type: ignore[no-untyped-def]
    """Click a link or a form's button (a locator or a selector) and wait for the page it leads to: a click
    does not wait for the navigation it starts, so reading at once may read the page being left."""
    with page.expect_navigation():
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


def test_filter_calls_and_open_one_without_javascript(drive, live_url, seeded) -> None:
    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser, java_script_enabled=False)
        page.goto(f"{live_url}/calls")
        assert page.locator("table.calls tbody tr").count() == 3
        calls_png = shot(page, "calls")
        if os.environ.get("TENDERWATCH_DOCS_SCREENSHOTS"):
            (ROOT / "docs").mkdir(exist_ok=True)
            shutil.copyfile(calls_png, ROOT / "docs" / "web-calls.png")
        page.select_option("#area", "cryogenics")
        page.fill("#country", "NL")
        page.click("form.filters button[type=submit]")
        assert "area=cryogenics" in page.url
        rows = page.locator("table.calls tbody tr")
        assert rows.count() == 1
        follow(page, rows.first.locator("a").first)
        assert page.locator("h1").inner_text() == "Supply of a cryostat for superconducting magnet tests"
        assert page.get_by_text("deadline moved from").count() == 1
        shot(page, "call")
        page.goto(f"{live_url}/calls/{seeded.hostile_call}")
        assert "<script>" in page.locator("h1").inner_text()  # shown as text, not run
        page.goto(f"{live_url}/georeturn?organisation=ESO")
        assert page.get_by_text("Delft Coatings B.V.").count() >= 1
        shot(page, "georeturn")

    drive(scenario)


def test_phone_width_is_readable_in_dutch(drive, live_url, seeded) -> None:
    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, locale="nl-NL")
        page.goto(f"{live_url}/calls?lang=nl")
        assert page.locator("h1").inner_text() == "Open oproepen"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
        shot(page, "calls-phone-nl")
        page.goto(f"{live_url}/calls/{seeded.cryostat_call}")  # the language is remembered
        assert page.get_by_text("deadline verschoven van").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "call-phone-nl")

    drive(scenario)


def test_ilo_signs_in_and_downloads_matching_companies(drive, live_url, seeded, tmp_path) -> None:
    target = tmp_path / "companies.csv"

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser)
        page.goto(f"{live_url}/ilo/sources")
        assert "/login" in page.url
        page.fill("#username", "ilo-cern")
        page.fill("#password", "wrong password here")
        page.click("main form button[type=submit]")
        assert page.get_by_role("alert").inner_text() == "Wrong user name or password."
        page.fill("#username", "ilo-cern")
        page.fill("#password", ILO_PASSWORD)
        page.click("main form button[type=submit]")
        assert page.url.endswith("/ilo/sources")
        shot(page, "source-health")
        page.goto(f"{live_url}/calls/{seeded.cryostat_call}")
        follow(page, page.get_by_role("link", name="Matching companies and follow-up", exact=True))
        # once in the list of matching companies; the partners section below may name it again per area
        assert page.locator("table.companies").get_by_text("CryoVac Delft B.V.").count() == 1
        shot(page, "matching-companies")
        with page.expect_download() as info:
            page.get_by_role("link", name="Download CSV").click()
        info.value.save_as(target)

    drive(scenario)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert "cryovac-delft" in {r["company_key"] for r in rows}
    assert next(r for r in rows if r["company_key"] == "cryovac-delft")["contacts"] == "sales@cryovac-delft.example.nl"


def _company(engine, key: str) -> Company:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        assert company is not None
        session.expunge(company)
        return company


def test_preferences_then_one_click_unsubscribe(drive, live_url, seeded, engine, config) -> None:
    token = make_token(config.settings, "twente-precision", "preferences")
    seen: dict[str, object] = {}

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser)
        page.goto(f"{live_url}/preferences/{token}")  # Twente Precision's profile is in Dutch: so is its page
        assert page.locator("h1").inner_text() == "Uw attenderingsvoorkeuren"
        page.uncheck("#area-materials")
        page.check("#area-vacuum")
        page.fill("#keywords", "bellows\nvacuum vessel")
        page.check("#freq-daily")
        shot(page, "preferences")
        follow(page, page.get_by_role("button", name="Voorkeuren opslaan"))
        assert page.get_by_role("status").first.inner_text() == "Uw voorkeuren zijn opgeslagen."
        seen["saved"] = _company(engine, "twente-precision")
        follow(page, page.get_by_role("button", name="Afmelden voor alle Tenderwatch-mail"))
        assert "U bent afgemeld" in page.locator("main").inner_text()
        shot(page, "unsubscribed")

    drive(scenario)
    saved = seen["saved"]
    assert isinstance(saved, Company)
    assert saved.areas == ["magnets", "vacuum", "mechanical"] or set(saved.areas) == {"vacuum", "magnets", "mechanical"}
    assert saved.keywords == ["bellows", "vacuum vessel"] and saved.frequency == "daily"
    assert saved.unsubscribed_at is None
    assert _company(engine, "twente-precision").unsubscribed_at is not None


def test_forged_or_expired_links_change_nothing(drive, live_url, seeded, engine, config) -> None:
    before = _company(engine, "photon-optics-eindhoven")
    good = make_token(config.settings, "photon-optics-eindhoven", "preferences")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    with time_machine.travel(NOW - timedelta(days=config.settings.token_max_age_days + 1), tick=False):
        expired = make_token(config.settings, "photon-optics-eindhoven", "preferences")

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser)
        page.goto(f"{live_url}/preferences/{forged}")
        assert page.get_by_role("alert").inner_text() == "This link is not valid."
        assert page.locator("form.prefs").count() == 0
        page.goto(f"{live_url}/preferences/{expired}")
        assert "expired" in page.get_by_role("alert").inner_text()
        shot(page, "expired-link")
        page.goto(f"{live_url}/u/{forged}")
        assert page.get_by_role("button", name="Unsubscribe").count() == 0

    drive(scenario)
    after = _company(engine, "photon-optics-eindhoven")
    assert (after.areas, after.keywords, after.frequency, after.unsubscribed_at) == (
        before.areas, before.keywords, before.frequency, before.unsubscribed_at)


# --------------------------------------------------------------------------- georeturn and the directory (issue 21)


def _publish_cryovac(engine) -> None:
    from tenderwatch.directory import profiles

    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == "cryovac-delft"))
        refs = [f.key for f in profiles.references(session, company)]
        profiles.save(session, company, {"listed": True, "areas": ["cryogenics", "vacuum"],
                                         "description_en": "Cryostats and helium transfer lines, leak-tested.",
                                         "capabilities": ["Cryostat design"], "certifications": ["ISO 9001"],
                                         "sme": True, "website": "https://cryovac.example.nl",
                                         "confirmed_references": refs})
        profiles.publish(session, company, by="ilo-cern")


def test_georeturn_and_the_directory_in_chromium(drive, live_url, seeded, engine, config, tmp_path) -> None:
    (tmp_path / "cern-2024.csv").write_text(GOOD_AND_BAD.replace("Delft Cryo B.V.", "CryoVac Delft B.V."),
                                            encoding="utf-8")
    with session_scope(engine) as session:
        store_rates(session, parse_rates(b"Date,CHF,\n2024-03-01,1.1,\n", "test.csv"), "test")
        import_award_list(session, config, tmp_path / "cern-2024.csv")
    _publish_cryovac(engine)

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        page = new_page(browser, java_script_enabled=False)
        page.goto(f"{live_url}/georeturn?organisation=CERN")
        page.fill("#year", "2024")
        page.click("form.filters button[type=submit]")
        assert "year=2024" in page.url
        assert page.locator("#balance-supplies [data-figure=coefficient]").inner_text() == "2.09"
        assert page.locator("#balance-supplies .class").inner_text() == "well balanced"
        assert page.locator("figure.chart svg rect").count() >= 3  # trend bars and the legend
        assert page.get_by_text("CryoVac Delft B.V.").count() >= 1
        shot(page, "georeturn")
        page.goto(f"{live_url}/directory")
        page.select_option("#area", "cryogenics")
        page.fill("#q", "helium")
        page.click("form.filters button[type=submit]")
        entries = page.locator("article.directory-entry")
        assert entries.count() == 1
        shot(page, "directory")
        follow(page, entries.first.locator("h2 a"))
        assert page.locator("h1").inner_text() == "CryoVac Delft B.V."
        assert page.get_by_text("CERN 2024: Helium valves").count() == 1
        shot(page, "directory-company")

    drive(scenario)
