"""The organisation's own list of potential bidders for a call (CERN sends the ILOs one with a market
survey), as an ILO records it: each firm once per call, linked to a company of ours when the name is
one of theirs, so the call's page shows which of the network's firms are on it and which are not."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.cleaning import clean_text
from pipeline.morphology import fold
from tenderwatch.db.models import CallBidder, Company

MAX_BIDDERS = 500
"""Entries one list may hold (CERN's lists run to a few dozen firms)."""
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_NOT_WORD = re.compile(r"\W+")
_JOINED = re.compile(r"[.'’]")
"""Dropped, not spaced: 'B.V.' is 'BV', 'L'Air' is 'LAir'."""


class BidderListError(ValueError):
    """A bidder list that cannot be read, with the line and the reason."""


def name_key(name: str) -> str:
    """The name compared: case and accents folded, punctuation and spacing ignored ('ACME B.V.' = 'Acme BV')."""
    return " ".join(_NOT_WORD.sub(" ", _JOINED.sub("", fold(name))).split())[:300]


def parse_list(text: str) -> list[tuple[str, str | None]]:
    """One firm per line: ``name`` or ``name; CC`` (a tab works as the separator too). Blank lines skipped."""
    entries: list[tuple[str, str | None]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.replace("\t", ";").strip()
        if not line:
            continue
        name, _, country = line.rpartition(";") if ";" in line else (line, "", "")
        name, country = clean_text(name, 300) or "", country.strip()
        if not name_key(name):
            raise BidderListError(f"line {number}: no firm name")
        if country and not _COUNTRY.match(country):
            raise BidderListError(f"line {number}: {country[:20]!r} is not a country code (two letters, e.g. NL)")
        entries.append((name, country.upper() or None))
        if len(entries) > MAX_BIDDERS:
            raise BidderListError(f"more than {MAX_BIDDERS} firms")
    return entries


def record_bidders(session: Session, call_uid: str, entries: list[tuple[str, str | None]], *, by: str,
                   now: datetime | None = None) -> int:
    """Add the firms not yet on the call's list; returns how many were added."""
    now = now or datetime.now(UTC)
    known = set(session.scalars(select(CallBidder.name_key).where(CallBidder.call_uid == call_uid)))
    ours = {name_key(c.name): c.id for c in session.scalars(select(Company))}
    ours.update({name_key(k): i for i, k in session.execute(select(Company.id, Company.key))})
    added = 0
    for name, country in entries:
        key = name_key(name)
        if not key or key in known:
            continue
        known.add(key)
        session.add(CallBidder(call_uid=call_uid, name=name[:300], name_key=key, country=country,
                               company_id=ours.get(key), recorded_at=now, recorded_by=by[:200]))
        added += 1
    session.flush()
    return added


def bidders_of(session: Session, call_uid: str) -> list[CallBidder]:
    return list(session.scalars(select(CallBidder).where(CallBidder.call_uid == call_uid)
                                .order_by(CallBidder.name_key)))
