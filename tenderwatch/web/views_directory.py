"""The company directory on the site (``tenderwatch.directory``).

- ``/directory`` and ``/directory/{company}``: the public directory for buyers at the organisations,
  in English, browsed by technology area and words; only reviewed, published records. A signed-in
  ILO sees unpublished records too (live, with their review state) and reviews them there, for the
  companies the ILO scope rule lets it see (``tenderwatch.web.scope``); others' published records
  as everyone does.
- ``/preferences/{token}/directory``: the company edits its own record through its signed preferences
  link (the same token; a GET shows the form, a POST with the session's CSRF token saves it).
- ``/ilo/directory``: the review queue; publishing, sending back with a note, taking a record down
  are POSTs with a CSRF token.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, DirectoryProfile
from tenderwatch.directory import profiles
from tenderwatch.web.pages import render, state
from tenderwatch.web.scope import ilo_scope
from tenderwatch.web.security import current_user, read_form, require_role
from tenderwatch.web.views_company import _claims, _refuse

ILO_ROLES = ("ilo", "admin")
MAX_WORDS = 200


def _is_ilo(request: Request) -> bool:
    user = current_user(request)
    return user is not None and user.role in ILO_ROLES


def _in_scope(request: Request) -> Any:
    """Whether the signed-in ILO may see a company's unpublished record (the one ILO scope rule)."""
    scope = ilo_scope(request)
    return lambda company: scope.sees_company(company.organisations)


def _areas(request: Request) -> list[str]:
    return [a.id for a in state(request).config.taxonomy.areas]


def directory_page(request: Request) -> Response:
    """The directory, filtered by area and words (every word must appear)."""
    web = state(request)
    area = str(request.query_params.get("area") or "")
    area = area if area in _areas(request) else ""
    words = " ".join(str(request.query_params.get("q") or "").split())[:MAX_WORDS]
    ilo = _is_ilo(request)
    visible = _in_scope(request) if ilo else None
    with session_scope(web.engine) as session:
        listed = profiles.directory(session, area=area, words=words, include_unpublished=ilo, visible=visible)
        counts = {a: 0 for a in _areas(request)}
        for entry in profiles.directory(session, include_unpublished=ilo, visible=visible):
            for a in entry.data.get("areas", []):
                counts[a] = counts.get(a, 0) + 1
    return render(request, "directory.html", {"companies": listed, "area": area, "q": words, "counts": counts,
                                              "ilo": ilo}, lang="en")


def company_page(request: Request) -> Response:
    """One company: its published record (an ILO sees the live one and can review it here)."""
    web = state(request)
    key = request.path_params["key"]
    ilo = _is_ilo(request)
    with session_scope(web.engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        profile = session.get(DirectoryProfile, company.id) if company else None
        ilo = ilo and company is not None and _in_scope(request)(company)
        if company is None or profile is None or (not ilo and not profile.published):
            raise HTTPException(404)
        # the public sees the reviewed copy; an ILO reviews the record as the company last saved it
        data = profiles.snapshot(profile, company, profiles.references(session, company)) if ilo \
            else profile.published
        return render(request, "directory_company.html", {"c": data, "key": key, "profile": profile, "ilo": ilo},
                      lang="en")


# --------------------------------------------------------------------------- the company's own edit


def _form_context(request: Request, session: Any, company: Company, profile: DirectoryProfile,
                  errors: list[str]) -> dict[str, Any]:
    return {"company": company, "profile": profile, "areas": state(request).config.taxonomy.areas,
            "references": profiles.references(session, company), "errors": errors,
            "saved": request.query_params.get("saved") == "1", "token": request.path_params["token"]}


def profile_form(request: Request) -> Response:
    key, problem = _claims(request, "preferences")
    if problem or key is None:
        return _refuse(request, problem or "This link is not valid.")
    with session_scope(state(request).engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        if company is None:
            return _refuse(request, "This link is not valid.")
        profile = profiles.profile_of(session, company)
        return render(request, "directory_edit.html", _form_context(request, session, company, profile, []),
                      lang=company.language)


async def profile_save(request: Request) -> Response:
    key, problem = _claims(request, "preferences")
    if problem or key is None:
        return await run_in_threadpool(_refuse, request, problem or "This link is not valid.")
    form = await read_form(request)

    def save() -> Response:
        with session_scope(state(request).engine) as session:
            company = session.scalar(select(Company).where(Company.key == key))
            if company is None:
                return _refuse(request, "This link is not valid.")
            refs = {f.key for f in profiles.references(session, company)}
            checked = profiles.read_form(form, _areas(request), refs)
            profile = profiles.profile_of(session, company)
            if checked.errors:
                return render(request, "directory_edit.html",
                              _form_context(request, session, company, profile, checked.errors), 400,
                              lang=company.language)
            profiles.save(session, company, checked.values)
        return RedirectResponse(str(request.url.include_query_params(saved="1")), status_code=303)

    return await run_in_threadpool(save)


# --------------------------------------------------------------------------- ILO review


@require_role(*ILO_ROLES)
def review_queue(request: Request) -> Response:
    web = state(request)
    visible = _in_scope(request)
    with session_scope(web.engine) as session:
        rows = [(p, c) for p, c in session.execute(select(DirectoryProfile, Company).join(
            Company, DirectoryProfile.company_id == Company.id)).all() if visible(c)]
        order = {"pending": 0, "returned": 1, "published": 2, "draft": 3}
        rows = sorted(rows, key=lambda r: (order.get(r[0].status, 9), r[1].name.casefold()))
        return render(request, "directory_review.html", {"rows": rows})


@require_role(*ILO_ROLES)
async def review_action(request: Request) -> Response:
    form = await read_form(request)
    user = current_user(request)
    assert user is not None  # require_role
    action = str(form.get("action") or "")
    note = str(form.get("note") or "")
    key = request.path_params["key"]

    def apply() -> Response:
        with session_scope(state(request).engine) as session:
            company = session.scalar(select(Company).where(Company.key == key))
            if company is None:
                raise HTTPException(404)
            scope = ilo_scope(request)
            if not scope.sees_company(company.organisations):
                raise HTTPException(403, "This company follows organisations your ILO address does not cover "
                                         f"({', '.join(sorted(scope.organisations or [])) or 'none'}).")
            try:
                if action == "publish":
                    profiles.publish(session, company, by=user.name)
                elif action == "send-back":
                    profiles.send_back(session, company, by=user.name, note=note)
                elif action == "unpublish":
                    profiles.unpublish(session, company)
                else:
                    raise HTTPException(400, "Unknown action.")
            except profiles.ProfileError as exc:
                raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/directory/{key}", status_code=303)

    return await run_in_threadpool(apply)


ROUTES = [
    Route("/directory", directory_page, name="directory"),
    Route("/directory/{key:str}", company_page, name="directory_company"),
    Route("/preferences/{token:str}/directory", profile_form, methods=["GET"], name="directory_edit"),
    Route("/preferences/{token:str}/directory", profile_save, methods=["POST"], name="directory_save"),
    Route("/ilo/directory", review_queue, name="directory_review"),
    Route("/ilo/directory/{key:str}", review_action, methods=["POST"], name="directory_review_action"),
]
