"""Wins ILOs record in the follow-up: contracts awarded to companies of the network, for georeturn.

``recorded_wins`` lists the follow-ups now in state won (a win corrected to lost or back to the bid
is no longer one), dated by the change that recorded the win, with the winner's name and country
(the company's), the value when given and the call. Georeturn reads them beside TED's award notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.lifecycle import latest_stage
from tenderwatch.db.models import Company, FollowUp, FollowUpChange, Notice


@dataclass(frozen=True)
class RecordedWin:
    follow_up_uid: str
    call_uid: str
    organisation: str | None
    title: str
    company_key: str
    winner_name: str
    winner_country: str | None
    value_amount: Decimal | None
    value_currency: str | None
    won_at: datetime
    """When the ILO recorded the win."""
    recorded_by: str


def recorded_wins(session: Session, *, organisation: str | None = None, start: date | None = None,
                  end: date | None = None, organisations: frozenset[str] | None = None,
                  timezone: str = "UTC") -> list[RecordedWin]:
    """Wins recorded in [start, end] (days in ``timezone``), of one ``organisation`` or of those in
    ``organisations`` (an ILO's scope; None: all), newest first."""
    won_at = (select(func.max(FollowUpChange.at)).where(FollowUpChange.follow_up_id == FollowUp.id,
                                                         FollowUpChange.to_state == "won")
              .correlate(FollowUp).scalar_subquery())
    title = (select(Notice.title).where(Notice.call_uid == FollowUp.call_uid, latest_stage())
             .correlate(FollowUp).limit(1).scalar_subquery())
    stmt = (select(FollowUp, Company, won_at.label("won_at"), title.label("title"))
            .join(Company, Company.id == FollowUp.company_id).where(FollowUp.state == "won"))
    if organisation:
        stmt = stmt.where(FollowUp.organisation_code == organisation)
    if organisations is not None:
        stmt = stmt.where(FollowUp.organisation_code.in_(sorted(organisations)))
    tz = ZoneInfo(timezone)
    if start is not None:
        stmt = stmt.where(won_at >= datetime.combine(start, time(0), tz))
    if end is not None:
        stmt = stmt.where(won_at < datetime.combine(end + timedelta(days=1), time(0), tz))
    wins = [RecordedWin(follow_up_uid=f.uid, call_uid=f.call_uid, organisation=f.organisation_code,
                        title=t or "", company_key=c.key, winner_name=c.name, winner_country=c.country,
                        value_amount=f.value_amount, value_currency=f.value_currency, won_at=at or f.changed_at,
                        recorded_by=f.changed_by)
            for f, c, at, t in session.execute(stmt)]
    return sorted(wins, key=lambda w: (w.won_at, w.follow_up_uid), reverse=True)
