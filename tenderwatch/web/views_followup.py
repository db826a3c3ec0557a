"""The follow-up on the site: the ILO's board, a call's follow-ups with targeted mails, one company's
follow-up with its history, and the companies' answer pages.

- ``/ilo/follow-up`` (+ ``.csv``): the board, grouped by state, filtered by organisation, area and state.
- ``/ilo/calls/{call}/companies``: the call's matching companies and follow-ups (``call_context``),
  with the forms that send targeted mails, add a company that did not match and record the
  organisation's bidder list.
- ``/ilo/calls/{call}/follow-up/{company}``: one follow-up's history and the form that changes it.
- ``/answer/{token}``, the companies' answer pages: ``tenderwatch.web.views_answers``.

Every ILO page reads through the ILO's scope (``follow_up_scope``): a follow-up of an organisation the
account does not cover is neither listed, exported, shown nor changed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.csv_export import write_csv
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, FollowUp
from tenderwatch.followup import bidders as bidder_list
from tenderwatch.followup.board import CSV_COLUMNS, BoardFilter, board_rows, csv_rows, grouped
from tenderwatch.followup.records import (
    Actor,
    FollowUpError,
    add_company,
    change_state,
    find_call,
    follow_up_of,
    parse_money,
)
from tenderwatch.followup.states import (
    ANSWER_REASONS,
    CLOSED,
    LABELS,
    STATES,
    TransitionError,
    ilo_moves,
    parse_state,
)
from tenderwatch.formats import format_count, format_money
from tenderwatch.web import i18n
from tenderwatch.web.pages import render, state
from tenderwatch.web.scope import ilo_scope
from tenderwatch.web.security import attachment, current_user, read_form, require_role

ILO_ROLES = ("ilo", "admin")


# --------------------------------------------------------------------------- who and what they may see


@dataclass(frozen=True)
class Reader:
    user_name: str
    role: str
    ilo_id: int | None
    organisations: frozenset[str] | None
    """The scope: organisation codes whose follow-ups this account sees; None = all."""

    def sees(self, code: str | None) -> bool:
        return self.organisations is None or (code is not None and code in self.organisations)


def follow_up_scope(request: Request, session: Session) -> Reader:
    """The signed-in ILO and the organisations whose follow-ups they may see: the ILO scope rule
    (``tenderwatch.web.scope``), the same as for the matching companies."""
    user = current_user(request)
    if user is None:
        raise HTTPException(403)
    return Reader(user.name, user.role, user.ilo_id, ilo_scope(request).organisations)


COUNTED = {"en": {"one": "{n} follow-up", "other": "{n} follow-ups"},
           "nl": {"one": "{n} opvolging", "other": "{n} opvolgingen"}}
OUTCOMES = {"sent": "sent", "already": "sent before: not sent again", "refused": "not sent",
            "failed": "refused by the mail server"}


def words(request: Request, lang: str | None = None) -> dict[str, Any]:
    """What every follow-up template needs: state and reason labels, money in the reader's style."""
    lang = lang or i18n.pick_language(request)
    return {"labels": LABELS, "reasons_labels": ANSWER_REASONS, "outcomes": OUTCOMES,
            "money": lambda amount, currency: format_money(amount, currency, lang),
            "counted": lambda n: format_count(n, COUNTED[lang], lang)}


def _refuse(request: Request, code: str | None) -> HTTPException:
    return ilo_scope(request).refuse(code)


# --------------------------------------------------------------------------- the board


def _board_filter(request: Request) -> tuple[BoardFilter, list[str]]:
    """The board's filter from the query string; values it cannot use are named, never an error page."""
    web = state(request)
    q = request.query_params
    problems: list[str] = []
    organisations = {o.code for o in web.config.organisations}
    areas = {a.id for a in web.config.taxonomy.areas}
    org = q.get("organisation") or None
    if org and org not in organisations:
        problems.append(f"organisation {org[:40]!r}")
        org = None
    area = q.get("area") or None
    if area and area not in areas:
        problems.append(f"area {area[:40]!r}")
        area = None
    wanted = q.get("state") or None
    if wanted:
        try:
            wanted = parse_state(wanted)
        except TransitionError:
            problems.append(f"state {wanted[:40]!r}")
            wanted = None
    return BoardFilter(organisation=org, area=area, state=wanted, include_closed=q.get("closed") == "1"), problems


