"""Follow-ups as JSON lines, to move them between databases (SQLite to PostgreSQL) or keep them.

One line per follow-up (``"record": "follow-up"``, with its whole history) and per bidder-list entry
(``"record": "bidder"``). Calls are named by their call id and companies by their key, as the notices'
export and the companies' config name them: import the notices (``tenderwatch import``) and the
companies first. These lines are the network's working data, not open data: nothing public serves them.

Import is idempotent and never destroys: a follow-up already there with the same history is left
alone; one whose stored history is the start of the imported one gets the rest appended; anything
else (another history, a call or company the database lacks, a malformed line) is a problem with its
file and line, kept in the rejects table, and the other lines go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenderwatch.db.models import CallBidder, Company, FollowUp, FollowUpChange, Notice, Reject
from tenderwatch.followup.records import NAME_LIMIT, clean_note
from tenderwatch.followup.states import ANSWER_REASONS, STATES

FOLLOW_UP, BIDDER = "follow-up", "bidder"
MAX_LINE = 1 << 20
"""A line longer than this (1 MiB) is refused unread: a follow-up's history is a few kilobytes."""
STAGE = "follow-up-import"


def _money(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    return None if amount is None else {"amount": str(amount), "currency": currency or ""}


def _change(c: FollowUpChange) -> dict[str, Any]:
    return {"at": c.at.isoformat(), "actor": c.actor, "by": c.by, "from": c.from_state, "to": c.to_state,
            "note": c.note, "reason": c.reason, "value": _money(c.value_amount, c.value_currency)}


def follow_up_line(fu: FollowUp, company_key: str) -> dict[str, Any]:
    return {"record": FOLLOW_UP, "id": fu.uid, "call_id": fu.call_uid, "organisation": fu.organisation_code,
            "company": company_key, "state": fu.state, "origin": fu.origin, "origin_note": fu.origin_note,
            "note": fu.note, "answer_reason": fu.answer_reason, "value": _money(fu.value_amount, fu.value_currency),
            "created_at": fu.created_at.isoformat(), "created_by": fu.created_by,
            "changed_at": fu.changed_at.isoformat(), "changed_by": fu.changed_by,
            "history": [_change(c) for c in fu.changes]}


def export_lines(session: Session, organisations: frozenset[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every follow-up (of ``organisations`` when given) with its history, then every bidder-list entry."""
    stmt = select(FollowUp, Company.key).join(Company, Company.id == FollowUp.company_id).order_by(FollowUp.id)
    if organisations is not None:
        stmt = stmt.where(FollowUp.organisation_code.in_(sorted(organisations)))
    calls: set[str] = set()
    for fu, key in session.execute(stmt):
        calls.add(fu.call_uid)
        yield follow_up_line(fu, key)
    bidders = select(CallBidder, Company.key).outerjoin(Company, Company.id == CallBidder.company_id) \
        .order_by(CallBidder.id)
    for bidder, key in session.execute(bidders):
        if organisations is None or bidder.call_uid in calls or _call_in(session, bidder.call_uid, organisations):
            yield {"record": BIDDER, "call_id": bidder.call_uid, "name": bidder.name, "country": bidder.country,
                   "company": key, "recorded_at": bidder.recorded_at.isoformat(), "recorded_by": bidder.recorded_by}


def _call_in(session: Session, call_uid: str, organisations: frozenset[str]) -> bool:
    from tenderwatch.db.models import Organisation

    return session.scalar(select(Organisation.code).join(Notice, Notice.organisation_id == Organisation.id)
                          .where(Notice.call_uid == call_uid).limit(1)) in organisations


def write_jsonl(session: Session, out: IO[str], organisations: frozenset[str] | None = None) -> int:
    count = 0
    for line in export_lines(session, organisations):
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


# --------------------------------------------------------------------------- import


class LineError(ValueError):
    """A line that cannot be imported, with the reason."""


@dataclass
class ImportReport:
    new: int = 0
    extended: int = 0
    unchanged: int = 0
    bidders: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(file:line, reason)."""


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise LineError(f"field {key!r} is missing")
        return None
    if not isinstance(value, str):
        raise LineError(f"field {key!r} is not a string")
    return clean_note(value, limit)


def _when(data: dict[str, Any], key: str) -> datetime:
    value = data.get(key)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise LineError(f"field {key!r} is not an ISO date and time: {str(value)[:40]!r}") from None
    if moment.tzinfo is None:
        raise LineError(f"field {key!r} has no time zone: {value!r}")
    return moment


def _state(value: Any, key: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if value not in STATES:
        raise LineError(f"field {key!r}: unknown state {str(value)[:40]!r}")
    return str(value)


def _value(data: Any) -> tuple[Decimal | None, str | None]:
    if data is None:
        return None, None
    if not isinstance(data, dict):
        raise LineError("field 'value' is not an object with amount and currency")
    try:
        amount = Decimal(str(data.get("amount")))
    except InvalidOperation:
        raise LineError(f"value amount {str(data.get('amount'))[:40]!r} is not a number") from None
    currency = data.get("currency")
    if not amount.is_finite() or not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise LineError("value needs a finite amount and a three-letter currency")
    return amount.quantize(Decimal("0.01")), currency.upper()


def _history(data: dict[str, Any]) -> list[FollowUpChange]:
    raw = data.get("history")
    if not isinstance(raw, list) or not raw:
        raise LineError("field 'history' is missing or empty (a follow-up has at least its first change)")
    changes = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LineError(f"history[{i}] is not an object")
        actor = item.get("actor")
        if actor not in ("ilo", "company", "system"):
            raise LineError(f"history[{i}]: unknown actor {str(actor)[:20]!r}")
        reason = item.get("reason")
        if reason is not None and reason not in ANSWER_REASONS:
            raise LineError(f"history[{i}]: unknown reason {str(reason)[:20]!r}")
        amount, currency = _value(item.get("value"))
        changes.append(FollowUpChange(
            at=_when(item, "at"), actor=actor, by=_text(item, "by", NAME_LIMIT, required=True),
            from_state=_state(item.get("from"), f"history[{i}].from", optional=True),
            to_state=_state(item.get("to"), f"history[{i}].to"), note=_text(item, "note", 2000), reason=reason,
            value_amount=amount, value_currency=currency))
    return changes


def _same(a: FollowUpChange, b: FollowUpChange) -> bool:
    return (a.at, a.actor, a.by, a.from_state, a.to_state, a.note, a.reason, a.value_amount, a.value_currency) == \
        (b.at, b.actor, b.by, b.from_state, b.to_state, b.note, b.reason, b.value_amount, b.value_currency)


def _call_exists(session: Session, call_uid: str) -> bool:
    return session.scalar(select(Notice.id).where(Notice.call_uid == call_uid).limit(1)) is not None


def _company(session: Session, key: Any) -> Company:
    if not isinstance(key, str) or not key:
        raise LineError("field 'company' is missing")
    company = session.scalar(select(Company).where(Company.key == key))
    if company is None:
        raise LineError(f"company {key[:100]!r} is not in this database (import the companies first)")
    return company


def import_follow_up(session: Session, data: dict[str, Any], report: ImportReport) -> None:
    uid, call_uid = data.get("id"), data.get("call_id")
    if not isinstance(uid, str) or not 8 <= len(uid) <= 40 or not isinstance(call_uid, str) or len(call_uid) > 40:
        raise LineError("fields 'id' and 'call_id' must be the follow-up's and the call's ids")
    company = _company(session, data.get("company"))
    if not _call_exists(session, call_uid):
        raise LineError(f"call {call_uid!r} is not in this database (import the notices first)")
    state = _state(data.get("state"), "state")
    history = _history(data)
    if history[-1].to_state != state:
        raise LineError(f"state {state!r} is not where the history ends ({history[-1].to_state!r})")
    amount, currency = _value(data.get("value"))
    existing = session.scalar(select(FollowUp).where(FollowUp.uid == uid))
    if existing is None:
        other = session.scalar(select(FollowUp.uid).where(FollowUp.call_uid == call_uid,
                                                          FollowUp.company_id == company.id))
        if other is not None:
            raise LineError(f"this database already follows {company.key} on call {call_uid} (as {other})")
        origin = data.get("origin") if data.get("origin") in ("matched", "added", "answer") else "matched"
        session.add(FollowUp(
            uid=uid, call_uid=call_uid, organisation_code=_text(data, "organisation", 32), company_id=company.id,
            state=state, origin=origin, origin_note=_text(data, "origin_note", 2000), note=_text(data, "note", 2000),
            answer_reason=data.get("answer_reason") if data.get("answer_reason") in ANSWER_REASONS else None,
            value_amount=amount, value_currency=currency, created_at=_when(data, "created_at"),
            created_by=_text(data, "created_by", NAME_LIMIT, required=True), changed_at=_when(data, "changed_at"),
            changed_by=_text(data, "changed_by", NAME_LIMIT, required=True), changes=history))
        report.new += 1
        return
    if existing.company_id != company.id or existing.call_uid != call_uid:
        raise LineError(f"follow-up {uid} is stored for another company or call")
    stored = list(existing.changes)
    if len(stored) > len(history) or not all(_same(a, b) for a, b in zip(stored, history, strict=False)):
        raise LineError(f"follow-up {uid} has another history here: left as it is")
    if len(stored) == len(history):
        report.unchanged += 1
        return
    existing.changes.extend(history[len(stored):])
    existing.state, existing.note = state, _text(data, "note", 2000)
    existing.value_amount, existing.value_currency = amount, currency
    existing.changed_at = _when(data, "changed_at")
    existing.changed_by = _text(data, "changed_by", NAME_LIMIT, required=True) or existing.changed_by
    report.extended += 1


def import_bidder(session: Session, data: dict[str, Any], report: ImportReport) -> None:
    from tenderwatch.followup.bidders import record_bidders

    call_uid = data.get("call_id")
    if not isinstance(call_uid, str) or not _call_exists(session, call_uid):
        raise LineError(f"call {str(call_uid)[:40]!r} is not in this database (import the notices first)")
    name = _text(data, "name", 300, required=True) or ""
    country = data.get("country") if isinstance(data.get("country"), str) else None
    added = record_bidders(session, call_uid, [(name, country)], by=_text(data, "recorded_by", NAME_LIMIT) or "import",
                           now=_when(data, "recorded_at"))
    report.bidders += added


def import_lines(session: Session, lines: Iterable[str], location: str) -> ImportReport:
    """Import JSON lines (``location`` names them in problems); each line in its own savepoint."""
    report = ImportReport()
    for number, line in enumerate(lines, 1):
        where = f"{location}:{number}"
        if not line.strip():
            continue
        try:
            if len(line) > MAX_LINE:
                raise LineError(f"line longer than {MAX_LINE} characters")
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LineError(f"not JSON: {exc.msg} at column {exc.colno}") from None
            if not isinstance(data, dict):
                raise LineError("not a JSON object")
            with session.begin_nested():
                if data.get("record") == FOLLOW_UP:
                    import_follow_up(session, data, report)
                elif data.get("record") == BIDDER:
                    import_bidder(session, data, report)
                else:
                    raise LineError(f"unknown record {str(data.get('record'))[:40]!r} (follow-up or bidder)")
                session.flush()
        except LineError as exc:
            report.problems.append((where, str(exc)))
            session.add(Reject(stage=STAGE, location=where[:1000], reason=str(exc), raw=line[:65536]))
    return report
