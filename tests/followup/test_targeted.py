"""Targeted mails through a real SMTP server on loopback: each chosen company once, in its language, with
the ILO as Reply-To, the call's facts and evidence, the ILO's note and the two signed answer links; a
resend only when confirmed; the follow-up marked informed."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import Engine, select, update

from alerts.targeted import Sender, TargetedError, send_targeted
from alerts.tokens import read_answer_token
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Delivery, FollowUp, Ilo, Notice
from tests.alerts.support import NOW, HtmlTags, Recorder, company, notice, set_companies, store


def body(msg: object, kind: str = "plain") -> str:
    return msg.get_body(preferencelist=(kind,)).get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]


@pytest.fixture
def call(engine: Engine, smtp_config: Config) -> str:
    set_companies(engine, smtp_config, [
        company("cryo-bv", name="Cryo B.V.", areas=["cryogenics"], language="nl",
                recipients=["sales@cryo.example.nl", "bids@cryo.example.nl"]),
        company("acme", areas=["cryogenics"]),
        company("gone", areas=["cryogenics"]),
    ])
    store(engine, smtp_config, [notice("C-7", "Cryostat for a magnet test stand", areas=["cryogenics"])])
    with session_scope(engine) as s:
        s.execute(update(Notice).values(documents_url="https://example.org/docs/C-7.zip"))
        s.execute(update(Company).where(Company.key == "gone").values(unsubscribed_at=NOW))
        return s.scalar(select(Notice.call_uid)) or ""


def _ilo(engine: Engine, email: str = "ilo-cern@example.nl") -> int:
    with session_scope(engine) as s:
        return s.scalar(select(Ilo.id).where(Ilo.email == email)) or 0


def test_each_company_gets_one_personal_mail_with_reply_to_note_evidence_and_answer_links(
        engine: Engine, smtp_config: Config, smtp: tuple[Recorder, object], call: str) -> None:
    recorder, _ = smtp
    sender = Sender("anna", _ilo(engine))
    report = send_targeted(engine, smtp_config, call_uid=call, company_keys=["cryo-bv", "acme", "gone"],
                           sender=sender, note="Dit past bij jullie cryostaten.\nBel me gerust.", now=NOW)
    assert [(o.company_key, o.status) for o in report.outcomes] == [
        ("cryo-bv", "sent"), ("acme", "sent"), ("gone", "refused")]
    assert sorted(r.rcpt_tos[0] for r in recorder.received) == [
        "acme@example.nl", "bids@cryo.example.nl", "sales@cryo.example.nl"]

    dutch = recorder.to("sales@cryo.example.nl")[0]
    assert dutch["Reply-To"].addresses[0].addr_spec == "ilo-cern@example.nl"
    assert dutch["Subject"] == "Aanbesteding voor Cryo B.V.: Cryostat for a magnet test stand"
    text = body(dutch)
    assert "Dit past bij jullie cryostaten.\nBel me gerust." in text
    assert "Waarom dit bij Cryo B.V. past: Cryogenie: 'cryostat' in de titel" in text  # the area's evidence
    assert "https://example.org/docs/C-7.zip" in text
    links = [link for link in HtmlTags.of(body(dutch, "html")).links if "/answer/" in link]
    assert len(links) == 2
    claims = [read_answer_token(smtp_config.settings, unquote(link.rsplit("/", 1)[1])) for link in links]
    assert [(c.company_key, c.call_uid, c.answer) for c in claims] == [
        ("cryo-bv", call, "interested"), ("cryo-bv", call, "not_interested")]
    english = body(recorder.to("acme@example.nl")[0])
    assert "Why it fits Acme: " in english and "Interested: " in english

    with session_scope(engine) as s:
        states = {c.key: f.state for f, c in s.execute(select(FollowUp, Company).join(Company))}
        assert states == {"cryo-bv": "informed", "acme": "informed"}
        assert s.scalar(select(Delivery.period_key).where(Delivery.recipient == "acme@example.nl")) == f"call:{call}"


def test_a_resend_needs_confirmation(engine: Engine, smtp_config: Config, smtp: tuple[Recorder, object],
                                     call: str) -> None:
    recorder, _ = smtp
    sender = Sender("anna", _ilo(engine))
    send_targeted(engine, smtp_config, call_uid=call, company_keys=["acme"], sender=sender, now=NOW)
    again = send_targeted(engine, smtp_config, call_uid=call, company_keys=["acme"], sender=sender, now=NOW)
    assert again.outcomes[0].status == "already" and "sent 2025-06-04" in again.outcomes[0].detail
    assert len(recorder.received) == 1
    confirmed = send_targeted(engine, smtp_config, call_uid=call, company_keys=["acme"], sender=sender,
                              resend=True, now=NOW)
    assert confirmed.outcomes[0].status == "sent" and len(recorder.received) == 2
    send_targeted(engine, smtp_config, call_uid=call, company_keys=["acme"], sender=sender, resend=True, now=NOW)
    with session_scope(engine) as s:
        assert sorted(s.scalars(select(Delivery.period_key))) == [
            f"call:{call}", f"call:{call}:again:1", f"call:{call}:again:2"]


def test_a_network_account_replies_through_the_ilo_of_the_calls_organisation(
        engine: Engine, smtp_config: Config, smtp: tuple[Recorder, object], call: str) -> None:
    recorder, _ = smtp
    send_targeted(engine, smtp_config, call_uid=call, company_keys=["acme"], sender=Sender("network", None), now=NOW)
    assert recorder.received[0].message["Reply-To"].addresses[0].addr_spec == "ilo-cern@example.nl"
    with session_scope(engine) as s:
        for ilo in s.scalars(select(Ilo)):
            ilo.organisations = [o for o in ilo.organisations if o != "CERN"]
    with pytest.raises(TargetedError, match="no ILO address to reply to"):
        send_targeted(engine, smtp_config, call_uid=call, company_keys=["cryo-bv"], sender=Sender("network", None),
                      now=NOW)
    with pytest.raises(TargetedError, match="no call 'nope'"):
        send_targeted(engine, smtp_config, call_uid="nope", company_keys=["acme"], sender=Sender("x", None), now=NOW)
    with pytest.raises(TargetedError, match="choose at least one company"):
        send_targeted(engine, smtp_config, call_uid=call, company_keys=[], sender=Sender("x", None), now=NOW)