@require_role(*ILO_ROLES)
def board(request: Request) -> Response:
    """The ILO's follow-ups grouped by state, with deadlines."""
    web = state(request)
    f, problems = _board_filter(request)
    with session_scope(web.engine) as session:
        reader = follow_up_scope(request, session)
        rows = board_rows(session, f, reader.organisations)
        query = {k: v for k, v in (("organisation", f.organisation), ("area", f.area), ("state", f.state),
                                   ("closed", "1" if f.include_closed else None)) if v}
        organisations = [(o.code, o.name) for o in web.config.organisations if reader.sees(o.code)]
        return render(request, "followup_board.html", {
            "groups": grouped(rows), "total": len(rows), "f": f, "problems": problems, "states": STATES,
            "organisations": organisations, "areas": [a.id for a in web.config.taxonomy.areas],
            "csv_url": "/ilo/follow-up.csv" + (f"?{urlencode(query)}" if query else ""), "reader": reader,
            "closed_states": CLOSED, **words(request)}, status_code=400 if problems else 200)


@require_role(*ILO_ROLES)
def board_csv(request: Request) -> Response:
    web = state(request)
    f, problems = _board_filter(request)
    if problems:
        raise HTTPException(400, "Not a filter the board knows: " + ", ".join(problems))
    with session_scope(web.engine) as session:
        rows = board_rows(session, f, follow_up_scope(request, session).organisations)
    out = io.StringIO()
    write_csv(out, CSV_COLUMNS, csv_rows(rows))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": attachment("follow-up.csv")})


# --------------------------------------------------------------------------- a call's follow-ups


@dataclass
class CompanyLine:
    """One company on a call's page: matched (with reasons) and/or followed up."""

    company: Company
    reasons: list[Any]
    follow_up: FollowUp | None
    sent: datetime | None
    """When a targeted mail about this call last went to the company, if it did."""


def call_context(session: Session, request: Request, current: Any,
                 matches: list[tuple[Company, list[Any]]]) -> dict[str, Any]:
    """What the call's ILO page shows of the follow-up: every matching or followed company with its state."""
    from alerts.targeted import sent_before

    reader = follow_up_scope(request, session)
    code = current.organisation.code if current.organisation else None
    if not reader.sees(code):
        raise _refuse(request, code)
    follow_ups = {f.company_id: f for f in session.scalars(select(FollowUp).where(
        FollowUp.call_uid == current.call_uid))}
    lines = [CompanyLine(c, reasons, follow_ups.pop(c.id, None), None) for c, reasons in matches]
    extra = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(list(follow_ups))))}
    lines += [CompanyLine(extra[cid], [], fu, None) for cid, fu in follow_ups.items() if cid in extra]
    for line in lines:
        earlier = sent_before(session, current.call_uid, line.company.recipients or [])
        if earlier:
            line.sent = max(d.created_at for d in earlier)
    listed = {line.company.id for line in lines}
    others = [(c.key, c.name) for c in session.scalars(select(Company).where(Company.active.is_(True))
                                                       .order_by(Company.name)) if c.id not in listed]
    return {"lines": lines, "others": others, "bidders": bidder_list.bidders_of(session, current.call_uid),
            **words(request)}


