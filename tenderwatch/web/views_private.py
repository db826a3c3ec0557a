"""Signed-in pages: sign-in, ILO pages under /ilo/ (matching companies, source health, saved
searches), administration under /admin/ (users)."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.csv_export import write_csv
from pipeline.lifecycle import current_stage
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Ilo, SavedSearch, User
from tenderwatch.web import i18n, queries, throttle, users
from tenderwatch.web.pages import render, state
from tenderwatch.web.scope import ilo_scope
from tenderwatch.web.security import attachment, current_user, read_form, require_role, safe_next
from tenderwatch.web.sessions import end_session, start_session

ILO_ROLES = ("ilo", "admin")


# --------------------------------------------------------------------------- sign-in


def login_page(request: Request) -> Response:
    return render(request, "login.html", {"next": safe_next(request.query_params.get("next")), "error": None})


async def login(request: Request) -> Response:
    """Sign in: the attempt is counted (per address and per account, in the database) before the
    password is checked, and refused with 429 and Retry-After while either counter is delayed."""
    form = await read_form(request)
    username = str(form.get("username") or "")[:200].strip()
    password = str(form.get("password") or "")[:1000]
    target = safe_next(str(form.get("next") or ""))
    web = state(request)
    address = throttle.address_key(request.client.host if request.client else None)
    account = throttle.account_key(username)
    verdict = await run_in_threadpool(throttle.attempt, web.engine, address, account, web.now())
    if not verdict.allowed:
        return await run_in_threadpool(
            render, request, "login.html",
            {"next": target, "error": i18n.translate(i18n.pick_language(request), "Too many attempts; try again in "
                                                     "{seconds} s.", seconds=verdict.retry_after)}, 429,
            {"retry-after": str(verdict.retry_after)})
    user = await run_in_threadpool(users.authenticate, web.engine, username, password)
    if user is None:
        return await run_in_threadpool(render, request, "login.html",
                                       {"next": target, "error": "Wrong user name or password."}, 400)
    await run_in_threadpool(throttle.succeeded, web.engine, address, account, web.now())
    await run_in_threadpool(start_session, request, web.engine, user.id, web.now())  # a new token: no fixation
    return RedirectResponse(target if user.role == "admin" or not target.startswith("/admin") else "/ilo/",
                            status_code=303)


async def logout(request: Request) -> Response:
    await read_form(request)
    await run_in_threadpool(end_session, request, state(request).engine)
    return RedirectResponse("/", status_code=303)


# --------------------------------------------------------------------------- ILO


@require_role(*ILO_ROLES)
def ilo_home(request: Request) -> Response:
    """The ILO's morning page: new since the last visit, closing soon, changes, failing sources, searches."""
    from tenderwatch.formats import describe_change
    from tenderwatch.web.ilo_home import CLOSING_DAYS, FIRST_VISIT_DAYS, build_home

    web = state(request)
    user = current_user(request)
    assert user is not None  # require_role
    lang = i18n.pick_language(request)
    with session_scope(web.engine) as session:
        home = build_home(session, user.id, now=web.now(), tz=web.tz)
        tz = web.config.settings.timezone
        changes = [(n, describe_change(c.field, c.old_value, c.new_value, tz, lang)) for c, n in home.changes]
        return render(request, "ilo_home.html", {"home": home, "changes": changes, "closing_days": CLOSING_DAYS,
                                                 "first_days": FIRST_VISIT_DAYS})


def matching_companies(request: Request) -> tuple[Any, list[tuple[Company, list[Any]]]]:
    """The call's current stage and the companies matching it, with reasons (alerts.matching decides)."""
    from alerts.facts import load_companies, load_notices
    from alerts.matching import CompanyIndex

    web = state(request)
    call_uid = request.path_params["call_uid"]
    with session_scope(web.engine) as session:
        stages = queries.call_stages(session, call_uid)
        if not stages:
            raise HTTPException(404)
        current = current_stage(stages)
        code = current.organisation.code if current.organisation else None
        scope = ilo_scope(request)
        if not scope.sees_organisation(code):
            raise scope.refuse(code)
        facts = load_notices(session, [current.id])[0]
        index = CompanyIndex(load_companies(session))
        matches = index.companies_for(facts)
        rows = {c.id: c for c in session.scalars(select(Company).where(
            Company.id.in_([m.company.id for m in matches])))}
        return current, [(rows[m.company.id], m.reasons) for m in matches if m.company.id in rows]


def _reason_text(reason: Any) -> str:
    return f"{reason.kind}: {reason.value}" + (f" ({reason.detail})" if getattr(reason, "detail", None) else "")


@require_role(*ILO_ROLES)
def call_companies(request: Request) -> Response:
    """The call's matching companies and its follow-up (``views_followup.call_context``)."""
    from tenderwatch.web.views_followup import call_context

    current, matches = matching_companies(request)
    partners = call_partners(request, current, matches)
    with session_scope(state(request).engine) as session:
        return render(request, "ilo_call.html", {"current": current, "reason_text": _reason_text, "partners": partners,
                                                 **call_context(session, request, current, matches)})


