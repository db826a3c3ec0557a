"""Stored notices as an OCDS 1.1 release package (Open Contracting Data Standard).

Releases say what happened when, so that an OCDS tool compiling them into records gets each call's
story right:

- one release per notice (stage), as it was **published**: dated by its publication (or, for a page
  without a publication date, by when Tenderwatch first saw it), never by when it was stored; the
  fields later changes moved are shown with their values before the change (read back from the
  recorded changes);
- one release per change after that (a TED change notice, a corrigendum, a re-published page): dated
  by the change notice's publication or when the change was seen, tagged ``tenderAmendment`` (or
  ``planningUpdate`` for a planning stage, ``tenderCancellation`` when it cancels), with the state
  after the change and ``tender.amendments`` saying what changed, by which notice;
- planning stages (forthcoming, prior information, market survey) are ``planning`` releases whose
  tender status is ``planning``, never ``active``; their response deadline is a planning milestone,
  not a tender period;
- ``award`` only for a release that has awards; an award notice without winners is a
  ``tenderUpdate`` completing the tender.

Every stage of a call shares the call's ``ocid``. The ``ocid`` prefix is
``settings.open_data.ocid_prefix``: the shipped ``ocds-unregistered`` is a placeholder, to be replaced
by the prefix the Open Contracting Partnership registers for the publisher. Nothing is invented: a field
the notice lacks is left out. Validated against the official schema in ``tests/web/test_open_data.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

import pycountry
from sqlalchemy import Engine

from pipeline.export import iter_notices
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeChange
from tenderwatch.formats import describe_change

OCDS_VERSION = "1.1"
CPV_SCHEME = "CPV"
PLANNING_TYPES = frozenset({"forthcoming", "prior_information", "market_survey"})

TENDER_STATUS = {"open": "active", "closed": "complete", "cancelled": "cancelled", "awarded": "complete"}
"""Notice status -> OCDS tenderStatus (closed codelist), for tender stages."""
PLANNING_STATUS = {"open": "planning", "cancelled": "cancelled"}
"""Notice status -> OCDS tenderStatus for planning stages (a closed market survey says nothing of the tender)."""
STATE_FIELDS = ("title", "description", "deadline_at", "status", "value", "documents_url", "notice_type")
"""The recorded fields a release shows, walked back through the changes to the published state."""


@dataclass(frozen=True)
class Publisher:
    """What every release of one export shares: the ocid prefix, and the zone for date-only deadlines."""

    ocid_prefix: str
    timezone: str = "UTC"


def ocid(prefix: str, call_uid: str) -> str:
    return f"{prefix}-{call_uid}"


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _value(value: Any) -> dict[str, Any] | None:
    if not value or value.get("amount") is None or not value.get("currency"):
        return None
    return {"amount": float(Decimal(str(value["amount"]))), "currency": value["currency"]}


def _prune(obj: Any) -> Any:
    """Drop None, empty lists and empty objects: OCDS says omit what is unknown."""
    if isinstance(obj, dict):
        out = {k: _prune(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(obj, list):
        return [_prune(v) for v in obj if v not in (None, [], {})]
    return obj


def _party_id(role: str, name: str, country: str | None) -> str:
    """A stable party id within a release: the same winner in two lots is one party."""
    digest = hashlib.sha256(f"{(country or '').upper()}|{' '.join(name.split()).casefold()}".encode()).hexdigest()
    return f"{role}-{digest[:12]}"


def _address(country: str | None) -> dict[str, Any] | None:
    if not country:
        return None
    found = pycountry.countries.get(alpha_2=country.upper())
    return {"countryName": found.name if found else country}


def _current(n: Notice) -> dict[str, Any]:
    """The notice's fields as change records hold them (ISO strings; a date-only deadline as its date)."""
    if n.deadline_at is None:
        deadline = None
    elif n.deadline_date is not None:
        deadline = n.deadline_date.isoformat()
    else:
        deadline = _iso(n.deadline_at)
    value = None if n.value_amount is None else {"amount": str(n.value_amount), "currency": n.value_currency}
    return {"title": n.title, "description": n.description, "deadline_at": deadline, "status": n.status,
            "value": value, "documents_url": n.documents_url, "notice_type": n.notice_type}


