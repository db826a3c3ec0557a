"""Company pages reached from a digest: preferences (signed, expiring link) and the RFC 8058
one-click unsubscribe endpoint. They speak the company's language (its profile's ``language``, as
its digests do), unless the reader picks the other with ``?lang=``.

A forged, altered, expired or wrong-purpose token changes nothing and gets a page saying why.
The one-click endpoint carries no CSRF token by design: mail providers POST
``List-Unsubscribe=One-Click`` to the URL from the ``List-Unsubscribe`` header, and the signed
token in that URL is the only credential (RFC 8058 section 3); a GET never unsubscribes, because
link scanners follow GETs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts.tokens import Purpose, TokenError, read_token
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.followup.precision import profile_suggestions
from tenderwatch.sync import SELF_SERVICE_FIELDS
from tenderwatch.web.links import calendar_url
from tenderwatch.web.pages import local_url, render, state
from tenderwatch.web.security import MAX_FORM_BYTES, read_form

MAX_KEYWORDS = 50
MAX_KEYWORD_CHARS = 100
ONE_CLICK = "One-Click"


def _claims(request: Request, purpose: Purpose) -> tuple[str | None, str | None]:
    """(company key, None) or (None, message for the visitor)."""
    try:
        claims = read_token(state(request).config.settings, request.path_params["token"], purpose)
    except TokenError as exc:
        return None, "This link has expired. The next digest contains a fresh one." if "expired" in str(exc) \
            else "This link is not valid."
    return claims.company_key, None


def _refuse(request: Request, message: str) -> Response:
    return render(request, "message.html", {"title": "Tenderwatch", "message": message, "tone": "error"}, 403)


def _company(session: object, key: str) -> Company | None:
    return session.scalar(select(Company).where(Company.key == key))  # type: ignore[attr-defined]


def preferences_page(request: Request) -> Response:
    key, problem = _claims(request, "preferences")
    if problem or key is None:
        return _refuse(request, problem or "This link is not valid.")
    web = state(request)
    with session_scope(web.engine) as session:
        company = _company(session, key)
        if company is None:
            return _refuse(request, "This link is not valid.")
        return render(request, "preferences.html", {
            "company": company, "areas": web.config.taxonomy.areas,
            "organisations": [(o.code, o.name) for o in web.config.organisations],
            "suggestions": profile_suggestions(session, company),
            "saved": request.query_params.get("saved") == "1", "errors": [],
            "token": request.path_params["token"],
            "calendar_url": calendar_url(web.site_url, web.secret, key, company.calendar_version),
        }, lang=company.language)


def _validated(form: FormData, areas: set[str], orgs: set[str]) -> tuple[dict[str, object],
                                                                          list[tuple[str, dict[str, object]]]]:
    errors: list[tuple[str, dict[str, object]]] = []  # (English template, values): the page translates
    chosen_areas = [a for a in form.getlist("areas") if isinstance(a, str)]
    chosen_orgs = [o for o in form.getlist("organisations") if isinstance(o, str)]
    unknown = sorted(set(chosen_areas) - areas) + sorted(set(chosen_orgs) - orgs)
    if unknown:
        errors.append(("unknown choice: {choices}", {"choices": ", ".join(unknown[:5])}))
    keywords: list[str] = []
    for line in str(form.get("keywords") or "").splitlines():
        word = " ".join(line.split())
        if word and word.casefold() not in {k.casefold() for k in keywords}:
            keywords.append(word[:MAX_KEYWORD_CHARS])
    if len(keywords) > MAX_KEYWORDS:
        errors.append(("at most {count} keywords", {"count": MAX_KEYWORDS}))
    frequency = str(form.get("frequency") or "weekly")
    language = str(form.get("language") or "en")
    if frequency not in ("weekly", "daily"):
        errors.append(("frequency must be weekly or daily", {}))
    if language not in ("en", "nl"):
        errors.append(("language must be en or nl", {}))
    return {"areas": [a for a in areas if a in chosen_areas], "organisations": sorted(set(chosen_orgs)),
            "keywords": keywords, "frequency": frequency, "language": language}, errors


async def preferences_save(request: Request) -> Response:
    key, problem = _claims(request, "preferences")
    if problem or key is None:
        return await run_in_threadpool(_refuse, request, problem or "This link is not valid.")
    form = await read_form(request)
    web = state(request)
    area_ids = [a.id for a in web.config.taxonomy.areas]
    values, errors = _validated(form, set(area_ids), {o.code for o in web.config.organisations})
    values["areas"] = [a for a in area_ids if a in values["areas"]]  # taxonomy order

    def save() -> Response:
        with session_scope(web.engine) as session:
            company = _company(session, key)
            if company is None:
                return _refuse(request, "This link is not valid.")
            if errors:
                return render(request, "preferences.html", {
                    "company": company, "areas": web.config.taxonomy.areas,
                    "organisations": [(o.code, o.name) for o in web.config.organisations], "saved": False,
                    "suggestions": profile_suggestions(session, company),
                    "errors": errors, "token": request.path_params["token"],
                    "calendar_url": calendar_url(web.site_url, web.secret, key, company.calendar_version),
                }, 400, lang=company.language)
            if form.get("action") == "resubscribe":
                company.unsubscribed_at = None
            elif form.get("action") == "new_calendar_link":
                company.calendar_version += 1  # the old calendar link stops working at once
            else:
                for field in SELF_SERVICE_FIELDS:
                    setattr(company, field, values[field])
                company.profile_edited_at = datetime.now(UTC)
            company.updated_at = datetime.now(UTC)
        return RedirectResponse(local_url(request, saved="1"), status_code=303)  # not from the Host header

    return await run_in_threadpool(save)


def unsubscribe_page(request: Request) -> Response:
    """The page a person sees when they click the unsubscribe link: a button, no side effect."""
    key, problem = _claims(request, "unsubscribe")
    if problem or key is None:
        return _refuse(request, problem or "This link is not valid.")
    with session_scope(state(request).engine) as session:
        company = _company(session, key)
        if company is None:
            return _refuse(request, "This link is not valid.")
        return render(request, "unsubscribe.html", {"company": company, "done": company.unsubscribed_at is not None},
                      lang=company.language)


async def unsubscribe_one_click(request: Request) -> Response:
    """RFC 8058: POST with body ``List-Unsubscribe=One-Click`` unsubscribes at once; nothing else does."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return Response("request too large", status_code=413, media_type="text/plain")
    form = await request.form(max_files=0, max_fields=20)
    key, problem = _claims(request, "unsubscribe")
    if problem or key is None:
        return await run_in_threadpool(_refuse, request, problem or "This link is not valid.")
    if form.get("List-Unsubscribe") != ONE_CLICK:
        return Response("expected List-Unsubscribe=One-Click in the body (RFC 8058)", status_code=400,
                        media_type="text/plain")

    def apply() -> Response:
        with session_scope(state(request).engine) as session:
            company = _company(session, key)
            if company is None:
                return _refuse(request, "This link is not valid.")
            if company.unsubscribed_at is None:
                company.unsubscribed_at = datetime.now(UTC)
                company.updated_at = company.unsubscribed_at
            return render(request, "unsubscribe.html", {"company": company, "done": True}, lang=company.language)

    return await run_in_threadpool(apply)


ROUTES = [
    Route("/preferences/{token:str}", preferences_page, methods=["GET"], name="preferences"),
    Route("/preferences/{token:str}", preferences_save, methods=["POST"], name="preferences_save"),
    Route("/u/{token:str}", unsubscribe_page, methods=["GET"], name="unsubscribe"),
    Route("/u/{token:str}", unsubscribe_one_click, methods=["POST"], name="unsubscribe_post"),
]
