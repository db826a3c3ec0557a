"""Feeds: Atom per technology area, organisation and saved search; iCalendar of deadlines per area
and per company (the company's link is signed, see ``links.py``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tenderwatch.atom import atom_feed
from tenderwatch.calendars import CalendarWriter, event_of_stages
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Notice, SavedSearch
from tenderwatch.web import queries
from tenderwatch.web.links import read_calendar_token
from tenderwatch.web.pages import state

ATOM_TYPE = "application/atom+xml; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
CALENDAR_REFRESH = timedelta(hours=6)
"""How often a subscribed calendar client should fetch the calendar again."""
CALENDAR_PAST_DAYS = 90
"""Calls whose deadline passed less than this long ago stay in calendars (history, not deletion)."""


def _atom(request: Request, f: queries.CallFilter, *, feed_id: str, title: str) -> Response:
    web = state(request)
    _, areas = web.vocabulary()
    with session_scope(web.engine) as session:
        notices = queries.recent_notices(session, f, now=web.now())
        body = atom_feed(notices, feed_id=feed_id, title=title, self_url=f"{web.site_url}{request.url.path}",
                         site_url=web.site_url, area_labels=areas, timezone=web.config.settings.timezone,
                         updated=web.now())
    return Response(body, media_type=ATOM_TYPE)


def calls_feed(request: Request) -> Response:
    """Every open call (the calls page without filters); ``tenderwatch export --format atom`` writes all."""
    return _atom(request, queries.CallFilter(), feed_id="urn:tenderwatch:feed:calls", title="Tenderwatch: calls")


def _named_feed(request: Request, kind: str, param: str) -> Response:
    """The feed of one area or organisation, by the code in the path; 404 for a code config lacks."""
    code = request.path_params[param]
    orgs, areas = state(request).vocabulary()
    names = areas if kind == "area" else orgs
    if code not in names:
        raise HTTPException(404)
    f = queries.CallFilter(area=code) if kind == "area" else queries.CallFilter(organisation=code)
    return _atom(request, f, feed_id=f"urn:tenderwatch:feed:{kind}:{code}", title=f"Tenderwatch: {names[code]}")


def area_feed(request: Request) -> Response:
    return _named_feed(request, "area", "area")


def organisation_feed(request: Request) -> Response:
    return _named_feed(request, "organisation", "code")


def search_feed(request: Request) -> Response:
    web = state(request)
    slug = request.path_params["slug"]
    with session_scope(web.engine) as session:
        saved = session.scalar(select(SavedSearch).where(SavedSearch.slug == slug))
        if saved is None:
            raise HTTPException(404)
        title, query = saved.title, dict(saved.query or {})
    orgs, areas = web.vocabulary()
    f = queries.CallFilter.parse(query, organisations=set(orgs), areas=set(areas))
    f.page = 1
    return _atom(request, f, feed_id=f"urn:tenderwatch:feed:search:{slug}", title=f"Tenderwatch: {title}")


def _calendar(request: Request, call_uids: set[str] | None, f: queries.CallFilter | None, name: str) -> Response:
    """Calls chosen by uid (company) or by filter (area), each with all its stages."""
    web = state(request)
    now = web.now()
    with session_scope(web.engine) as session:
        if call_uids is None:
            assert f is not None
            f.include_closed = True
            stmt = queries.calls_statement(f, now=now).where(
                Notice.deadline_at >= now - timedelta(days=CALENDAR_PAST_DAYS))
            call_uids = set(session.scalars(stmt.with_only_columns(Notice.call_uid).limit(5000)))
        grouped: dict[str, list[Notice]] = defaultdict(list)
        for uid_chunk in _chunks(sorted(call_uids), 500):
            for stages in (queries.call_stages_many(session, uid_chunk)).values():
                for n in stages:
                    grouped[n.call_uid].append(n)
        events = (event_of_stages(grouped[k]) for k in sorted(grouped))
        body = CalendarWriter(site_url=web.site_url, stamp=now).calendar(
            (e for e in events if e is not None), name=name, refresh=CALENDAR_REFRESH, empty=True)
    return Response(body, media_type=ICS_TYPE)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def area_calendar(request: Request) -> Response:
    area = request.path_params["area"]
    _, areas = state(request).vocabulary()
    if area not in areas:
        raise HTTPException(404)
    return _calendar(request, None, queries.CallFilter(area=area), f"Tenderwatch deadlines: {areas[area]}")


def company_calendar(request: Request) -> Response:
    """Deadlines of the open calls matching one company's profile (alerts.matching decides)."""
    from alerts.facts import load_open_notices, profile_of
    from alerts.matching import NoticeIndex

    web = state(request)
    signed = read_calendar_token(web.secret, request.path_params["token"])
    if signed is None:
        raise HTTPException(404)
    key, version = signed
    with session_scope(web.engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        if company is None or company.unsubscribed_at is not None or company.calendar_version != version:
            raise HTTPException(404)  # unknown, unsubscribed, or a link replaced by a newer one
        index = NoticeIndex(load_open_notices(session, web.now()))
        call_uids = {m.notice.call_uid for m in index.match(profile_of(company))}
        name = f"Tenderwatch deadlines: {company.name}"
    return _calendar(request, call_uids, None, name)


ROUTES = [
    Route("/feeds/calls.atom", calls_feed, name="calls_feed"),
    Route("/feeds/area/{area:str}.atom", area_feed, name="area_feed"),
    Route("/feeds/organisation/{code:str}.atom", organisation_feed, name="organisation_feed"),
    Route("/feeds/search/{slug:str}.atom", search_feed, name="search_feed"),
    Route("/calendar/area/{area:str}.ics", area_calendar, name="area_calendar"),
    Route("/calendar/company/{token:str}.ics", company_calendar, name="company_calendar"),
]
