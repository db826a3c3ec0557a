"""Pages for everyone: open calls (filters, pagination), a call with its stages, open data (georeturn is
``views_georeturn``)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts.views import describe_value
from pipeline.csv_export import NOTICE_COLUMNS, notice_row, write_csv
from pipeline.lifecycle import current_stage
from tenderwatch.config.base import NOTICE_TYPES
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import SavedSearch
from tenderwatch.formats import describe_change
from tenderwatch.web import queries
from tenderwatch.web.pages import render, state
from tenderwatch.web.security import attachment

CSV_TYPE = "text/csv; charset=utf-8"


def _filter(request: Request) -> tuple[queries.CallFilter, dict[str, str], dict[str, str]]:
    orgs, areas = state(request).vocabulary()
    f = queries.CallFilter.parse(request.query_params, organisations=set(orgs), areas=set(areas))
    return f, orgs, areas


def calls(request: Request) -> Response:
    """The open calls, filtered, sorted by deadline, 25 a page."""
    web = state(request)
    f, orgs, areas = _filter(request)
    with session_scope(web.engine) as session:
        page = queries.search_calls(session, f, now=web.now(), tz=web.tz)
        searches = list(session.query(SavedSearch).order_by(SavedSearch.title))
        return render(request, "calls.html", {
            "f": f, "page": page, "organisations": orgs, "areas": areas, "notice_types": NOTICE_TYPES,
            "query": f.as_query(), "prev_query": f.as_query(page=page.page - 1),
            "next_query": f.as_query(page=page.page + 1), "searches": searches,
            "empty": _why_empty(session, f) if page.total == 0 else None,
        }, status_code=400 if f.problems else 200)


def _why_empty(session: Any, f: queries.CallFilter) -> str:
    """Why a search found nothing: no notice stored at all, the filters, or no call open right now."""
    if not queries.has_notices(session):
        return "nothing stored"
    if f.as_query(page=1, include_closed=False) or f.problems:
        return "filters"
    return "none open"


def problems_response(problems: list[queries.FilterProblem]) -> Response:
    """A CSV asked with filters it cannot use: 400 and the problems, one a line (never a 500 or a
    file that silently ignores a filter)."""
    return Response("".join(f"{p}\n" for p in problems), status_code=400, media_type="text/plain; charset=utf-8")


def calls_csv(request: Request) -> Response:
    """The filtered calls (all pages) as CSV."""
    web = state(request)
    f, _, _ = _filter(request)
    if f.problems:
        return problems_response(f.problems)
    out = io.StringIO()
    with session_scope(web.engine) as session:
        stmt = queries.calls_statement(f, now=web.now(), tz=web.tz).order_by(
            queries.Notice.deadline_at.is_(None), queries.Notice.deadline_at, queries.Notice.id)
        write_csv(out, NOTICE_COLUMNS, (notice_row(n) for n in session.scalars(stmt.limit(10_000))))
    return Response(out.getvalue(), media_type=CSV_TYPE,
                    headers={"content-disposition": attachment("tenderwatch-calls.csv")})


def call_page(request: Request) -> Response:
    """One call: every stage with its sources, change history, areas with evidence, documents."""
    web = state(request)
    call_uid = request.path_params["call_uid"]
    with session_scope(web.engine) as session:
        stages = queries.call_stages(session, call_uid)
        if not stages:
            from sqlalchemy import select

            from tenderwatch.db.models import Notice

            other = session.scalar(select(Notice.call_uid).where(Notice.uid == call_uid))
            if other:  # a stage's own uid: send to its call
                return RedirectResponse(f"/calls/{quote(other, safe='')}", status_code=301)  # not from Host
            raise HTTPException(404)
        from tenderwatch.web.i18n import pick_language

        lang = pick_language(request)
        tz = web.config.settings.timezone
        history = sorted(((c, n, describe_change(c.field, c.old_value, c.new_value, tz, lang))
                          for n in stages for c in n.changes),
                         key=lambda item: (item[0].changed_at, item[0].id), reverse=True)
        current = current_stage(stages)
        value = describe_value(current.organisation.code if current.organisation else None, current.value_note,
                               current.value_amount, current.value_currency, lang, web.value_bands)
        return render(request, "call.html", {"stages": stages, "current": current, "history": history,
                                             "value": value})


def ocds_package(request: Request) -> Response:
    """The open calls as an OCDS release package (``tenderwatch export --format ocds`` for everything)."""
    from pipeline.ocds import export_ocds

    out = io.StringIO()
    export_ocds(state(request).engine, state(request).config, out, open_only=True)
    return Response(out.getvalue(), media_type="application/json")


ROUTES = [
    Route("/", calls, name="home"),
    Route("/calls", calls, name="calls"),
    Route("/calls.csv", calls_csv, name="calls_csv"),
    Route("/calls/{call_uid:str}", call_page, name="call"),
    Route("/export/ocds.json", ocds_package, name="ocds"),
]
