"""What the pages and feeds read from the database: one filter for calls (page, feeds, saved
searches share it), a call with its stages, source health.

Filters arrive from query strings, which are hostile: ``CallFilter.parse`` keeps only known keys
with valid values, and every value reaches SQL as a bound parameter. A value it cannot use (an
unknown organisation, a date that is not one or out of range, see ``tenderwatch.date_input``) is
left out of the filter and kept in ``problems``, which the page shows: never an error page, never
silently ignored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from pipeline.lifecycle import latest_stage
from tenderwatch.config.base import NOTICE_TYPES
from tenderwatch.date_input import DateInputError, parse_user_date
from tenderwatch.db.models import Notice, NoticeArea, Organisation, Source

PAGE_SIZE = 25
MAX_QUERY = 200
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


UNKNOWN_VALUE = "{value} is not one of the choices"
NOT_A_COUNTRY = "{value} is not a country code: use two letters, e.g. NL"


@dataclass(frozen=True)
class FilterProblem:
    """A filter value that was left out: the form field, an English template and its values
    (pages translate the template; ``str()`` is the English sentence)."""

    field: str
    template: str
    values: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.field}: {self.template.format(**self.values)}"


def read_date(params: Mapping[str, Any], key: str, problems: list[FilterProblem]) -> date | None:
    """The date typed in ``key`` (``tenderwatch.date_input`` rules), or None with a problem kept."""
    try:
        return parse_user_date(params.get(key), field=key)
    except DateInputError as exc:
        problems.append(FilterProblem(key, exc.template, exc.values))
        return None


@dataclass
class CallFilter:
    """The calls page's filters; also the stored form of a saved search (``as_query``)."""

    q: str = ""
    organisation: str = ""
    area: str = ""
    notice_type: str = ""
    deadline_from: date | None = None
    deadline_to: date | None = None
    country: str = ""
    include_closed: bool = False
    page: int = 1
    problems: list[FilterProblem] = field(default_factory=list)

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, organisations: set[str], areas: set[str]) -> CallFilter:
        f = cls()
        f.q = " ".join(str(params.get("q") or "").split())[:MAX_QUERY]
        org = str(params.get("organisation") or "")
        f.organisation = org if org in organisations else ""
        area = str(params.get("area") or "")
        f.area = area if area in areas else ""
        nt = str(params.get("notice_type") or "")
        f.notice_type = nt if nt in NOTICE_TYPES else ""
        f.deadline_from = read_date(params, "deadline_from", f.problems)
        f.deadline_to = read_date(params, "deadline_to", f.problems)
        country = str(params.get("country") or "").strip().upper()
        f.country = country if COUNTRY_RE.match(country) else ""
        f.include_closed = str(params.get("include_closed") or "") in ("1", "on", "true")
        page = str(params.get("page") or "1")
        f.page = min(int(page), 10_000) if page.isdigit() and int(page) >= 1 else 1
        for key, kept in (("organisation", f.organisation), ("area", f.area), ("notice_type", f.notice_type),
                          ("country", f.country)):
            given = str(params.get(key) or "").strip()
            if given and not kept:
                f.problems.append(FilterProblem(key, NOT_A_COUNTRY if key == "country" else UNKNOWN_VALUE,
                                                {"value": repr(given[:40])}))
        return f

    def as_query(self, **override: Any) -> dict[str, str]:
        """Non-empty filters as query parameters (for links, pagination and saved searches)."""
        values = {k: v for k, v in asdict(self).items() if k != "problems"}
        values.update(override)
        out: dict[str, str] = {}
        for key, val in values.items():
            if val in ("", None, False) or (key == "page" and val == 1):
                continue
            out[key] = "1" if val is True else (val.isoformat() if isinstance(val, date) else str(val))
        return out


def _day_start(d: date, tz: Any) -> datetime:
    return datetime.combine(d, time.min, tzinfo=tz).astimezone(UTC)


