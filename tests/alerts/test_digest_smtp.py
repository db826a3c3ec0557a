"""Weekly digests through a real SMTP server on loopback: who gets what, why, and only once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from alerts.digest import AlertsError, run_digests
from alerts.message import parse
from alerts.outgoing import deliver_pending
from alerts.tokens import read_token
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Delivery
from tests.alerts.support import NOW, HtmlTags, company, notice, set_companies, store

CERN_MEMBERS = ["NL", "DE", "FR", "CH"]


@pytest.fixture
def world(engine, smtp_config):
    """Six companies and eight notices whose expected digests are known by construction."""
    set_companies(engine, smtp_config, [
        company("cryo", areas=["cryogenics"], keywords=["leak detection"]),
        company("optiek", areas=["optics"], language="nl", timezone="Europe/Amsterdam"),
        company("space-esa-only", areas=["space"], organisations=["ESA"]),
        company("us-cryo", areas=["cryogenics"], country="US", timezone="America/New_York"),
        company("band", areas=["mechanical"], value_min=100000),
        company("telescopes", areas=["telescopes"]),
    ])
    first_seen = NOW - timedelta(days=1)
    store(engine, smtp_config, [
        notice("n1", "Cryostat for HL-LHC magnets", eligible=CERN_MEMBERS, areas=["cryogenics"], now=first_seen),
        notice("n2", "Cryogenic plant maintenance", organisation="ESS", areas=["cryogenics"], now=first_seen),
        notice("n3", "Deformable mirror", organisation="ESO", eligible=CERN_MEMBERS, areas=["optics"],
               now=first_seen, days=40),
        notice("n4", "Satellite payload", organisation="ESA", eligible=CERN_MEMBERS, areas=["space"], now=first_seen),
        notice("n4b", "Space-qualified cryocooler", organisation="CERN", eligible=CERN_MEMBERS, areas=["space"],
               now=first_seen),
        notice("n5", "Machined supports (small)", value="50000", areas=["mechanical"], eligible=CERN_MEMBERS,
               now=first_seen),
        notice("n6", "Machined supports (large)", value="500000", areas=["mechanical"], eligible=CERN_MEMBERS,
               now=first_seen),
        notice("n7", "Closed cryostat call", deadline=NOW - timedelta(hours=1), areas=["cryogenics"],
               now=first_seen - timedelta(days=2)),
        notice("n8", "UHV chamber", description="Includes helium leak detection services.", areas=["vacuum"],
               eligible=CERN_MEMBERS, now=first_seen),
    ], now=first_seen)
    return smtp_config


def titles(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def test_right_companies_get_right_calls_with_reasons(engine, world, smtp):
    recorder, _ = smtp
    report = run_digests(engine, world, now=NOW)
    assert report.period == "2025-W23"
    assert report.sent == 5 and report.failed == 0
    assert sorted(r.rcpt_tos[0] for r in recorder.received) == [
        "band@example.nl", "cryo@example.nl", "optiek@example.nl", "space-esa-only@example.nl", "us-cryo@example.nl"]

    cryo = titles(recorder.to("cryo@example.nl")[0])
    assert "Cryostat for HL-LHC magnets" in cryo and "Cryogenic plant maintenance" in cryo and "UHV chamber" in cryo
    assert "Closed cryostat call" not in cryo
    assert "Why: Cryogenics: 'cryostat' in the title" in cryo  # the area's evidence in words
    assert "keyword “leak detection”" in cryo  # n8 matched only through the keyword in its description

    us = titles(recorder.to("us-cryo@example.nl")[0])
    assert "Cryogenic plant maintenance" in us  # ESS: open to all
    assert "Cryostat for HL-LHC magnets" not in us  # CERN: US firms are not eligible

    esa = titles(recorder.to("space-esa-only@example.nl")[0])
    assert "Satellite payload" in esa and "Space-qualified cryocooler" not in esa

    band = titles(recorder.to("band@example.nl")[0])
    assert "Machined supports (large)" in band and "Machined supports (small)" not in band

    dutch = recorder.to("optiek@example.nl")[0]
    assert str(dutch["Subject"]) == "Tenderwatch week 23 van 2025: 1 nieuwe aanbesteding voor Optiek"
    assert "Deformable mirror" in titles(dutch)
    assert "Waarom: Optica, fotonica en lasers: 'deformable' in de titel" in titles(dutch)  # evidence in Dutch
    assert not recorder.to("telescopes@example.nl")  # nothing matched: no mail

    with session_scope(engine) as s:
        row = s.scalars(select(Delivery).where(Delivery.recipient == "cryo@example.nl")).one()
        assert row.status == "sent" and row.attempts == 1 and row.period_key == "2025-W23"
        assert len(row.payload["notices"]) == 3 and "eml" not in row.payload  # uids of the calls listed
        assert row.message is not None and row.size and row.location == f"smtp:127.0.0.1:{smtp[1].port}"


def test_second_run_sends_nothing(engine, world, smtp):
    recorder, _ = smtp
    first = run_digests(engine, world, now=NOW)
    second = run_digests(engine, world, now=NOW + timedelta(hours=3))
    assert first.sent == 5
    assert second.sent == 0 and second.queued == 0 and second.already == 5
    assert len(recorder.received) == 5


def test_mail_structure_headers_and_calendar(engine, world, smtp, secret):
    recorder, _ = smtp
    run_digests(engine, world, now=NOW)
    msg = recorder.to("cryo@example.nl")[0]
    assert msg["X-Tenderwatch-Kind"] == "digest"
    assert msg.get_content_type() == "multipart/mixed"
    assert next(p.get_content_type() for p in msg.iter_parts()) == "multipart/alternative"
    assert msg.get_body(preferencelist=("html",)) is not None
    unsub = str(msg["List-Unsubscribe"])
    https, mailto = (u.strip(" <>") for u in unsub.split(","))
    assert https.startswith("https://tenderwatch.example.nl/u/") and mailto.startswith("mailto:")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_token(world.settings, https.rsplit("/", 1)[1], "unsubscribe").company_key == "cryo"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "https://tenderwatch.example.nl/preferences/" in html
    tags = HtmlTags.of(html)
    assert tags.doctype.lower() == "doctype html" and not tags.obsolete(), tags.obsolete()
    (ics,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = Calendar.from_ical(ics.get_content())
    events = cal.walk("VEVENT")
    assert len(events) == 3
    assert all(e.decoded("dtstart") > NOW for e in events)
    # deadline in the company's zone with days left: n1 closes 19 days after NOW, 08:00 UTC = 10:00 CEST
    assert "10:00 CEST (19 days left)" in titles(msg)
    us = titles(recorder.to("us-cryo@example.nl")[0])
    assert "04:00 EDT" in us


def test_changed_calls_are_marked_and_closing_soon_repeats(engine, world, smtp):
    recorder, _ = smtp
    run_digests(engine, world, now=NOW)
    later = NOW + timedelta(days=7)
    moved = notice("n1", "Cryostat for HL-LHC magnets", eligible=CERN_MEMBERS, areas=["cryogenics"],
                   deadline=NOW + timedelta(days=30))
    store(engine, world, [moved], now=later - timedelta(days=2))
    report = run_digests(engine, world, now=later)
    assert report.period == "2025-W24"
    (msg,) = recorder.to("cryo@example.nl")[1:]
    text = titles(msg)
    section = text.split("Closing soon")[0]
    assert "Cryostat for HL-LHC magnets [changed]" in section
    assert "deadline moved from" in section
    assert "Cryogenic plant maintenance" not in section  # neither new nor changed: not listed again...
    assert "Cryogenic plant maintenance" in text.split("Closing soon")[1]  # ...but it closes within 14 days
    assert str(msg["Subject"]) == "Tenderwatch week 24, 2025: 1 changed call, 2 closing soon for Cryo"
    # nothing new or changed for the US company, but a call it matches closes soon: the subject says so
    (us,) = recorder.to("us-cryo@example.nl")[1:]
    assert str(us["Subject"]) == "Tenderwatch week 24, 2025: 1 call closing soon for Us Cryo"
    assert "0 " not in str(us["Subject"])


def test_no_secret_refuses_before_anything(engine, world, smtp, monkeypatch):
    recorder, _ = smtp
    monkeypatch.delenv("TENDERWATCH_SECRET_KEY")
    with pytest.raises(AlertsError, match="TENDERWATCH_SECRET_KEY"):
        run_digests(engine, world, now=NOW)
    assert recorder.received == []
    with session_scope(engine) as s:
        assert s.scalar(select(Delivery.id)) is None


def test_dry_run_renders_without_sending_or_recording(engine, world, smtp, tmp_path):
    recorder, _ = smtp
    report = run_digests(engine, world, now=NOW, dry_run=True, preview_dir=tmp_path / "dry")
    assert len(report.previews) == report.rendered == 5 and recorder.received == []
    assert report.preview_dir == tmp_path / "dry" / "2025-W23"
    emls = sorted(report.preview_dir.glob("*.eml"))
    assert len(emls) == 5 and all(p.with_suffix(".html").exists() for p in emls)
    assert {str(parse(p.read_bytes())["Subject"]) for p in emls} == {p.subject for p in report.previews}
    assert all(p.name in (report.preview_dir / "index.html").read_text() for p in emls)
    with session_scope(engine) as s:
        assert s.scalar(select(Delivery.id)) is None
    assert run_digests(engine, world, now=NOW).sent == 5


def test_send_empty_digests_when_configured(engine, world, smtp):
    recorder, _ = smtp
    world.settings.mail.send_empty_digests = True
    run_digests(engine, world, now=NOW)
    (msg,) = recorder.to("telescopes@example.nl")
    assert "No new calls matched" in titles(msg)


def test_unsubscribed_company_gets_nothing(engine, world, smtp):
    recorder, _ = smtp
    with session_scope(engine) as s:
        s.scalars(select(Company).where(Company.key == "cryo")).one().unsubscribed_at = NOW
    run_digests(engine, world, now=NOW)
    assert not recorder.to("cryo@example.nl")


def test_permanent_reject_is_recorded_not_retried(engine, world, smtp):
    recorder, _ = smtp
    recorder.reject = {"band@example.nl"}
    report = run_digests(engine, world, now=NOW)
    assert report.sent == 4 and report.delivery.rejected == 1
    with session_scope(engine) as s:
        row = s.scalars(select(Delivery).where(Delivery.recipient == "band@example.nl")).one()
        assert row.status == "rejected" and "550" in (row.last_error or "")
    again = deliver_pending(engine, world, now=NOW + timedelta(days=3))
    assert again.sent == again.rejected == 0
    assert len(recorder.received) == 4


def test_server_failure_halfway_is_finished_by_the_next_run(engine, world, smtp):
    recorder, _ = smtp
    recorder.fail_after = 2
    first = run_digests(engine, world, now=NOW)
    assert first.sent == 2 and first.delivery.failed == 1 and first.delivery.deferred == 2
    with session_scope(engine) as s:
        statuses = sorted(s.scalars(select(Delivery.status)))
    assert statuses == ["failed", "pending", "pending", "sent", "sent"]

    recorder.fail_after = None
    second = run_digests(engine, world, now=NOW + timedelta(minutes=1))
    assert second.queued == 0 and second.sent == 2  # the failed one waits for its backoff
    third = deliver_pending(engine, world, now=NOW + timedelta(seconds=world.settings.mail.retry_backoff_seconds + 60))
    assert third.sent == 1
    recipients = [r.rcpt_tos[0] for r in recorder.received]
    assert len(recipients) == len(set(recipients)) == 5
    with session_scope(engine) as s:
        failed_then_sent = s.scalars(select(Delivery).where(Delivery.attempts == 2)).one()
        assert failed_then_sent.status == "sent"


def test_past_and_next_weeks_are_their_own_periods(engine, world, smtp):
    _recorder, _ = smtp
    run_digests(engine, world, now=NOW)
    nxt = run_digests(engine, world, now=NOW, week="2025-W24")
    assert nxt.period == "2025-W24" and nxt.already == 0
    with pytest.raises(AlertsError, match="YYYY-Www"):
        run_digests(engine, world, now=NOW, week="2025-23")
    with pytest.raises(AlertsError, match="no week 54"):
        run_digests(engine, world, now=NOW, week="2025-W54")
