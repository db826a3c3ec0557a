"""A few follow-ups for the demo, so a newcomer sees the board working: made through the real paths
(a targeted mail through the ledger to the outbox, the companies' answers, an ILO's states, a win with
its value), on the demo's own calls and companies, and marked in their notes as the demo's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from alerts.facts import load_companies, load_open_notices
from alerts.matching import CompanyIndex
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.followup.records import Actor, FollowUpError, change_state

NOTE = "(demo)"


@dataclass
class SampleReport:
    follow_ups: int = 0
    mails: int = 0
    calls: list[str] = field(default_factory=list)


def add_demo_follow_ups(engine: Engine, config: Config, ilo_user: str, *, now: datetime | None = None) -> SampleReport:
    """Follow-ups in several states on the open calls with the most matching companies (none when no call
    has two). The first call gets a targeted mail to two companies, who answer from it."""
    from alerts.targeted import Sender, TargetedError, send_targeted

    now = now or datetime.now(UTC)
    report = SampleReport()
    with session_scope(engine) as session:
        index = CompanyIndex(load_companies(session))
        calls = [(n, index.companies_for(n)) for n in load_open_notices(session, now)]
    calls = sorted(((n, m) for n, m in calls if len(m) >= 2),
                   key=lambda c: (c[0].deadline_at or now + timedelta(days=999), c[0].call_uid))[:4]
    if not calls:
        return report
    ilo = Actor("ilo", ilo_user)
    first, first_matches = calls[0]
    keys = [m.company.key for m in first_matches[:2]]
    try:
        sent = send_targeted(engine, config, call_uid=first.call_uid, company_keys=keys, sender=Sender(ilo_user, None),
                             note=f"This call looks like your work: worth a look before the deadline. {NOTE}",
                             now=now - timedelta(hours=4))
        report.mails = sent.count("sent")
    except TargetedError:
        pass
    steps = [
        (first.call_uid, keys[0], [("interested", Actor("company", keys[0]), None)]),
        (first.call_uid, keys[1], [("not_interested", Actor("company", keys[1]), "wrong_area")]),
    ]
    if len(calls) > 1:
        call, matches = calls[1]
        steps += [(call.call_uid, matches[0].company.key, [("proposed", ilo, None)]),
                  (call.call_uid, matches[1].company.key, [("informed", ilo, None), ("bid_submitted", ilo, None)])]
    for call, matches in calls[2:]:
        outcome = "won" if call is calls[2][0] else "lost"
        steps.append((call.call_uid, matches[0].company.key,
                      [("interested", ilo, None), ("bid_submitted", ilo, None), (outcome, ilo, None)]))
    with session_scope(engine) as session:
        for call_uid, key, changes in steps:
            company = session.scalar(select(Company).where(Company.key == key))
            if company is None:
                continue
            for i, (state, actor, reason) in enumerate(changes):
                value, currency = (Decimal("184000.00"), "EUR") if state == "won" else (None, None)
                try:
                    change_state(session, call_uid=call_uid, company=company, state=state, actor=actor,
                                 note=NOTE if actor.kind == "ilo" else None, reason=reason, value=value,
                                 currency=currency, now=now - timedelta(hours=len(changes) - i))
                except FollowUpError:
                    break
            report.follow_ups += 1
            if call_uid not in report.calls:
                report.calls.append(call_uid)
    return report
