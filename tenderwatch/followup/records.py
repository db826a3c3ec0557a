"""The one writer of follow-ups: every change of state goes through ``change_state`` and leaves a
history row (who, when, from, to, note, reason, value); nothing is overwritten.

Callers: the ILO's web pages and ``tenderwatch follow-up set`` (actor ``ilo``), a company's answer
from the signed links in its mails (actor ``company``), a targeted mail sent (``mail_sent``).
Every call needs a call that exists (no follow-up, and so no win, for an unknown call) and a
company of the database. The session is the caller's: one transaction per user action.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cleaning import clean_text
from pipeline.lifecycle import current_stage
from tenderwatch.db.models import Company, FollowUp, FollowUpChange, Notice, Organisation
from tenderwatch.followup.states import ANSWER_REASONS, BEFORE_BID, TransitionError, check_move, label

NOTE_LIMIT = 2000
"""Characters of a note (an ILO's, or a company's reason in its words)."""
NAME_LIMIT = 200
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_VALUE = Decimal("1e15")
ORIGINS = ("matched", "added", "answer")


class FollowUpError(ValueError):
    """A follow-up change that cannot be made, with the reason in words (shown as it is)."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: ``kind`` ilo, company or system; ``name`` the user name or company key."""

    kind: str
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ("ilo", "company", "system"):
            raise ValueError(f"unknown actor kind {self.kind!r}")


@dataclass(frozen=True)
class CallRef:
    """What a follow-up needs of its call: its current stage."""

    call_uid: str
    notice: Notice
    organisation: str | None


def find_call(session: Session, call_uid: str) -> CallRef:
    """The call ``call_uid`` (its current stage), or ``FollowUpError`` when no stage has that call id."""
    stages = list(session.scalars(select(Notice).where(Notice.call_uid == call_uid).order_by(
        Notice.published_at.is_(None), Notice.published_at, Notice.first_seen_at, Notice.id)))
    if not stages:
        raise FollowUpError(f"no call {call_uid!r} in the database")
    current = current_stage(stages)
    code = session.scalar(select(Organisation.code).where(Organisation.id == current.organisation_id)) \
        if current.organisation_id is not None else None
    return CallRef(call_uid, current, code)


def find_company(session: Session, key: str) -> Company:
    company = session.scalar(select(Company).where(Company.key == key))
    if company is None:
        raise FollowUpError(f"no company {key!r} in the database")
    return company


MAX_NOTE_LINES = 30


def clean_note(value: str | None, limit: int = NOTE_LIMIT) -> str | None:
    """A note as stored: its lines kept (at most ``MAX_NOTE_LINES``), each without control and bidi
    characters and with its spaces collapsed, the whole bounded to ``limit`` characters."""
    if not value:
        return None
    lines = [clean_text(line, limit) or "" for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines[:MAX_NOTE_LINES]).strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return (text if len(text) <= limit else text[: limit - 1] + "…") or None


def parse_money(amount: str | Decimal | None, currency: str | None) -> tuple[Decimal | None, str | None]:
    """A win's value from user input ('1 250 000.50', 'eur'); both or neither; ``FollowUpError`` says why."""
    text = "" if amount is None else str(amount).strip().replace(" ", "").replace("\u202f", "").replace("_", "")
    cur = (currency or "").strip().upper() or None
    if not text:
        if cur:
            raise FollowUpError("a currency without a value: give the value too, or neither")
        return None, None
    if "," in text:  # '1,250,000.50' (thousands) or '1250000,50' (a decimal comma)
        whole, _, cents = text.rpartition(",")
        text = text.replace(",", "") if "." in text or len(cents) == 3 else f"{whole.replace(',', '')}.{cents}"
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FollowUpError(f"{amount!r} is not an amount: write digits, e.g. 1250000.50") from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise FollowUpError(f"{amount!r} is not a plausible contract value")
    if cur is None or not CURRENCY_RE.match(cur):
        raise FollowUpError("a value needs its currency as three letters (ISO 4217), e.g. EUR or CHF")
    return value.quantize(Decimal("0.01")), cur


def _get(session: Session, call_uid: str, company_id: int) -> FollowUp | None:
    return session.scalar(select(FollowUp).where(FollowUp.call_uid == call_uid, FollowUp.company_id == company_id))


def follow_up_of(session: Session, call_uid: str, company: Company) -> FollowUp | None:
    return _get(session, call_uid, company.id)


