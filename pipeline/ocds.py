"""Stored notices as an OCDS 1.1 release package (Open Contracting Data Standard).

One release per notice stage: every stage of a call shares the call's ``ocid``, so an OCDS tool
compiles them into one contracting process (planning -> tender -> award). Nothing is invented: a
field the notice lacks is left out, never filled with a default that would read as a fact.

``OCID_PREFIX`` is not a registered OCDS prefix (Tenderwatch republishes other buyers' notices and
has none); a publisher who registers one sets it here. Validated against the official schema in
``tests/web/test_ocds.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

import pycountry
from sqlalchemy import Engine

from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice

OCDS_VERSION = "1.1"
OCID_PREFIX = "ocds-tw0000"
CPV_SCHEME = "CPV"

TAGS: dict[str, list[str]] = {
    "forthcoming": ["planning"],
    "prior_information": ["planning"],
    "market_survey": ["planning"],
    "expression_of_interest": ["tender"],
    "invitation_to_tender": ["tender"],
    "price_enquiry": ["tender"],
    "contract_award": ["award"],
    "corrigendum": ["tenderAmendment"],
    "other": ["tender"],
}
"""Tenderwatch notice type -> OCDS releaseTag (closed codelist)."""

TENDER_STATUS = {"open": "active", "closed": "complete", "cancelled": "cancelled", "awarded": "complete"}
"""Notice status -> OCDS tenderStatus (closed codelist)."""


def ocid(call_uid: str) -> str:
    return f"{OCID_PREFIX}-{call_uid}"


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _value(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None or not currency:
        return None
    return {"amount": float(amount), "currency": currency}


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


def notice_release(n: Notice) -> dict[str, Any]:
    """One OCDS release for one stored notice (stage)."""
    tags = list(TAGS.get(n.notice_type, ["tender"]))
    if n.status == "cancelled" and tags != ["award"]:
        tags = ["tenderCancellation"]
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
    documents = [{"id": "documents", "documentType": "tenderNotice", "url": n.documents_url}] if n.documents_url else []
    if n.url:
        documents.insert(0, {"id": "notice", "documentType": "tenderNotice", "url": n.url,
                             "datePublished": _iso(n.published_at)})
    tender = {
        "id": n.reference or n.uid,
        "title": n.title,
        "description": n.description,
        "status": TENDER_STATUS.get(n.status),
        "procuringEntity": buyer_ref,
        "items": items,
        "value": _value(n.value_amount, n.value_currency),
        "tenderPeriod": {"startDate": _iso(n.published_at), "endDate": _iso(n.deadline_at)},
        "eligibilityCriteria": n.eligibility_note,
        "documents": documents,
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
            "value": _value(a.value_amount, a.value_currency),
            "suppliers": [{"id": pid, "name": a.winner_name}],
        })

    release = {
        "ocid": ocid(n.call_uid),
        "id": f"{n.uid}-{(n.last_changed_at or n.first_seen_at).astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "date": _iso(n.last_changed_at or n.first_seen_at),
        "tag": tags,
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": buyer_ref,
        "tender": tender,
        "awards": awards,
        "language": (n.languages or [None])[0],
    }
    return _prune(release)


def release_package(notices: Iterable[Notice], *, uri: str, published: datetime | None = None) -> dict[str, Any]:
    """A complete release package (the unit the OCDS schema validates)."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _iso(published or datetime.now(UTC)),
        "publisher": {"name": "Tenderwatch (ILO-net)"},
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "publicationPolicy": "https://github.com/tenderwatch/tenderwatch#open-data",
        "releases": [notice_release(n) for n in notices],
    }


def export_ocds(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    """Write one release package with a release per stored notice; returns the number of releases."""
    from pipeline.exporters import iter_notices  # exporters registers this function: import lazily

    with session_scope(engine) as session:
        package = release_package(iter_notices(session, open_only=open_only),
                                  uri=f"{config.settings.site_base_url}/export/ocds.json")
    json.dump(package, out, ensure_ascii=False, indent=1)
    out.write("\n")
    return len(package["releases"])
