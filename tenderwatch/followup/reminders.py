"""Reminders for the ILO's morning notification: a company said it is interested in a call that closes
within ``DAYS`` days, and no bid is recorded yet (the follow-up is still "interested")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.lifecycle import latest_stage
from tenderwatch.db.models import Company, FollowUp, Notice

DAYS = 7


@dataclass(frozen=True)
class Reminder:
    uid: str
    call_uid: str
    organisation: str | None
    notice_id: int
    title: str
    company_key: str
    company_name: str
    deadline_at: datetime
    deadline_date: date | None
    interested_since: datetime


def due_reminders(session: Session, now: datetime, *, days: int = DAYS,
                  organisations: frozenset[str] | None = None) -> list[Reminder]:
    """Interested follow-ups without a bid whose call (its latest stage, still open) closes in (now, now + days]."""
    stmt = (select(FollowUp, Company, Notice)
            .join(Company, Company.id == FollowUp.company_id)
            .join(Notice, (Notice.call_uid == FollowUp.call_uid) & latest_stage())
            .where(FollowUp.state == "interested", Notice.status == "open", Notice.deadline_at > now,
                   Notice.deadline_at <= now + timedelta(days=days)))
    if organisations is not None:
        stmt = stmt.where(FollowUp.organisation_code.in_(sorted(organisations)))
    found = [Reminder(fu.uid, fu.call_uid, fu.organisation_code, n.id, n.title, c.key, c.name, n.deadline_at,
                      n.deadline_date, fu.changed_at) for fu, c, n in session.execute(stmt)]
    return sorted(found, key=lambda r: (r.deadline_at, r.company_name.casefold(), r.uid))
