"""The follow-ups an ILO sees, filtered and grouped by state: the board (``/ilo/follow-up``), its CSV,
a call's own list and ``tenderwatch follow-up list|export``.

``organisations`` is the reader's scope (``tenderwatch.web.scope.IloScope.organisations``, or the
organisations of the ILO address ``--ilo`` names in the CLI; None: everything): a follow-up of a call
of another organisation is never read, whatever the other filters say. Each row carries the call's
latest stage (title, reference, deadline), so the board sorts by deadline without a query per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from pipeline.lifecycle import latest_stage
from tenderwatch.db.models import Company, FollowUp, Notice, NoticeArea
from tenderwatch.followup.states import CLOSED, STATES, label


@dataclass(frozen=True)
class BoardFilter:
    organisation: str | None = None
    area: str | None = None
    state: str | None = None
    call_uid: str | None = None
    company: str | None = None
    include_closed: bool = False
    """Also won, lost, withdrawn and not interested (the board shows the open ones by default)."""


@dataclass(frozen=True)
class BoardRow:
    uid: str
    state: str
    origin: str
    origin_note: str | None
    note: str | None
    answer_reason: str | None
    value_amount: Decimal | None
    value_currency: str | None
    changed_at: datetime
    changed_by: str
    company_key: str
    company_name: str
    company_country: str
    call_uid: str
    organisation: str | None
    title: str
    reference: str | None
    deadline_at: datetime | None
    deadline_date: date | None
    call_status: str

    @property
    def state_label(self) -> str:
        return label(self.state)


def board_rows(session: Session, f: BoardFilter, organisations: frozenset[str] | None) -> list[BoardRow]:
    """The follow-ups ``organisations`` may see that pass ``f``: by state order, then deadline, then company."""
    stmt = (select(FollowUp, Company, Notice)
            .join(Company, Company.id == FollowUp.company_id)
            .join(Notice, (Notice.call_uid == FollowUp.call_uid) & latest_stage()))
    if organisations is not None:
        stmt = stmt.where(FollowUp.organisation_code.in_(sorted(organisations)))
    if f.organisation:
        stmt = stmt.where(FollowUp.organisation_code == f.organisation)
    if f.state:
        stmt = stmt.where(FollowUp.state == f.state)
    elif not f.include_closed:
        stmt = stmt.where(FollowUp.state.not_in(sorted(CLOSED)))
    if f.call_uid:
        stmt = stmt.where(FollowUp.call_uid == f.call_uid)
    if f.company:
        stmt = stmt.where(Company.key == f.company)
    if f.area:  # in the area at any stage of the call
        stage = aliased(Notice)
        stmt = stmt.where(exists(select(NoticeArea.notice_id).join(stage, stage.id == NoticeArea.notice_id).where(
            NoticeArea.area_id == f.area, stage.call_uid == FollowUp.call_uid)))
    rows = [BoardRow(
        uid=fu.uid, state=fu.state, origin=fu.origin, origin_note=fu.origin_note, note=fu.note,
        answer_reason=fu.answer_reason, value_amount=fu.value_amount, value_currency=fu.value_currency,
        changed_at=fu.changed_at, changed_by=fu.changed_by, company_key=c.key, company_name=c.name,
        company_country=c.country, call_uid=fu.call_uid, organisation=fu.organisation_code, title=n.title,
        reference=n.reference, deadline_at=n.deadline_at, deadline_date=n.deadline_date, call_status=n.status)
        for fu, c, n in session.execute(stmt)]
    order = {s: i for i, s in enumerate(STATES)}
    return sorted(rows, key=lambda r: (order.get(r.state, len(order)),
                                       r.deadline_at.timestamp() if r.deadline_at else float("inf"),
                                       r.company_name.casefold(), r.uid))


def grouped(rows: Iterable[BoardRow]) -> list[tuple[str, list[BoardRow]]]:
    """(state, its rows) in the states' order, states without rows left out."""
    groups: dict[str, list[BoardRow]] = {}
    for row in rows:
        groups.setdefault(row.state, []).append(row)
    return [(s, groups[s]) for s in STATES if s in groups]


CSV_COLUMNS = ["follow_up", "state", "changed_at", "changed_by", "company_key", "company", "country", "call",
               "organisation", "reference", "title", "deadline", "call_status", "origin", "why_added", "note",
               "answer_reason", "value", "currency"]


def csv_rows(rows: Iterable[BoardRow]) -> Iterator[list[object]]:
    """The board's rows as CSV cells (``pipeline.csv_export.write_csv`` guards them against formulas)."""
    for r in rows:
        deadline = r.deadline_date.isoformat() if r.deadline_date else (r.deadline_at.isoformat() if r.deadline_at
                                                                          else "")
        yield [r.uid, r.state, r.changed_at.isoformat(), r.changed_by, r.company_key, r.company_name,
               r.company_country, r.call_uid, r.organisation or "", r.reference or "", r.title, deadline,
               r.call_status, r.origin, r.origin_note or "", r.note or "", r.answer_reason or "",
               "" if r.value_amount is None else str(r.value_amount), r.value_currency or ""]