def _states(n: Notice) -> list[tuple[dict[str, Any], list[NoticeChange]]]:
    """The notice as published, then after each change (one change notice or re-publication: the changes
    recorded together), oldest first: (state, the changes that made it; none for the first)."""
    groups: list[list[NoticeChange]] = []
    for change in sorted(n.changes, key=lambda c: (c.changed_at, c.id)):
        if groups and (groups[-1][0].changed_at, groups[-1][0].notice_ref) == (change.changed_at, change.notice_ref):
            groups[-1].append(change)
        else:
            groups.append([change])
    state = _current(n)  # the state after every group; walked back group by group
    after: list[dict[str, Any]] = [{} for _ in groups]
    for i in range(len(groups) - 1, -1, -1):
        after[i] = dict(state)
        for change in groups[i]:
            if change.field in STATE_FIELDS:
                state[change.field] = change.old_value
    return [(state, []), *((after[i], groups[i]) for i in range(len(groups)))]


def _deadline(value: Any, zone: str) -> str | None:
    """A recorded deadline as an OCDS date-time: a date-only deadline is the end of that day in ``zone``."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 10:
        day = datetime.fromisoformat(value).date()
        return _iso(datetime.combine(day, time(23, 59), tzinfo=ZoneInfo(zone)))
    return value


def notice_releases(n: Notice, publisher: Publisher) -> list[dict[str, Any]]:
    """The releases of one stored notice (stage): as published, then one per change."""
    zone = n.organisation.timezone if n.organisation and n.organisation.timezone else publisher.timezone
    releases: list[dict[str, Any]] = []
    amendments: list[dict[str, Any]] = []
    for k, (state, changes) in enumerate(_states(n)):
        release_id = f"{n.uid}-{k}" if k else f"{n.uid}-published"
        if changes:
            when = changes[0].published_at or changes[0].changed_at
            ref = changes[0].notice_ref
            amendments = [*amendments, _prune({
                "id": release_id, "date": _iso(when), "releaseID": release_id,
                "amendsReleaseID": releases[-1]["id"],
                "rationale": f"changed by {ref} ({changes[0].source_name})" if ref else "changed at its source",
                "description": "; ".join(describe_change(c.field, c.old_value, c.new_value, zone, "en")
                                         for c in changes),
            })]
        else:
            when = n.published_at or n.first_seen_at
        releases.append(_release(n, state, publisher, zone, release_id=release_id, date=when, amended=bool(changes),
                                 amendments=amendments))
    return releases


def _tags(n: Notice, state: dict[str, Any], *, amended: bool, planning: bool) -> list[str]:
    if state["status"] == "cancelled":
        return ["planningUpdate"] if planning and amended else ["tenderCancellation"]
    if amended:
        return ["planningUpdate"] if planning else ["tenderAmendment"]
    if planning:
        return ["planning"]
    if n.notice_type == "contract_award":
        return ["award"] if n.awards else ["tenderUpdate"]
    if n.notice_type == "corrigendum":  # a change notice whose notice is not stored
        return ["tenderAmendment"]
    return ["tender"]


def _release(n: Notice, state: dict[str, Any], publisher: Publisher, zone: str, *, release_id: str,
             date: datetime, amended: bool, amendments: list[dict[str, Any]]) -> dict[str, Any]:
    planning = n.notice_type in PLANNING_TYPES
    parties: dict[str, dict[str, Any]] = {}
    buyer_name = n.buyer_name or (n.organisation.name if n.organisation else None)
    buyer_country = n.buyer_country or (n.organisation.country if n.organisation else None)
    buyer_ref = None
    if buyer_name:
        pid = _party_id("buyer", buyer_name, buyer_country)
        parties[pid] = {"id": pid, "name": buyer_name, "roles": ["buyer", "procuringEntity"],
                        "address": _address(buyer_country)}
        buyer_ref = {"id": pid, "name": buyer_name}

    items = [{"id": f"cpv-{i + 1}", "classification": {"scheme": CPV_SCHEME, "id": code}}
             for i, code in enumerate(n.cpv_codes or [])]
    items += [
        {"id": f"lot-{lot.lot_number}", "description": lot.title,
         "classification": {"scheme": CPV_SCHEME, "id": lot.cpv_codes[0]} if lot.cpv_codes else None}
        for lot in n.lots
    ]
    documents = ([{"id": "documents", "documentType": "tenderNotice", "url": state["documents_url"]}]
                 if state["documents_url"] else [])
    if n.url:
        documents.insert(0, {"id": "notice", "documentType": "tenderNotice", "url": n.url,
                             "datePublished": _iso(n.published_at)})
    deadline = _deadline(state["deadline_at"], zone)
    statuses = PLANNING_STATUS if planning else TENDER_STATUS
    tender = {
        "id": n.reference or n.uid,
        "title": state["title"],
        "description": state["description"],
        "status": statuses.get(state["status"]),
        "procuringEntity": buyer_ref,
        "items": items,
        "value": _value(state["value"]),
        "tenderPeriod": None if planning else {"startDate": _iso(n.published_at), "endDate": deadline},
        "eligibilityCriteria": n.eligibility_note,
        "documents": documents,
        "amendments": amendments,
    }
    awards = []
    for i, a in enumerate(n.awards):
        pid = _party_id("supplier", a.winner_name, a.winner_country)
        party = parties.setdefault(pid, {"id": pid, "name": a.winner_name, "roles": [],
                                         "address": _address(a.winner_country)})
        if "supplier" not in party["roles"]:
            party["roles"].append("supplier")
        awards.append({
            "id": f"{n.uid}-award-{i + 1}",
            "title": f"Lot {a.lot_number}" if a.lot_number else None,
            "status": "active",
            "date": _iso(a.awarded_at),
            "value": _value({"amount": a.value_amount, "currency": a.value_currency}),
            "suppliers": [{"id": pid, "name": a.winner_name}],
        })
    release = {
        "ocid": ocid(publisher.ocid_prefix, n.call_uid),
        "id": release_id,
        "date": _iso(date),
        "tag": _tags(n, state, amended=amended, planning=planning),
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": buyer_ref,
        "planning": {"milestones": [{"id": "responses-due", "title": "Deadline for responses",
                                     "type": "engagement", "dueDate": deadline, "status": "scheduled"}]}
        if planning and deadline else None,
        "tender": tender,
        "awards": awards,
        "language": (n.languages or [None])[0],
    }
    return _prune(release)


def release_package(notices: Iterable[Notice], *, uri: str, publisher: Publisher,
                    published: datetime | None = None) -> dict[str, Any]:
    """A complete release package (the unit the OCDS schema validates)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _iso(published or datetime.now(UTC)),
        "publisher": {"name": "Tenderwatch (ILO-net)"},
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "publicationPolicy": "https://github.com/tenderwatch/tenderwatch#open-data",
        "releases": [r for n in notices for r in notice_releases(n, publisher)],
    }


def export_ocds(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    """Write one release package (releases of every stored notice and its changes); returns the number of releases."""

    publisher = Publisher(config.settings.open_data.ocid_prefix, config.settings.timezone)
    with session_scope(engine) as session:
        package = release_package(iter_notices(session, open_only=open_only, with_changes=True),
                                  uri=f"{config.settings.site_base_url}/export/ocds.json", publisher=publisher)
    json.dump(package, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(package["releases"])
