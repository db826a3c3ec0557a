"""Targeted distribution: an ILO sends chosen companies a personal mail about one call.

Each mail is in the company's language, has the ILO as Reply-To, the call's facts, why the call fits
the company (its match reasons with the classifier's evidence in words, or the ILO's reason for
adding it), the links to the notice, its documents and the call's page, the ILO's own note, and the
two signed answer links ("Interested", "Not for us"). It goes through the exactly-once ledger like
every mail (kind ``targeted``, one row per recipient, ``period_key`` ``call:<call id>``): asking
again sends nothing, and a resend has to be confirmed (``resend=True``), when it gets the next key
(``call:<call id>:again:<n>``). The ledger rows and the follow-up's "informed" are written in one
transaction, before anything is sent.

Who the ILO is: the signed-in user's ILO address; for an account bound to none (a network account),
the ILOs that cover the call's organisation in ``organisations.yaml``. Without either, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from alerts.facts import load_notices, profile_of
from alerts.i18n import Texts
from alerts.matching import CompanyIndex
from alerts.message import address, build_message
from alerts.outgoing import DeliveryReport, deliver_pending, enqueue
from alerts.render import environment, render_pair
from alerts.tokens import AnswerSigner, TokenError, answer_urls, make_token
from alerts.views import display_text, notice_view, reason_label, safe_url
from pipeline.values import ValueBands
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Delivery, FollowUp, Ilo
from tenderwatch.followup.records import Actor, FollowUpError, clean_note, find_call, mail_sent
from tenderwatch.formats import format_date

KIND = "targeted"
MAX_COMPANIES = 50
"""Companies one send may reach (a targeted mail is personal; a list of hundreds is a newsletter)."""
NOTE_LIMIT = 2000


class TargetedError(ValueError):
    """Nothing could be sent at all (unknown call, no ILO to reply to, no company chosen...)."""


@dataclass(frozen=True)
class Sender:
    """The signed-in ILO who sends: their user name (the history's "who") and ILO address, if bound."""

    user_name: str
    ilo_id: int | None


@dataclass
class Outcome:
    company_key: str
    company_name: str
    status: str
    """sent (queued and delivered or retried later), already (sent before: confirm to resend),
    refused (unsubscribed, no address, not active), failed (the mail server refused)."""
    detail: str = ""


@dataclass
class TargetedReport:
    outcomes: list[Outcome] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def period_base(call_uid: str) -> str:
    return f"call:{call_uid}"


def sent_before(session: Session, call_uid: str, recipients: Iterable[str]) -> list[Delivery]:
    """The targeted ledger rows of this call for these addresses (any send, resends included)."""
    wanted = sorted({r.strip().lower() for r in recipients})
    if not wanted:
        return []
    base = period_base(call_uid)
    return list(session.scalars(select(Delivery).where(
        Delivery.kind == KIND, Delivery.recipient.in_(wanted),
        (Delivery.period_key == base) | Delivery.period_key.like(f"{base}:again:%")).order_by(Delivery.id)))


def reply_to(session: Session, sender: Sender, organisation: str | None) -> Ilo:
    """The ILO a company's reply reaches (see the module docstring); ``TargetedError`` when none."""
    if sender.ilo_id is not None:
        ilo = session.get(Ilo, sender.ilo_id)
        if ilo is not None:
            return ilo
    covering = [i for i in session.scalars(select(Ilo).order_by(Ilo.email)) if organisation in (i.organisations or [])]
    if covering:
        return covering[0]
    raise TargetedError(
        f"no ILO address to reply to: your account is bound to no ILO and no ILO covers {organisation or 'this call'} "
        "in organisations.yaml (bind the account: tenderwatch users add NAME --ilo EMAIL --reset)")


def send_targeted(engine: Engine, config: Config, *, call_uid: str, company_keys: list[str], sender: Sender,
                  note: str | None = None, resend: bool = False, now: datetime | None = None,
                  allow_demo_secret: bool = False) -> TargetedReport:
    """Queue and send the mails; per company an ``Outcome``. Raises ``TargetedError`` when nothing can go."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    keys = list(dict.fromkeys(k for k in company_keys if k))
    if not keys:
        raise TargetedError("choose at least one company")
    if len(keys) > MAX_COMPANIES:
        raise TargetedError(f"at most {MAX_COMPANIES} companies per send ({len(keys)} chosen)")
    note = clean_note(note, NOTE_LIMIT)
    report = TargetedReport()
    written: list[int] = []
    try:
        signer = AnswerSigner(config.settings, allow_demo=allow_demo_secret)
    except TokenError as exc:
        raise TargetedError(str(exc)) from exc
    with session_scope(engine) as session:
        try:
            call = find_call(session, call_uid)
        except FollowUpError as exc:
            raise TargetedError(str(exc)) from exc
        ilo = reply_to(session, sender, call.organisation)
        facts = load_notices(session, [call.notice.id])[0]
        companies = {c.key: c for c in session.scalars(select(Company).where(Company.key.in_(keys)))}
        follow_ups = {f.company_id: f for f in session.scalars(select(FollowUp).where(
            FollowUp.call_uid == call_uid, FollowUp.company_id.in_([c.id for c in companies.values()])))}
        mail = _Mail(config, facts, call.notice.documents_url, ilo, signer, now, allow_demo_secret)
        actor = Actor("ilo", sender.user_name)
        for key in keys:
            company = companies.get(key)
            if company is None:
                report.outcomes.append(Outcome(key, key, "refused", "no such company"))
                continue
            outcome = _queue_one(session, mail, company, follow_ups.get(company.id), note, resend, now, written)
            report.outcomes.append(outcome)
            if outcome.status == "sent":
                mail_sent(session, call_uid=call_uid, company=company, actor=actor, now=now,
                          note=f"targeted mail sent{': ' + note if note else ''}")
    if written:
        report.delivery = deliver_pending(engine, config, now=now, ids=written)
        failed = _failed_recipients(engine, written)
        for outcome in report.outcomes:
            if outcome.status == "sent" and outcome.company_key in failed:
                outcome.status, outcome.detail = "failed", failed[outcome.company_key]
    return report


def _queue_one(session: Session, mail: _Mail, company: Company, follow_up: FollowUp | None, note: str | None,
               resend: bool, now: datetime, written: list[int]) -> Outcome:
    name = display_text(company.name, 200)
    if not company.active or company.unsubscribed_at is not None:
        return Outcome(company.key, name, "refused", "unsubscribed" if company.unsubscribed_at else "not active")
    recipients = list(dict.fromkeys(r.strip().lower() for r in company.recipients or [] if r.strip()))
    if not recipients:
        return Outcome(company.key, name, "refused", "no e-mail address")
    earlier = sent_before(session, mail.facts.call_uid, recipients)
    if earlier and not resend:
        last = max(earlier, key=lambda d: d.created_at)
        return Outcome(company.key, name, "already", f"sent {last.created_at:%Y-%m-%d %H:%M} UTC")
    base = period_base(mail.facts.call_uid)
    period_key = base if not earlier else f"{base}:again:{len({d.period_key for d in earlier})}"
    try:
        messages = mail.messages(company, follow_up, note, recipients)
    except ValueError as exc:  # an address the mail package refuses
        return Outcome(company.key, name, "refused", str(exc))
    for rcpt, msg in messages:
        row = enqueue(session, recipient=rcpt, kind=KIND, period_key=period_key, message=msg, company_id=company.id,
                      payload={"call": mail.facts.call_uid, "company": company.key, "ilo": mail.ilo.email}, now=now)
        if row is not None:
            written.append(row.id)
    return Outcome(company.key, name, "sent", ", ".join(recipients))


def _failed_recipients(engine: Engine, ids: list[int]) -> dict[str, str]:
    with session_scope(engine) as session:
        rows = session.execute(select(Delivery.payload, Delivery.status, Delivery.last_error)
                               .where(Delivery.id.in_(ids), Delivery.status == "rejected"))
        return {(payload or {}).get("company", ""): display_text(error or status, 300)
                for payload, status, error in rows}


class _Mail:
    """The call's part of every mail of one send, and each company's own part."""

    def __init__(self, config: Config, facts: Any, documents_url: str | None, ilo: Ilo, signer: AnswerSigner,
                 now: datetime, allow_demo_secret: bool) -> None:
        self.config, self.facts, self.ilo, self.signer, self.now = config, facts, ilo, signer, now
        self.documents_url = safe_url(documents_url)
        self.allow_demo = allow_demo_secret
        self.bands = ValueBands(config.sources)

    def messages(self, company: Company, follow_up: FollowUp | None, note: str | None,
                 recipients: list[str]) -> list[tuple[str, Any]]:
        settings = self.config.settings
        t = Texts(company.language or "en")
        labels = {a.id: (a.label_nl if t.language == "nl" and a.label_nl else a.label)
                  for a in self.config.taxonomy.areas}
        match = CompanyIndex([profile_of(company)]).companies_for(self.facts)
        reasons = [reason_label(r, t, labels, self.facts.area_evidence) for m in match for r in m.reasons]
        if not reasons and follow_up is not None and follow_up.origin_note:
            reasons = [display_text(follow_up.origin_note, 300)]
        view = notice_view(self.facts, t=t, timezone=company.timezone or settings.timezone, at=self.now, reasons=[],
                           area_labels=labels, value_bands=self.bands)
        base = settings.site_base_url
        answers = answer_urls(base, self.signer, company.key, self.facts.call_uid)
        token = make_token(settings, company.key, "preferences", allow_demo=self.allow_demo)
        preferences = f"{base}/preferences/{token}"
        ilo_name = display_text(self.ilo.name, 200)
        company_name = display_text(company.name, 200)
        subject = t("targeted_subject", company=company_name, title=view.title)
        expires = format_date((self.now + timedelta(days=settings.token_max_age_days)).date(), t.language)
        context = {
            "t": t, "subject": subject, "n": view, "company": company_name, "ilo_name": ilo_name,
            "ilo_email": self.ilo.email, "note": note.split("\n") if note else [], "reasons": reasons,
            "documents_url": self.documents_url, "call_page": f"{base}/calls/{quote(self.facts.call_uid, safe='')}",
            "interested_url": answers["interested"], "not_interested_url": answers["not_interested"],
            "preferences_url": preferences, "expires": expires,
            "block": Markup(environment().get_template("_block.html.j2").render(n=view, t=t)),  # noqa: S704
        }
        text, html = render_pair("targeted", context)
        reply = str(address(self.ilo.name, self.ilo.email))
        return [(rcpt, build_message(kind=KIND, from_address=settings.mail.from_address,
                                     to=[address(company.name, rcpt)], subject=subject, text=text, html=html,
                                     extra_headers={"Reply-To": reply}))
                for rcpt in recipients]


__all__ = ["KIND", "Outcome", "Sender", "TargetedError", "TargetedReport", "send_targeted", "sent_before"]
