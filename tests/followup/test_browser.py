"""The follow-up's whole story in a real headless Chromium (Debian's ``chromium``), against the site on a
real uvicorn and mail through the real SMTP server on loopback:

an ILO signs in, opens a call, sends a targeted mail to two matching companies (each lands once; sending
again asks first), one company clicks "Interested" in its mail (the link's page asks, the button
records), the ILO finds it on the board, records the bid and the win with its value, and the win is on
the georeturn page with the winner's name. Screenshots go to ``tests/artifacts/followup-*.png``.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select

from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, FollowUp
from tenderwatch.web.users import add_user
from tests.alerts.support import HtmlTags, Recorder, company, set_companies
from tests.web.conftest import ILO_PASSWORD, Seed
from tests.web.test_browser import follow, new_page, shot

pytestmark = pytest.mark.browser


def _html(msg: object) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]


def test_targeted_mail_answer_bid_and_win_end_on_the_georeturn_page(  # type: ignore[no-untyped-def]
        drive, smtp_config: Config, smtp: tuple[Recorder, object], live_url, seeded: Seed, engine: Engine) -> None:
    recorder, _ = smtp
    # a second cryogenics firm, so the cryostat call matches two companies (the sample config has one)
    set_companies(engine, smtp_config, [*smtp_config.companies, company(
        "leiden-cryogenics", name="Leiden Cryogenics B.V.", areas=["cryogenics"], keywords=["cryostat"])])
    add_user(engine, "anna-cern", ILO_PASSWORD, "ilo", ilo_email="ilo-cern@example.nl")
    call = seeded.cryostat_call
    seen: dict[str, object] = {}

    def scenario(browser) -> None:  # type: ignore[no-untyped-def]
        ilo = new_page(browser)
        ilo.goto(f"{live_url}/login")
        ilo.fill("#username", "anna-cern")
        ilo.fill("#password", ILO_PASSWORD)
        follow(ilo, "main form button[type=submit]")
        ilo.goto(f"{live_url}/calls/{call}")
        follow(ilo, ilo.get_by_role("link", name="Matching companies and follow-up", exact=True))
        boxes = ilo.locator("form#follow-up input[name=company]:not([disabled])")
        assert boxes.count() >= 2
        chosen = [boxes.nth(i).get_attribute("value") for i in (0, 1)]
        assert "cryovac-delft" in chosen, chosen
        for key in chosen:
            ilo.check(f"#send-{key}")
        ilo.fill("#note", "Your cryostats fit this market survey. Call me before the 20th.")
        shot(ilo, "followup-call")
        follow(ilo, ilo.get_by_role("button", name="Send targeted mail"))
        assert ilo.locator("h1").inner_text() == "Targeted mail"
        assert ilo.locator("tbody tr").count() == 2 and ilo.get_by_text("refused").count() == 0
        shot(ilo, "followup-sent")
        seen["first"] = Counter(r.rcpt_tos[0] for r in recorder.received)

        # sending again asks for a confirmation first and sends nothing by itself
        ilo.goto(f"{live_url}/ilo/calls/{call}/companies")
        for key in chosen:
            ilo.check(f"#send-{key}")
        follow(ilo, ilo.get_by_role("button", name="Send targeted mail"))
        assert ilo.get_by_role("button", name="Yes, send again").count() == 1
        shot(ilo, "followup-resend")
        seen["again"] = Counter(r.rcpt_tos[0] for r in recorder.received)

        # the company clicks "Interested" in its mail: a page that asks, then the button records it
        mail = recorder.to("sales@cryovac-delft.example.nl")[0]
        seen["reply_to"] = mail["Reply-To"].addresses[0].addr_spec
        links = [u for u in HtmlTags.of(_html(mail)).links if "/answer/" in u]
        interested = urlsplit(links[0])
        company = new_page(browser)
        company.set_content(_html(mail))
        shot(company, "followup-mail")
        company.goto(f"{live_url}{interested.path}")
        with session_scope(engine) as s:  # the GET recorded nothing
            seen["after_get"] = s.scalar(select(FollowUp.state).join(Company).where(
                Company.key == "cryovac-delft", FollowUp.call_uid == call))
        shot(company, "followup-answer")
        follow(company, company.get_by_role("button").filter(has_text="interesse"))  # the company's page is in Dutch
        assert company.get_by_role("status").count() == 1
        shot(company, "followup-answered")

        # the other company answers "Interested", then "Not for us" from the same mail; its used
        # "Interested" link cannot undo that
        other_mail = recorder.to("leiden-cryogenics@example.nl")[0]
        yes, no = (urlsplit(u).path for u in HtmlTags.of(_html(other_mail)).links if "/answer/" in u)
        company.goto(f"{live_url}{yes}")
        follow(company, company.get_by_role("button", name="Yes, we are interested"))
        company.goto(f"{live_url}{no}")
        company.check("#reason-too_big")
        follow(company, company.get_by_role("button", name="Not for us"))
        company.goto(f"{live_url}{yes}")  # the page says so at once: no button
        assert "used before" in company.get_by_role("alert").inner_text()
        assert company.get_by_role("button").count() == 0
        shot(company, "followup-answer-replayed")

        # the ILO sees it on the board, then records the bid and the win
        ilo.goto(f"{live_url}/ilo/follow-up")
        interested_group = ilo.locator("section[aria-labelledby=h-interested]")
        assert interested_group.get_by_text("CryoVac Delft B.V.").count() == 1
        shot(ilo, "followup-board")
        follow(ilo, interested_group.get_by_role("link", name="CryoVac Delft B.V."))
        ilo.select_option("#state", "bid_submitted")
        ilo.fill("#note", "bid sent by courier")
        follow(ilo, ilo.get_by_role("button", name="Save"))
        ilo.select_option("#state", "won")
        ilo.fill("#value", "184000")
        ilo.fill("#currency", "EUR")
        follow(ilo, ilo.get_by_role("button", name="Save"))
        assert ilo.locator("table.history tbody tr").count() >= 4
        shot(ilo, "followup-won")
        ilo.goto(f"{live_url}/georeturn")
        seen["georeturn"] = ilo.locator("main").inner_text()
        shot(ilo, "followup-georeturn")

    drive(scenario)
    first = seen["first"]
    assert isinstance(first, Counter) and len(first) >= 2 and set(first.values()) == {1}, first  # each lands once
    assert seen["again"] == first  # no confirmation, nothing sent again
    assert seen["reply_to"] == "ilo-cern@example.nl"
    assert seen["after_get"] == "informed"
    with session_scope(engine) as s:
        fu = s.scalar(select(FollowUp).join(Company).where(Company.key == "cryovac-delft", FollowUp.call_uid == call))
        assert fu is not None
        assert [(c.actor, c.to_state) for c in fu.changes] == [
            ("ilo", "informed"), ("company", "interested"), ("ilo", "bid_submitted"), ("ilo", "won")]
        assert (fu.value_amount, fu.value_currency) == (184000, "EUR")
    assert "CryoVac Delft B.V." in str(seen["georeturn"])
    with session_scope(engine) as s:
        other = s.scalar(select(FollowUp).join(Company).where(Company.key == "leiden-cryogenics"))
        assert other is not None and (other.state, other.answer_reason) == ("not_interested", "too_big")