def calls_statement(f: CallFilter, *, now: datetime, tz: Any = UTC) -> Select[tuple[Notice]]:
    """The calls matching the filter: one row per call, its latest stage (the call page shows every stage)."""
    stmt = select(Notice).where(latest_stage())
    if not f.include_closed:
        stmt = stmt.where(Notice.status == "open",
                          or_(Notice.deadline_at.is_(None), Notice.deadline_at >= now))
    if f.organisation:
        stmt = stmt.join(Organisation, Notice.organisation_id == Organisation.id).where(
            Organisation.code == f.organisation)
    if f.area:
        stmt = stmt.where(exists().where(and_(NoticeArea.notice_id == Notice.id, NoticeArea.area_id == f.area)))
    if f.notice_type:
        stmt = stmt.where(Notice.notice_type == f.notice_type)
    if f.deadline_from:
        stmt = stmt.where(Notice.deadline_at >= _day_start(f.deadline_from, tz))
    if f.deadline_to:
        stmt = stmt.where(Notice.deadline_at < _day_start(f.deadline_to + timedelta(days=1), tz))
    if f.country:
        as_text = cast(Notice.eligible_countries, String)
        stmt = stmt.where(or_(Notice.eligible_countries.is_(None), as_text == "null",
                              as_text.like(f'%"{f.country}"%')))
    for word in f.q.split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Notice.title.ilike(pattern, escape="\\"),
                              Notice.description.ilike(pattern, escape="\\")))
    return stmt


@dataclass
class Page:
    items: list[Notice]
    total: int
    page: int
    pages: int


def search_calls(session: Session, f: CallFilter, *, now: datetime, tz: Any = UTC,
                 page_size: int = PAGE_SIZE) -> Page:
    base = calls_statement(f, now=now, tz=tz)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(f.page, pages)
    stmt = base.options(selectinload(Notice.organisation), selectinload(Notice.areas)).order_by(
        Notice.deadline_at.is_(None), Notice.deadline_at, Notice.id
    ).offset((page - 1) * page_size).limit(page_size)
    return Page(list(session.scalars(stmt)), total, page, pages)


def recent_notices(session: Session, f: CallFilter, *, now: datetime, limit: int = 50) -> list[Notice]:
    """Newest first (for feeds): the same filter, ordered by when Tenderwatch last saw a change."""
    stmt = calls_statement(f, now=now).options(selectinload(Notice.organisation), selectinload(Notice.areas),
                                               selectinload(Notice.changes))
    return list(session.scalars(stmt.order_by(Notice.last_changed_at.desc(), Notice.id.desc()).limit(limit)))


def call_stages(session: Session, call_uid: str) -> list[Notice]:
    """Every stage of one call, oldest first, with sightings, changes, areas, lots and awards."""
    stmt = select(Notice).where(Notice.call_uid == call_uid).options(
        selectinload(Notice.sightings), selectinload(Notice.changes), selectinload(Notice.areas),
        selectinload(Notice.lots), selectinload(Notice.awards), selectinload(Notice.organisation),
    ).order_by(func.coalesce(Notice.published_at, Notice.first_seen_at), Notice.id)
    return list(session.scalars(stmt))


def has_notices(session: Session) -> bool:
    """Whether the database holds any notice at all (an empty result then means the filters)."""
    return session.scalar(select(Notice.id).limit(1)) is not None


def sources_health(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.healthy, Source.name)))


def call_stages_many(session: Session, call_uids: list[str]) -> dict[str, list[Notice]]:
    """``call_stages`` for many calls in one query (calendars)."""
    stmt = select(Notice).where(Notice.call_uid.in_(call_uids)).options(
        selectinload(Notice.changes), selectinload(Notice.areas), selectinload(Notice.organisation),
    ).order_by(func.coalesce(Notice.published_at, Notice.first_seen_at), Notice.id)
    out: dict[str, list[Notice]] = defaultdict(list)
    for n in session.scalars(stmt):
        out[n.call_uid].append(n)
    return out
