"""``digest.calendar: link``: a digest links the company's calendar on the site instead of attaching a file,
and the link gives the deadlines of the calls the digest lists (the web's company calendar), through a
real aiosmtpd server and the web app."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import Engine, update

from alerts.digest import run_digests
from tenderwatch.calendars import event_uid
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tests.alerts.support import NOW, Recorder, company, notice, set_companies, store


def _world(engine: Engine, config: Config) -> list[str]:
    set_companies(engine, config, [company("cryo", areas=["cryogenics"]),
                                   company("koud", areas=["cryogenics"], language="nl")])
    seen = NOW - timedelta(days=1)
    notices = [notice(f"K-{i}", f"Cryostat {i}", areas=["cryogenics"], now=seen, days=20 + i) for i in range(3)]
    store(engine, config, notices, now=seen)
    with session_scope(engine) as s:  # a company whose first calendar link was replaced
        s.execute(update(Company).where(Company.key == "koud").values(calendar_version=2))
    return [f"Cryostat {i}" for i in range(3)]


def test_a_digest_links_the_company_calendar_instead_of_attaching_it(engine: Engine, smtp_config: Config,
                                                                      smtp: tuple[Recorder, Any],
                                                                      secret: str) -> None:
    recorder, _ = smtp
    titles = _world(engine, smtp_config)
    smtp_config.settings.digest.calendar = "link"
    assert run_digests(engine, smtp_config, now=NOW).sent == 2

    from starlette.testclient import TestClient

    from tenderwatch.web.app import create_app

    site = smtp_config.settings.site_base_url
    app = create_app(smtp_config, engine, https_only=False, clock=lambda: NOW)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for key, label in (("cryo", "Your deadlines calendar"), ("koud", "Uw agenda met de deadlines")):
            (msg,) = recorder.to(f"{key}@example.nl")
            assert not [p for p in msg.walk() if p.get_content_type() == "text/calendar"]  # no file
            text = msg.get_body(preferencelist=("plain",)).get_content()
            html = msg.get_body(preferencelist=("html",)).get_content()
            assert all(t in text for t in titles) and "attached" not in text and "bijgevoegde" not in text
            (url,) = re.findall(rf"{re.escape(label)} \([^)]*\): ({re.escape(site)}/calendar/company/\S+\.ics)", text)
            assert f'<a href="{url}">{label}' in html
            page = client.get(url.removeprefix(site))
            assert page.status_code == 200, (key, url)
            calendar = Calendar.from_ical(page.content)
            events = calendar.walk("VEVENT")
            assert sorted(str(e["summary"]).rsplit(": ", 1)[-1] for e in events) == titles
            assert all(str(e["uid"]) == event_uid(str(e["url"]).rsplit("/", 1)[-1], site) for e in events)
            assert client.get(url.removeprefix(site).replace(".ics", "x.ics")).status_code == 404  # forged


def test_the_attachment_stays_the_default(engine: Engine, smtp_config: Config, smtp: tuple[Recorder, Any]) -> None:
    recorder, _ = smtp
    _world(engine, smtp_config)
    assert smtp_config.settings.digest.calendar == "attachment"
    assert run_digests(engine, smtp_config, now=NOW).sent == 2
    for r in recorder.received:
        (ics,) = [p for p in r.message.walk() if p.get_content_type() == "text/calendar"]
        assert len(Calendar.from_ical(ics.get_content()).walk("VEVENT")) == 3
        assert "/calendar/company/" not in r.message.get_body(preferencelist=("plain",)).get_content()
