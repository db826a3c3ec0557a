"""The ILO's first page (``/ilo/``), the page an ILO opens every morning: what is new for the
organisations they cover since their last visit, what closes soon and for how many companies,
what changed (deadlines moved, cancellations), which sources are failing, and their saved searches.

"Since your last visit" is kept in the database (``users.ilo_page_seen_at`` / ``ilo_page_since``),
so it survives signing out and changing devices; views less than ``VISIT_GAP`` apart are one visit,
so a reload does not empty the page. A user bound to an ILO of ``config/organisations.yaml`` sees
that ILO's organisations; an administrator or an unbound ILO user sees every organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from tenderwatch.db.models import Ilo, Notice, NoticeChange, Organisation, SavedSearch, Source, TechnologyArea, User
from tenderwatch.health.verdicts import unhealthy_sources
from tenderwatch.web import queries

VISIT_GAP = timedelta(minutes=30)
FIRST_VISIT_DAYS = 7
CLOSING_DAYS = 14
LIMIT = 50


@dataclass
class IloHome:
    since: datetime
    first_visit: bool
    organisations: list[str] | None
    """The organisation codes the user covers; None: all of them."""
    new_calls: list[Notice] = field(default_factory=list)
    new_total: int = 0
    closing: list[tuple[Notice, int]] = field(default_factory=list)
    """Open calls closing within ``CLOSING_DAYS``, soonest first, with their number of matching companies."""
    changes: list[tuple[NoticeChange, Notice]] = field(default_factory=list)
    unhealthy: list[Source] = field(default_factory=list)
    searches: list[tuple[SavedSearch, int, int]] = field(default_factory=list)
    """Each saved search with its open calls and how many of them are new since the last visit."""


def record_visit(session: Session, user_id: int, now: datetime) -> tuple[datetime, bool]:
    """The start of "since your last visit" for this view, and whether it is the first visit ever."""
    user = session.get(User, user_id)
    if user is None:
        return now - timedelta(days=FIRST_VISIT_DAYS), True
    if user.ilo_page_seen_at is None or user.ilo_page_since is None:
        user.ilo_page_since = now - timedelta(days=FIRST_VISIT_DAYS)
    elif now - user.ilo_page_seen_at > VISIT_GAP:
        user.ilo_page_since = user.ilo_page_seen_at  # a new visit: what came after the last one
    first = user.ilo_page_since == now - timedelta(days=FIRST_VISIT_DAYS)
    user.ilo_page_seen_at = now
    return user.ilo_page_since, first


def covered_organisations(session: Session, user_id: int) -> list[str] | None:
    """The organisation codes of the user's ILO; None (all) for administrators and unbound users."""
    user = session.get(User, user_id)
    if user is None or user.role == "admin" or user.ilo_id is None:
        return None
    ilo = session.get(Ilo, user.ilo_id)
    return sorted(ilo.organisations or []) if ilo is not None else None


def _in_scope(stmt: Any, organisations: list[str] | None) -> Any:
    if organisations is None:
        return stmt
    return stmt.where(Notice.organisation_id.in_(
        select(Organisation.id).where(Organisation.code.in_(organisations))))


def _open(now: datetime) -> Any:
    return (Notice.status == "open") & or_(Notice.deadline_at.is_(None), Notice.deadline_at >= now)


def _one_per_call(notices: list[Notice]) -> list[Notice]:
    seen: set[str] = set()
    out = []
    for n in notices:
        if n.call_uid not in seen:
            seen.add(n.call_uid)
            out.append(n)
    return out


def matching_counts(session: Session, notices: list[Notice]) -> dict[int, int]:
    """Notice id -> number of companies matching it (the alerts' own rule, ``alerts.matching``)."""
    if not notices:
        return {}
    from alerts.facts import load_companies, load_notices
    from alerts.matching import CompanyIndex

    index = CompanyIndex(load_companies(session))
    return {facts.id: len(index.companies_for(facts)) for facts in load_notices(session, [n.id for n in notices])}


def build_home(session: Session, user_id: int, *, now: datetime, tz: Any) -> IloHome:
    since, first = record_visit(session, user_id, now)
    orgs = covered_organisations(session, user_id)
    home = IloHome(since=since, first_visit=first, organisations=orgs)
    load = (selectinload(Notice.organisation), selectinload(Notice.areas))

    new = _in_scope(select(Notice).where(_open(now), Notice.first_seen_at >= since), orgs)
    found = new.subquery()
    home.new_total = session.scalar(select(func.count(func.distinct(found.c.call_uid)))) or 0
    home.new_calls = _one_per_call(list(session.scalars(new.options(*load).order_by(
        Notice.deadline_at.is_(None), Notice.deadline_at, Notice.first_seen_at.desc(), Notice.id).limit(LIMIT * 2))
    ))[:LIMIT]

    closing = _one_per_call(list(session.scalars(_in_scope(select(Notice).where(
        _open(now), Notice.deadline_at.is_not(None), Notice.deadline_at <= now + timedelta(days=CLOSING_DAYS)),
        orgs).options(*load).order_by(Notice.deadline_at, Notice.id).limit(LIMIT))))
    counts = matching_counts(session, closing)
    home.closing = [(n, counts.get(n.id, 0)) for n in closing]

    changed = _in_scope(select(NoticeChange, Notice).join(Notice, NoticeChange.notice_id == Notice.id).where(
        NoticeChange.changed_at >= since, NoticeChange.field.in_(("deadline_at", "status"))), orgs)
    home.changes = [(c, n) for c, n in session.execute(  # JSON has no '=' on PostgreSQL: cancellations picked here
        changed.options(selectinload(Notice.organisation)).order_by(NoticeChange.changed_at.desc()).limit(LIMIT * 4))
        if c.field == "deadline_at" or c.new_value == "cancelled"][:LIMIT]

    home.unhealthy = unhealthy_sources(session, orgs)

    codes = set(session.scalars(select(Organisation.code)))
    areas = set(session.scalars(select(TechnologyArea.id)))
    for saved in session.scalars(select(SavedSearch).order_by(SavedSearch.title)):
        f = queries.CallFilter.parse(dict(saved.query or {}), organisations=codes, areas=areas)
        base = queries.calls_statement(f, now=now, tz=tz).subquery()
        total = session.scalar(select(func.count()).select_from(base)) or 0
        fresh = session.scalar(select(func.count()).select_from(base).where(base.c.first_seen_at >= since)) or 0
        home.searches.append((saved, total, fresh))
    return home