def change_state(session: Session, *, call_uid: str, company: Company, state: str, actor: Actor,
                 note: str | None = None, reason: str | None = None, value: Decimal | None = None,
                 currency: str | None = None, origin: str = "matched", origin_note: str | None = None,
                 now: datetime | None = None) -> tuple[FollowUp, bool]:
    """Move the follow-up of ``company`` on ``call_uid`` to ``state`` (creating it when there is none).

    Returns (follow-up, changed). A company repeating its answer changes nothing (changed False: the
    same link clicked twice is one answer); a company answering another way is a change. Everything
    the rules refuse raises ``FollowUpError`` with the reason, and nothing is written."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    call = find_call(session, call_uid)
    follow_up = _get(session, call_uid, company.id)
    current = follow_up.state if follow_up is not None else None
    note = clean_note(note)
    if reason is not None and reason not in ANSWER_REASONS:
        raise FollowUpError(f"unknown reason {reason!r} (known: {', '.join(ANSWER_REASONS)})")
    if reason is not None and state != "not_interested":
        raise FollowUpError("a reason goes with 'not interested' only")
    if (value is not None or currency is not None) and state != "won":
        raise FollowUpError("a value goes with 'won' only")
    if (value is None) != (currency is None):
        raise FollowUpError("a win's value needs its currency (and a currency its value)")
    if actor.kind == "company" and current == state and (reason is None or reason == follow_up.answer_reason):
        return follow_up, False  # type: ignore[return-value]  # current == state implies a follow-up
    try:
        check_move(current, state, actor.kind)
    except TransitionError as exc:
        raise FollowUpError(str(exc)) from None
    if follow_up is None:
        if origin not in ORIGINS:
            raise FollowUpError(f"unknown origin {origin!r}")
        follow_up = FollowUp(uid=uuid.uuid4().hex, call_uid=call_uid, organisation_code=call.organisation,
                             company_id=company.id, state=state, origin=origin,
                             origin_note=clean_note(origin_note), created_at=now,
                             created_by=actor.name[:NAME_LIMIT], changed_at=now, changed_by=actor.name[:NAME_LIMIT])
        session.add(follow_up)
    follow_up.changes.append(FollowUpChange(
        at=now, actor=actor.kind, by=actor.name[:NAME_LIMIT], from_state=current, to_state=state, note=note,
        reason=reason, value_amount=value, value_currency=currency))
    follow_up.state = state
    follow_up.note = note
    follow_up.changed_at, follow_up.changed_by = now, actor.name[:NAME_LIMIT]
    if state == "not_interested":
        follow_up.answer_reason = reason
    if state == "won":
        follow_up.value_amount, follow_up.value_currency = value, currency
    elif current == "won":
        follow_up.value_amount = follow_up.value_currency = None  # the win was corrected: no value stands
    session.flush()
    return follow_up, True


def add_company(session: Session, *, call_uid: str, company: Company, why: str, actor: Actor,
                now: datetime | None = None) -> FollowUp:
    """An ILO adds a company the call did not match, saying why: a follow-up in state suggested."""
    why_text = clean_note(why)
    if not why_text:
        raise FollowUpError("say why the company fits the call although its profile does not match")
    if _get(session, call_uid, company.id) is not None:
        raise FollowUpError(f"{company.name} is already followed up on this call")
    follow_up, _ = change_state(session, call_uid=call_uid, company=company, state="suggested", actor=actor,
                                note=why_text, origin="added", origin_note=why_text, now=now)
    return follow_up


def mail_sent(session: Session, *, call_uid: str, company: Company, actor: Actor, now: datetime | None = None,
              note: str | None = None) -> FollowUp:
    """A targeted mail about the call went to the company: informed, unless it is already further on
    (interested, a bid...), when the mail is kept in the history without a change of state."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    follow_up = _get(session, call_uid, company.id)
    if follow_up is None or follow_up.state in ("suggested", "proposed"):
        follow_up, _ = change_state(session, call_uid=call_uid, company=company, state="informed", actor=actor,
                                    note=note, now=now)
        return follow_up
    follow_up.changes.append(FollowUpChange(at=now, actor=actor.kind, by=actor.name[:NAME_LIMIT],
                                            from_state=follow_up.state, to_state=follow_up.state,
                                            note=clean_note(note)))
    session.flush()
    return follow_up


def answerable(follow_up: FollowUp | None) -> bool:
    """Whether a company's answer may still change this follow-up (before a bid is recorded)."""
    return follow_up is None or follow_up.state in BEFORE_BID


def describe(follow_up: FollowUp) -> str:
    """'interested (since 2026-11-20 by acme)' for messages."""
    return f"{label(follow_up.state)} (since {follow_up.changed_at:%Y-%m-%d} by {follow_up.changed_by})"