def call_partners(request: Request, current: Any, matches: list[tuple[Company, list[Any]]]) -> Any:
    """For a call in several areas: the matching companies per area and teams covering every area
    (``tenderwatch.directory.partners``); a company's areas are its alert areas and its directory record's."""
    from tenderwatch.db.models import DirectoryProfile, NoticeArea
    from tenderwatch.directory.partners import partners

    with session_scope(state(request).engine) as session:
        areas = list(session.scalars(select(NoticeArea.area_id).where(NoticeArea.notice_id == current.id)
                                     .order_by(NoticeArea.score.desc())))
        if len(areas) < 2:  # one area needs no team
            return None
        records = {p.company_id: p.areas or [] for p in session.scalars(select(DirectoryProfile).where(
            DirectoryProfile.company_id.in_([c.id for c, _ in matches])))}
    return partners(areas, [(c, {*(c.areas or []), *records.get(c.id, [])}) for c, _ in matches])


@require_role(*ILO_ROLES)
def call_companies_csv(request: Request) -> Response:
    current, matches = matching_companies(request)
    out = io.StringIO()
    write_csv(out, ["company_key", "company", "country", "language", "contacts", "reasons", "call", "title"],
              ([c.key, c.name, c.country, c.language, "; ".join(c.recipients or []),
                "; ".join(_reason_text(r) for r in reasons), current.call_uid, current.title]
               for c, reasons in matches))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": attachment(f"matching-companies-{current.call_uid}.csv")})


@require_role(*ILO_ROLES)
def source_health(request: Request) -> Response:
    web = state(request)
    with session_scope(web.engine) as session:
        return render(request, "sources.html", {"sources": queries.sources_health(session)})


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "search"


@require_role(*ILO_ROLES)
async def save_search(request: Request) -> Response:
    """Keep the calls page's current filters under a name; it then has an Atom feed."""
    form = await read_form(request)
    web = state(request)
    orgs, areas = await run_in_threadpool(web.vocabulary)
    f = queries.CallFilter.parse(form, organisations=set(orgs), areas=set(areas))
    title = " ".join(str(form.get("title") or "").split())[:200]
    if not title:
        raise HTTPException(400, "A saved search needs a name.")
    if f.problems:  # a stored filter must never break the search's public feed later
        lang = i18n.pick_language(request)
        why = "; ".join(i18n.translate(lang, p.template, **p.values) for p in f.problems)
        return await run_in_threadpool(render, request, "message.html", {
            "title": "400", "tone": "error",
            "message": f"{i18n.translate(lang, 'The search is not saved:')} {why}"}, 400)

    def store() -> str:
        with session_scope(web.engine) as session:
            slug, n = _slug(title), 1
            while session.scalar(select(SavedSearch.id).where(SavedSearch.slug == slug)):
                n += 1
                slug = f"{_slug(title)}-{n}"
            session.add(SavedSearch(slug=slug, title=title, query=f.as_query(page=1)))
            return slug

    await run_in_threadpool(store)
    return RedirectResponse("/ilo/", status_code=303)


# --------------------------------------------------------------------------- admin


def answers_context(session: Any) -> dict[str, Any]:
    """The companies' answers per area for the administration page (``followup.precision``)."""
    from tenderwatch.followup.precision import answers_per_area
    from tenderwatch.followup.states import ANSWER_REASONS

    return {"answers": answers_per_area(session), "reasons_labels": ANSWER_REASONS}


def _admin_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    web = state(request)
    with session_scope(web.engine) as session:
        ilos = {i.id: i for i in session.scalars(select(Ilo).order_by(Ilo.email))}
        return render(request, "admin.html", {
            "users": list(session.scalars(select(User).order_by(User.username))), "ilos": ilos, "error": error,
            "ilo_scope": web.config.settings.ilo_scope, **answers_context(session)}, status_code)


@require_role("admin")
def admin_home(request: Request) -> Response:
    return _admin_page(request)


@require_role("admin")
async def admin_add_user(request: Request) -> Response:
    form = await read_form(request)
    web = state(request)
    username = str(form.get("username") or "").strip()
    role = str(form.get("role") or "ilo")
    ilo_email = str(form.get("ilo") or "").strip() or None
    try:
        await run_in_threadpool(users.add_user, web.engine, username, str(form.get("password") or ""), role,
                                ilo_email=ilo_email)
    except users.UserError as exc:
        return await run_in_threadpool(_admin_page, request, str(exc), 400)
    return RedirectResponse("/admin/", status_code=303)



ROUTES = [
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"], name="login_post"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/ilo/", ilo_home, name="ilo_home"),
    Route("/ilo/calls/{call_uid:str}/companies", call_companies, name="call_companies"),
    Route("/ilo/calls/{call_uid:str}/companies.csv", call_companies_csv, name="call_companies_csv"),
    Route("/ilo/sources", source_health, name="source_health"),
    Route("/ilo/searches", save_search, methods=["POST"], name="save_search"),
    Route("/admin/", admin_home, name="admin_home"),
    Route("/admin/users", admin_add_user, methods=["POST"], name="admin_add_user"),
]

