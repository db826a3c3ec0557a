"""The companies' answer pages: ``/answer/{token}``, a company's "Interested" / "Not for us" from a
mail (``alerts.tokens.AnswerSigner``). A GET only shows what the link will record and a button (mail
scanners follow links); the POST records it as the company's move of its follow-up
(``tenderwatch.followup.records.change_state``). The signed token names the company, the call and
the answer; the form carries the CSRF token too. The ILO's side is ``views_followup``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.tokens import ANSWERS, AnswerSigner, TokenError
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.followup.records import Actor, FollowUpError, change_state, find_call, follow_up_of
from tenderwatch.followup.states import ANSWER_REASONS
from tenderwatch.web import i18n
from tenderwatch.web.pages import render, state
from tenderwatch.web.security import read_form
from tenderwatch.web.views_followup import words

REPLAYED = ("This link was used before and your answer has changed since: it records nothing again. "
            "Use the links in a newer mail, or reply to your ILO.")


def _answer(request: Request) -> tuple[Any, str | None]:
    """(claims, None) or (None, the reason the link cannot be used)."""
    web = state(request)
    try:
        return AnswerSigner(web.config.settings).read(request.path_params["token"],
                                                      web.config.settings.token_max_age_days * 86400), None
    except TokenError as exc:
        return None, ("This link has expired. Ask your ILO, or use the link in a newer mail."
                      if "expired" in str(exc) else "This link is not valid.")


def _answer_page(request: Request, session: Session, claims: Any, *, done: bool = False, error: str | None = None,
                 status_code: int = 200) -> Response:
    company = session.scalar(select(Company).where(Company.key == claims.company_key))
    if company is None:
        return render(request, "message.html", {"title": "Tenderwatch", "message": "This link is not valid.",
                                                "tone": "error"}, 403)
    try:
        call = find_call(session, claims.call_uid)
    except FollowUpError:
        return render(request, "message.html", {"title": "Tenderwatch", "message": "This call is no longer known.",
                                                "tone": "error"}, 404)
    web = state(request)
    follow_up = follow_up_of(session, call.call_uid, company)
    other = "not_interested" if claims.answer == "interested" else "interested"
    other_url = f"/answer/{quote(AnswerSigner(web.config.settings).token(company.key, call.call_uid, other), safe='')}"
    return render(request, "answer.html", {
        "company": company, "call": call.notice, "answer": claims.answer, "follow_up": follow_up, "done": done,
        "error": error, "other_url": other_url, "current": follow_up.state if follow_up is not None else None,
        **words(request, i18n.pick_language(request, default=company.language))}, status_code, lang=company.language)


def answer_page(request: Request) -> Response:
    """What the link will record, with the button that records it (a GET changes nothing)."""
    claims, problem = _answer(request)
    if claims is None:
        return render(request, "message.html", {"title": "Tenderwatch", "message": problem, "tone": "error"}, 403)
    with session_scope(state(request).engine) as session:
        company = session.scalar(select(Company).where(Company.key == claims.company_key))
        if company is not None and _replayed(session, claims, company):  # said at once, not after the button
            return _answer_page(request, session, claims, error=REPLAYED, status_code=409)
        return _answer_page(request, session, claims)


async def answer_save(request: Request) -> Response:
    claims, problem = _answer(request)
    if claims is None:
        return await run_in_threadpool(render, request, "message.html",
                                       {"title": "Tenderwatch", "message": problem, "tone": "error"}, 403)
    form = await read_form(request)
    web = state(request)
    reason = _reason(form) if claims.answer == "not_interested" else None

    def save() -> Response:
        with session_scope(web.engine) as session:
            company = session.scalar(select(Company).where(Company.key == claims.company_key))
            if company is None:
                return render(request, "message.html", {"title": "Tenderwatch", "message": "This link is not valid.",
                                                        "tone": "error"}, 403)
            if _replayed(session, claims, company):
                return _answer_page(request, session, claims, error=REPLAYED, status_code=409)
            try:
                change_state(session, call_uid=claims.call_uid, company=company, state=claims.answer,
                             actor=Actor("company", company.key), reason=reason,
                             note=str(form.get("note") or "")[:1000] or None, origin="answer", now=web.now())
            except FollowUpError as exc:
                session.rollback()
                return _answer_page(request, session, claims, error=str(exc), status_code=409)
            return _answer_page(request, session, claims, done=True)

    return await run_in_threadpool(save)


def _replayed(session: Session, claims: Any, company: Company) -> bool:
    """A link used before (the company gave this answer after the link was signed) whose answer the company
    has changed since: using it again would undo the newer answer, so it is refused. Repeating the current
    answer records nothing new (``change_state``); after a bid, ``change_state`` refuses every answer."""
    follow_up = follow_up_of(session, claims.call_uid, company)
    if follow_up is None or follow_up.state == claims.answer or follow_up.state not in ANSWERS \
            or claims.signed_at is None:
        return False
    return any(c.actor == "company" and c.to_state == claims.answer and c.at >= claims.signed_at
               for c in follow_up.changes)


def _reason(form: FormData) -> str | None:
    value = form.get("reason")
    return value if isinstance(value, str) and value in ANSWER_REASONS else None


ROUTES = [
    Route("/answer/{token:str}", answer_page, methods=["GET"], name="answer"),
    Route("/answer/{token:str}", answer_save, methods=["POST"], name="answer_save"),
]
