"""Light, read-only records of notices and companies, loaded in a few queries.

Matching 10,000 companies against 5,000 open notices must not touch the ORM per pair (or even per
row): these loaders read only the columns alerts need, in bulk, into plain dataclasses that the
matcher indexes and the templates render. Text used for keyword matching is folded once here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.classify import fold
from pipeline.lifecycle import latest_stage
from tenderwatch.db.models import Company, Notice, NoticeArea, NoticeChange, Organisation

KEYWORD_TEXT_LIMIT = 20_000
"""Characters of title + description searched for company keywords: enough for any real summary,
and a 100 kB hostile description cannot make matching slow."""

_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class NoticeFacts:
    """What alerts need of one notice (a call stage)."""

    id: int
    uid: str
    call_uid: str
    organisation: str | None
    organisation_name: str | None
    organisation_timezone: str
    reference: str | None
    notice_type: str
    title: str
    url: str | None
    deadline_at: datetime | None
    published_at: datetime | None
    first_seen_at: datetime
    last_changed_at: datetime
    status: str
    value_amount: Decimal | None
    value_currency: str | None
    value_note: str | None
    cpv_codes: list[str]
    eligible_countries: frozenset[str] | None
    """None = open to all."""
    areas: list[tuple[str, float]]
    """(area id, score), best first."""
    area_evidence: dict[str, list[str]] = field(default_factory=dict)
    """Area id -> the classifier's evidence tags (``pipeline.evidence`` puts them in words)."""
    deadline_date: date | None = None
    """Set for a date-only deadline (``Notice.deadline_date``): shown as that day, without a time."""
    folded_text: str = ""
    words: frozenset[str] = frozenset()
    changes: list[ChangeFacts] = field(default_factory=list)

    def is_open(self, at: datetime) -> bool:
        """Still biddable at ``at``: status open and the deadline (if any) not passed."""
        return self.status == "open" and (self.deadline_at is None or self.deadline_at > at)


@dataclass(slots=True, frozen=True)
class ChangeFacts:
    id: int
    notice_id: int
    field: str
    old_value: Any
    new_value: Any
    changed_at: datetime
    notice_ref: str | None = None
    """The notice that brought the change (a corrigendum's number), when it is not the notice itself."""


@dataclass(slots=True)
class CompanyProfile:
    """A company's alert profile as the matcher and the digest use it."""

    id: int
    key: str
    name: str
    recipients: list[str]
    country: str
    language: str
    timezone: str
    areas: list[str]
    keywords: list[str]
    cpv_prefixes: list[str]
    organisations: list[str]
    value_min: Decimal | None
    value_max: Decimal | None
    frequency: str
    calendar_version: int = 0
    """Which of the company's calendar links is valid (``alerts.tokens.calendar_url``)."""


def keyword_text(title: str | None, description: str | None) -> str:
    """The folded text company keywords are searched in (bounded)."""
    text = f"{title or ''}\n{description or ''}"[:KEYWORD_TEXT_LIMIT]
    return fold(text)


_NOTICE_COLUMNS = (
    Notice.id, Notice.uid, Notice.call_uid, Organisation.code, Organisation.name, Organisation.timezone,
    Notice.reference, Notice.notice_type, Notice.title, Notice.url, Notice.deadline_at, Notice.deadline_date,
    Notice.published_at,
    Notice.first_seen_at, Notice.last_changed_at, Notice.status, Notice.value_amount, Notice.value_currency,
    Notice.value_note, Notice.cpv_codes, Notice.eligible_countries, Notice.description,
)


