"""ILO notifications: new calls and significant changes, batched per ILO per run, never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts.notify import run_ilo_notifications
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery, Notice
from tenderwatch.sync import sync_config
from tests.alerts.support import NOW, HtmlTags, company, notice, set_companies, store

CERN_MEMBERS = ["NL", "DE", "FR", "CH"]


@pytest.fixture(autouse=True)
def english_ilos(engine, smtp_config):
    """The shipped CERN ILO reads Dutch; these tests assert English words (Dutch is tested in the digests)."""
    for org in smtp_config.organisations:
        for ilo in org.ilos:
            ilo.language = "en"
    with session_scope(engine) as s:
        sync_config(s, smtp_config, companies=False)


def body(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def test_new_calls_go_to_the_ilos_covering_them_with_matching_companies(engine, smtp_config, smtp):
    recorder, _ = smtp
    set_companies(engine, smtp_config, [
        company("cryo", areas=["cryogenics"], recipients=["a@cryo.example.nl", "b@cryo.example.nl"]),
        company("us-cryo", areas=["cryogenics"], country="US"),
        company("optics", areas=["optics"]),
    ])
    store(engine, smtp_config, [
        notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"]),
        notice("c2", "Beam dump", eligible=CERN_MEMBERS, areas=["accelerator"]),
        notice("e1", "Cryogenic plant", organisation="ESS", areas=["cryogenics"]),
        notice("a1", "Award of a cryostat", notice_type="contract_award", areas=["cryogenics"]),
    ])
    report = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=10))
    assert report.sent == 2 and report.calls == 3

    (cern,) = recorder.to("ilo-cern@example.nl")
    assert cern["X-Tenderwatch-Kind"] == "ilo-notification"
    text = body(cern)
    assert "Cryostat" in text and "Beam dump" in text and "Award of a cryostat" not in text
    cryostat = text.split("Beam dump")[0] if text.index("Cryostat") < text.index("Beam dump") else text
    assert "Cryo (NL; contact: a@cryo.example.nl, b@cryo.example.nl): Cryogenics: 'cryostat' in the title" in text
    assert "Technology areas: Cryogenics: 'cryostat' in the title" in text  # every area of the call, in words
    assert "Us Cryo" not in cryostat  # not eligible at CERN
    assert "No registered company matches this call." in text  # the beam dump

    (np,) = recorder.to("ilo-np@example.nl")  # ESS is covered by the neutrons-and-photons ILO
    assert "Cryogenic plant" in body(np) and "Us Cryo (US" in body(np)  # ESS is open to all

    again = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=20))
    assert again.queued == 0 and again.sent == 0 and len(recorder.received) == 2


def test_deadline_change_and_cancellation_are_notified_once(engine, smtp_config, smtp):
    recorder, _ = smtp
    store(engine, smtp_config, [notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"])])
    run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=1))
    assert len(recorder.to("ilo-cern@example.nl")) == 1

    moved = notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"], days=35)
    store(engine, smtp_config, [moved], now=NOW + timedelta(hours=1))
    report = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(hours=2))
    assert report.sent == 1 and report.events == 1
    second = recorder.to("ilo-cern@example.nl")[1]
    assert "Deadline changed · CERN" in body(second) and "deadline moved from" in body(second)

    cancelled = notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"], days=35, status="cancelled")
    store(engine, smtp_config, [cancelled], now=NOW + timedelta(hours=3))
    run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(hours=4))
    assert "Cancelled · CERN" in body(recorder.to("ilo-cern@example.nl")[2])

    assert run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(hours=5)).queued == 0
    assert len(recorder.to("ilo-cern@example.nl")) == 3
    with session_scope(engine) as s:
        payloads = s.scalars(select(Delivery.payload).where(Delivery.kind == "ilo-notification"))
        keys = [set(p["events"]) for p in payloads]
    assert all(not (a & b) for i, a in enumerate(keys) for b in keys[i + 1:]), "an event is in one batch only"


def test_nothing_new_means_no_mail_and_no_ledger_row(engine, smtp_config, smtp):
    recorder, _ = smtp
    report = run_ilo_notifications(engine, smtp_config, now=NOW)
    assert report.queued == 0 and recorder.received == []
    with session_scope(engine) as s:
        assert s.scalar(select(Delivery.id)) is None


def test_failing_sources_of_the_ilos_organisations_are_listed_in_the_footer(engine, smtp_config, smtp):
    from tenderwatch.db.models import Source

    recorder, _ = smtp
    with session_scope(engine) as s:
        cern_src = s.scalars(select(Source).where(Source.organisation_code == "CERN")).first()
        esa_src = s.scalars(select(Source).where(Source.organisation_code == "ESA")).first()
        assert cern_src is not None and esa_src is not None
        cern_src.healthy, cern_src.health_reason = False, "zero notices 3 runs in a row <b>"
        esa_src.healthy, esa_src.health_reason = False, "crawl failed"
        cern_name = cern_src.name
        esa_name = esa_src.name
    store(engine, smtp_config, [notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"])])
    run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=10))
    (cern,) = recorder.to("ilo-cern@example.nl")
    text = body(cern)
    assert "Sources currently failing" in text
    assert f"{cern_name}: zero notices 3 runs in a row" in text
    assert esa_name not in text  # not an organisation this ILO covers
    html = cern.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;" in html and "<b>" not in html.split("Sources currently failing")[1]


def test_ilo_mail_links_to_the_call_and_its_companies_lists_the_top_ones_and_has_a_footer(
        engine, smtp_config, smtp):
    recorder, _ = smtp
    dutch = [company(f"nl-{i:02d}", areas=["cryogenics"]) for i in range(12)]
    german = [company(f"de-{i:02d}", areas=["cryogenics"], country="DE") for i in range(3)]
    set_companies(engine, smtp_config, german + dutch)
    store(engine, smtp_config, [notice("c1", "Cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"])])
    run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=10))
    with session_scope(engine) as s:
        call_uid = s.scalar(select(Notice.call_uid).where(Notice.title == "Cryostat"))
    (mail,) = recorder.to("ilo-cern@example.nl")
    assert str(mail["Subject"]) == "Tenderwatch CERN: 1 new call"
    text = body(mail)
    base = smtp_config.settings.site_base_url
    assert f"Call page: {base}/calls/{call_uid}" in text
    assert "15 matching companies:" in text
    assert f"and 5 more companies: see all matching companies: {base}/ilo/calls/{call_uid}/companies" in text
    # the ILO (NL) sees Dutch companies first: ten of the twelve, none of the German ones
    listed = [line for line in text.splitlines() if line.startswith("  - ")]
    assert len(listed) == 10 and all("(NL;" in line for line in listed)
    assert "You receive this as the ILO for CERN in Tenderwatch." in text

    html = mail.get_body(preferencelist=("html",)).get_content()
    tags = HtmlTags.of(html)
    assert tags.doctype.lower() == "doctype html" and not tags.obsolete(), tags.obsolete()
    assert f"{base}/calls/{call_uid}" in tags.links and f"{base}/ilo/calls/{call_uid}/companies" in tags.links
    assert f"{base}/ilo/" in tags.links and f"{base}/ilo/sources" in tags.links
    with session_scope(engine) as s:
        (payload,) = s.scalars(select(Delivery.payload).where(Delivery.kind == "ilo-notification"))
    assert payload["calls"][0]["companies"] == 15 and len(payload["calls"][0]["listed"]) == 10


def test_two_stages_of_one_call_in_one_batch_make_one_entry(engine, smtp_config, smtp):
    """A market survey and the invitation to tender that names it arrive in the same run: the ILO hears
    of one call, read by its invitation, and both notices' events are kept so neither comes back."""
    recorder, _ = smtp
    survey = notice("ms1", "Market survey: cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"],
                    notice_type="market_survey")
    itt = notice("itt1", "Invitation to tender: cryostat", eligible=CERN_MEMBERS, areas=["cryogenics"], days=40)
    itt.previous_notice = "ms1"
    other = notice("c9", "Beam dump", eligible=CERN_MEMBERS, areas=["accelerator"])
    store(engine, smtp_config, [survey, itt, other])
    with session_scope(engine) as s:
        calls = {t: c for t, c in s.execute(select(Notice.title, Notice.call_uid))}
    assert calls["Market survey: cryostat"] == calls["Invitation to tender: cryostat"]  # one call, two stages

    report = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=10))
    assert (report.sent, report.calls, report.events) == (1, 2, 3)
    (mail,) = recorder.to("ilo-cern@example.nl")
    assert str(mail["Subject"]) == "Tenderwatch CERN: 2 new calls"
    text = body(mail)
    assert "Invitation to tender: cryostat" in text and "Market survey: cryostat" not in text
    assert text.count(f"Call page: {smtp_config.settings.site_base_url}/calls/{calls['Market survey: cryostat']}") == 1
    again = run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=20))
    assert again.queued == 0 and len(recorder.received) == 1