def _back_to_call(call_uid: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/ilo/calls/{quote(call_uid, safe='')}/companies{anchor}", status_code=303)


def _in_scope_call(request: Request, session: Session, call_uid: str) -> tuple[Reader, Any]:
    reader = follow_up_scope(request, session)
    try:
        call = find_call(session, call_uid)
    except FollowUpError:
        raise HTTPException(404) from None
    if not reader.sees(call.organisation):
        raise _refuse(request, call.organisation)
    return reader, call


def _problem(request: Request, message: str, back: str, status_code: int = 400) -> Response:
    lang = i18n.pick_language(request)
    return render(request, "followup_problem.html", {"message": i18n.translate(lang, message), "back": back},
                  status_code)


@require_role(*ILO_ROLES)
async def send_mails(request: Request) -> Response:
    """Send the chosen companies a targeted mail about the call (``alerts.targeted``)."""
    from alerts.targeted import Sender, TargetedError, send_targeted

    form = await read_form(request)
    web = state(request)
    call_uid = request.path_params["call_uid"]
    keys = [k for k in form.getlist("company") if isinstance(k, str)]
    note = str(form.get("note") or "")
    resend = form.get("resend") == "1"

    def send() -> Response:
        with session_scope(web.engine) as session:
            reader, _call = _in_scope_call(request, session, call_uid)
        try:
            report = send_targeted(web.engine, web.config, call_uid=call_uid, company_keys=keys,
                                   sender=Sender(reader.user_name, reader.ilo_id), note=note, resend=resend,
                                   now=web.now(), allow_demo_secret=False)
        except TargetedError as exc:
            return _problem(request, str(exc), f"/ilo/calls/{quote(call_uid, safe='')}/companies")
        return render(request, "followup_sent.html", {
            "report": report, "call_uid": call_uid, "note": note, **words(request),
            "again": [o.company_key for o in report.outcomes if o.status == "already"]})

    return await run_in_threadpool(send)


async def _on_call(request: Request, anchor: str,
                   action: Callable[[Session, Reader, FormData, str], None]) -> Response:
    """A form on a call's page: CSRF, then in one transaction the scope check and ``action``, which raises
    ``FollowUpError`` or ``BidderListError`` to refuse (nothing is written, the page says why)."""
    form = await read_form(request)
    web = state(request)
    call_uid = request.path_params["call_uid"]

    def run() -> Response:
        with session_scope(web.engine) as session:
            reader, _call = _in_scope_call(request, session, call_uid)
            try:
                action(session, reader, form, call_uid)
            except (FollowUpError, bidder_list.BidderListError) as exc:
                session.rollback()
                return _problem(request, str(exc), f"/ilo/calls/{quote(call_uid, safe='')}/companies")
        return _back_to_call(call_uid, anchor)

    return await run_in_threadpool(run)


@require_role(*ILO_ROLES)
async def add_to_call(request: Request) -> Response:
    """Follow up a company the call did not match, with the ILO's reason."""
    web = state(request)

    def add(session: Session, reader: Reader, form: FormData, call_uid: str) -> None:
        company = session.scalar(select(Company).where(Company.key == str(form.get("company") or "")))
        if company is None:
            raise FollowUpError("Choose a company.")
        add_company(session, call_uid=call_uid, company=company, why=str(form.get("why") or ""),
                    actor=Actor("ilo", reader.user_name), now=web.now())

    return await _on_call(request, "#follow-up", add)


@require_role(*ILO_ROLES)
async def save_bidders(request: Request) -> Response:
    """Record the organisation's own list of potential bidders (one firm per line, 'name; CC')."""
    web = state(request)

    def save(session: Session, reader: Reader, form: FormData, call_uid: str) -> None:
        entries = bidder_list.parse_list(str(form.get("bidders") or ""))
        bidder_list.record_bidders(session, call_uid, entries, by=reader.user_name, now=web.now())

    return await _on_call(request, "#bidders", save)


# --------------------------------------------------------------------------- one follow-up


def _follow_up_page(request: Request, session: Session, call: Any, company: Company, error: str | None = None,
                    status_code: int = 200) -> Response:
    follow_up = follow_up_of(session, call.call_uid, company)
    current = follow_up.state if follow_up is not None else None
    moves = ilo_moves(current)
    return render(request, "followup.html", {"call": call, "company": company, "follow_up": follow_up,
                                             "moves": moves, "error": error, **words(request)}, status_code)


def _company_or_404(session: Session, key: str) -> Company:
    company = session.scalar(select(Company).where(Company.key == key))
    if company is None:
        raise HTTPException(404)
    return company


@require_role(*ILO_ROLES)
def follow_up_page(request: Request) -> Response:
    web = state(request)
    with session_scope(web.engine) as session:
        _reader, call = _in_scope_call(request, session, request.path_params["call_uid"])
        return _follow_up_page(request, session, call, _company_or_404(session, request.path_params["company"]))


@require_role(*ILO_ROLES)
async def follow_up_save(request: Request) -> Response:
    """Change the follow-up's state (with a note, a win's value); refused changes say why."""
    form = await read_form(request)
    web = state(request)

    def save() -> Response:
        with session_scope(web.engine) as session:
            reader, call = _in_scope_call(request, session, request.path_params["call_uid"])
            company = _company_or_404(session, request.path_params["company"])
            try:
                new = parse_state(str(form.get("state") or ""))
                amount, currency = parse_money(str(form.get("value") or ""), str(form.get("currency") or ""))
                change_state(session, call_uid=call.call_uid, company=company, state=new,
                             actor=Actor("ilo", reader.user_name), note=str(form.get("note") or ""),
                             value=amount, currency=currency, now=web.now())
            except (FollowUpError, TransitionError) as exc:
                session.rollback()
                return _follow_up_page(request, session, call, company, str(exc), 400)
        # site-relative, never from request.url (the Host header is the client's)
        return RedirectResponse(f"/ilo/calls/{quote(call.call_uid, safe='')}/follow-up/{quote(company.key, safe='')}",
                                status_code=303)

    return await run_in_threadpool(save)


ROUTES = [
    Route("/ilo/follow-up", board, name="follow_up_board"),
    Route("/ilo/follow-up.csv", board_csv, name="follow_up_csv"),
    Route("/ilo/calls/{call_uid:str}/send", send_mails, methods=["POST"], name="follow_up_send"),
    Route("/ilo/calls/{call_uid:str}/add", add_to_call, methods=["POST"], name="follow_up_add"),
    Route("/ilo/calls/{call_uid:str}/bidders", save_bidders, methods=["POST"], name="follow_up_bidders"),
    Route("/ilo/calls/{call_uid:str}/follow-up/{company:str}", follow_up_page, methods=["GET"], name="follow_up"),
    Route("/ilo/calls/{call_uid:str}/follow-up/{company:str}", follow_up_save, methods=["POST"],
          name="follow_up_save"),
]

__all__ = ["ROUTES", "call_context", "follow_up_scope"]