def _facts_from_rows(session: Session, rows: Iterable[Any], *, with_text: bool = True) -> list[NoticeFacts]:
    out: list[NoticeFacts] = []
    for r in rows:
        text = keyword_text(r.title, r.description) if with_text else ""
        out.append(NoticeFacts(
            id=r.id, uid=r.uid, call_uid=r.call_uid, organisation=r.code, organisation_name=r.name,
            organisation_timezone=r.timezone or "UTC", reference=r.reference, notice_type=r.notice_type,
            title=r.title, url=r.url, deadline_at=r.deadline_at, deadline_date=r.deadline_date,
            published_at=r.published_at,
            first_seen_at=r.first_seen_at, last_changed_at=r.last_changed_at, status=r.status,
            value_amount=r.value_amount, value_currency=r.value_currency, value_note=r.value_note,
            cpv_codes=list(r.cpv_codes or []),
            eligible_countries=None if r.eligible_countries is None else frozenset(r.eligible_countries),
            areas=[], folded_text=text, words=frozenset(_WORD.findall(text)),
        ))
    by_id = {n.id: n for n in out}
    ids = list(by_id)
    for chunk_start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[chunk_start:chunk_start + 900]
        for nid, area, score, evidence in session.execute(
            select(NoticeArea.notice_id, NoticeArea.area_id, NoticeArea.score, NoticeArea.evidence)
            .where(NoticeArea.notice_id.in_(chunk))
        ):
            by_id[nid].areas.append((area, score))
            by_id[nid].area_evidence[area] = list(evidence or [])
    for n in out:
        n.areas.sort(key=lambda a: (-a[1], a[0]))
    return out


def load_open_notices(session: Session, at: datetime) -> list[NoticeFacts]:
    """Every call still open at ``at``: its latest stage, if open (status open, deadline unknown or later)."""
    rows = session.execute(
        select(*_NOTICE_COLUMNS)
        .outerjoin(Organisation, Organisation.id == Notice.organisation_id)
        .where(Notice.status == "open", or_(Notice.deadline_at.is_(None), Notice.deadline_at > at), latest_stage())
        .order_by(Notice.id)
    )
    return _facts_from_rows(session, rows)


def load_notices(session: Session, ids: Iterable[int]) -> list[NoticeFacts]:
    """Given notices, whatever their status (ILO notifications also report cancellations)."""
    wanted = sorted(set(ids))
    out: list[NoticeFacts] = []
    for start in range(0, len(wanted), 900):
        rows = session.execute(
            select(*_NOTICE_COLUMNS)
            .outerjoin(Organisation, Organisation.id == Notice.organisation_id)
            .where(Notice.id.in_(wanted[start:start + 900]))
        )
        out.extend(_facts_from_rows(session, rows))
    return sorted(out, key=lambda n: n.id)


def attach_changes(session: Session, notices: list[NoticeFacts], since: datetime) -> None:
    """Attach the changes recorded since ``since`` to each notice (what 'changed since the last digest' shows)."""
    by_id = {n.id: n for n in notices}
    grouped: dict[int, list[ChangeFacts]] = defaultdict(list)
    for c in session.scalars(select(NoticeChange).where(NoticeChange.changed_at >= since).order_by(NoticeChange.id)):
        if c.notice_id in by_id:
            grouped[c.notice_id].append(ChangeFacts(c.id, c.notice_id, c.field, c.old_value, c.new_value,
                                                    c.changed_at, c.notice_ref))
    for nid, changes in grouped.items():
        by_id[nid].changes = changes


def profile_of(c: Company) -> CompanyProfile:
    return CompanyProfile(
        id=c.id, key=c.key, name=c.name, recipients=list(c.recipients or []), country=c.country,
        language=c.language or "en", timezone=c.timezone or "Europe/Amsterdam", areas=list(c.areas or []),
        keywords=list(c.keywords or []), cpv_prefixes=list(c.cpv_prefixes or []),
        organisations=list(c.organisations or []), value_min=c.value_min, value_max=c.value_max,
        frequency=c.frequency or "weekly", calendar_version=c.calendar_version or 0,
    )


def load_companies(session: Session, frequency: str | None = None) -> list[CompanyProfile]:
    """Active, subscribed companies (optionally of one digest frequency), in key order."""
    q = select(Company).where(Company.active.is_(True), Company.unsubscribed_at.is_(None)).order_by(Company.key)
    if frequency is not None:
        q = q.where(Company.frequency == frequency)
    return [profile_of(c) for c in session.scalars(q)]
