"""One call told truly, through the real chain: a TED change notice and a site's re-published row,
crawled by the real Scrapy engine from the loopback server, update one call each and produce one
"changed" ILO notification naming the old and the new deadline; the company's digest tells the change;
the digest's calendar and the web's calendar give the call one UID, whose SEQUENCE rises after the move;
the calls page shows one row per call."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from icalendar import Calendar
from sqlalchemy import Engine, func, select

from alerts.digest import run_digests
from alerts.notify import run_ilo_notifications
from spiders.runner import crawl_async
from tenderwatch.calendars import event_uid
from tenderwatch.config import load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeChange
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config
from tests.alerts.support import company, set_companies
from tests.conftest import deferred_test

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TED = FIXTURES / "api.ted.europa.eu" / "notices"
SKAO = FIXTURES / "www.skao.int"
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
NUMBERS = {"100001-2025": "eforms-cn-f4e.xml", "100004-2025": "eforms-change-f4e.xml"}


def _hit(number: str) -> dict[str, Any]:
    num, year = number.split("-")
    padded = f"{int(num):08d}-{year}"
    return {"publication-number": padded, "notice-type": "cn-standard", "publication-date": "2025-01-15+01:00",
            "buyer-name": {"eng": ["Fusion for Energy"]},
            "links": {"xml": {"MUL": f"https://ted.europa.eu/en/notice/{padded}/xml"}}}


class TedSearch:
    """The documented search answer, listing the publication numbers the test has published so far."""

    def __init__(self) -> None:
        self.published: list[str] = []

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        page = {"notices": [_hit(n) for n in self.published], "totalNoticeCount": len(self.published),
                "iterationNextToken": None, "timedOut": False}
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()


def _mail_config(config_dir: Path, engine: Engine, port: int) -> Any:
    sources = yaml.safe_load((config_dir / "sources.yaml").read_text())["sources"]
    skao = next(s for s in sources if s["name"] == "skao-procurement")
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [skao, {
        "name": "ted-f4e", "kind": "ted", "organisation": "F4E",
        "options": {"query": {"buyers": ["Fusion for Energy"], "notice_types": ["cn-standard"]},
                    "first_window_days": 10}}]}))
    cfg = load_config(config_dir)
    mail = cfg.settings.mail
    mail.backend = "smtp"
    mail.smtp.host, mail.smtp.port, mail.smtp.security, mail.smtp.timeout_seconds = "127.0.0.1", port, "none", 5
    for org in cfg.organisations:
        for ilo in org.ilos:
            ilo.language = "en"
    with session_scope(engine) as s:
        sync_config(s, cfg)
    return cfg


def _events(body: bytes) -> dict[str, Any]:
    return {str(ev["uid"]): ev for ev in Calendar.from_ical(body).walk("VEVENT")}


def _text(msg: Any) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def _skao_listing() -> bytes:
    return next(p for p in sorted(SKAO.rglob("*")) if p.is_file() and "procurement-industry" in p.name).read_bytes()


@deferred_test
async def test_changes_reach_ilos_digests_and_calendars_as_changes(config_dir: Path, engine: Engine,
                                                                  server: FixtureServer, smtp: Any,
                                                                  secret: str) -> None:
    recorder, controller = smtp
    cfg = _mail_config(config_dir, engine, controller.port)
    set_companies(engine, cfg, [company("gyro-power", keywords=["gyrotrons"], organisations=["F4E"])])
    api = TedSearch()
    server.route("/api.ted.europa.eu/v3/notices/search", api)
    for number, name in NUMBERS.items():
        num, year = number.split("-")
        data = (TED / name).read_bytes()
        server.route(f"/ted.europa.eu/en/notice/{int(num):08d}-{year}/xml",
                     lambda *a, data=data: (200, {"Content-Type": "application/xml"}, data))
    rewrite = server.rewrite_for("api.ted.europa.eu", "ted.europa.eu", "www.skao.int")

    # day 1: the contract notice, and SKAO's page as recorded
    api.published = ["100001-2025"]
    await crawl_async(cfg, engine, url_rewrite=rewrite, extra_settings=FAST)
    t1 = datetime.now(UTC)
    first = run_ilo_notifications(engine, cfg, now=t1)
    assert first.sent >= 1
    (fusion_1,) = recorder.to("ilo-fusion@example.nl")
    assert "New call · F4E" in _text(fusion_1) and "gyrotrons" in _text(fusion_1)
    week1 = run_digests(engine, cfg, now=t1)
    (digest_1,) = recorder.to("gyro-power@example.nl")
    assert "gyrotrons" in _text(digest_1) and week1.sent == 1

    # day 2: TED publishes the change notice; SKAO re-publishes a row with a new deadline
    api.published = ["100001-2025", "100004-2025"]
    listing = _skao_listing()
    assert b"18 December 2026" in listing
    server.override("/www.skao.int/en/opportunities/165/procurement-industry",
                    body=listing.replace(b"18 December 2026", b"15 January 2027"))
    await crawl_async(cfg, engine, url_rewrite=rewrite, extra_settings=FAST)
    with session_scope(engine) as s:
        gyro = s.scalars(select(Notice).where(Notice.reference == "F4E-OMF-1234")).all()
        assert len(gyro) == 1 and gyro[0].notice_type == "invitation_to_tender"
        assert sorted(x.external_id for x in gyro[0].sightings) == ["100001-2025", "100004-2025"]
        moved = s.scalars(select(NoticeChange).where(NoticeChange.field == "deadline_at")).all()
        assert {(c.old_value, c.new_value) for c in moved} >= {
            ("2035-03-13T16:00:00+00:00", "2035-04-10T16:00:00+00:00"), ("2026-12-18", "2027-01-15")}
        calls = s.scalar(select(func.count(func.distinct(Notice.call_uid))))
        assert s.scalar(select(func.count()).select_from(Notice)) == calls  # nothing became a call of its own
        call_uid = gyro[0].call_uid

    t2 = datetime.now(UTC)
    second = run_ilo_notifications(engine, cfg, now=t2)
    fusion = recorder.to("ilo-fusion@example.nl")
    assert second.sent >= 1 and len(fusion) == 2
    text = _text(fusion[1])
    assert text.count("Deadline changed · F4E") == 1 and "New call" not in text
    assert "deadline moved from Tue 13 Mar 2035, 17:00 CET to Tue 10 Apr 2035, 18:00 CEST" in text
    skao_ilo = [m for m in recorder.received[-second.sent:] if "SKAO" in _text(m.message)]
    assert skao_ilo and "deadline moved from Fri 18 Dec 2026 to Fri 15 Jan 2027" in _text(skao_ilo[0].message)

    # next week's digest: the call is under "changed", with both deadlines, and its calendar event moved
    week2 = run_digests(engine, cfg, now=t2 + timedelta(days=7))
    digests = recorder.to("gyro-power@example.nl")
    assert week2.sent == 1 and len(digests) == 2
    assert "[changed]" in _text(digests[1])
    assert "deadline moved from Tue 13 Mar 2035, 17:00 CET to Tue 10 Apr 2035, 18:00 CEST" in _text(digests[1])
    mail_events = [_events(part.get_content() if isinstance(part.get_content(), bytes)
                           else part.get_content().encode())
                   for d in digests for part in d.iter_attachments() if part.get_content_type() == "text/calendar"]
    uid = event_uid(call_uid, cfg.settings.site_base_url)
    assert [int(e[uid]["sequence"]) for e in mail_events] == [0, 1]
    assert mail_events[1][uid].decoded("dtstart") == datetime(2035, 4, 10, 16, 0, tzinfo=UTC)

    from starlette.testclient import TestClient

    from tenderwatch.web.app import create_app
    from tenderwatch.web.links import calendar_token

    with TestClient(create_app(cfg, engine, https_only=False), base_url="http://127.0.0.1") as client:
        web = _events(client.get(f"/calendar/company/{calendar_token(secret, 'gyro-power')}.ics").content)
        assert list(web) == [uid] and int(web[uid]["sequence"]) == 1
        assert web[uid].decoded("dtstart") == mail_events[1][uid].decoded("dtstart")
        page = client.get("/calls").text
        assert page.count("High-voltage power supplies for gyrotrons") == 1
        call = client.get(f"/calls/{call_uid}").text
        assert "deadline moved from Tue 13 Mar 2035, 17:00 CET to Tue 10 Apr 2035, 18:00 CEST" in call
        assert "100004-2025" in call and "No changes recorded" not in call
