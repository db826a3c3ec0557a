"""A notice's tracked values as the store compares, hashes and writes them.

``record_values`` (an incoming ``NoticeRecord``) and ``notice_values`` (a stored ``Notice``) give
the same ``TRACKED_FIELDS`` in the same shapes, so a change is one comparison per field
(``same_value``), recorded as ``jsonable`` values; ``content_hash`` fingerprints a source's record;
``new_uid`` names a new notice. Shared by the one writer (``pipeline.store``) and its bulk path
(``pipeline.bulk_insert``).

CPV codes are kept in the published order with duplicates dropped: the first is the notice's main code
(TED's ``cbc:MainCommodityClassification`` / ``CPV_MAIN``), which the classifier weighs as such and the
exports (JSON lines, CSV, OCDS items) list first. They are compared as a set (``same_value``, ``content_hash``): a
re-sighting that lists the same codes in another order is no change, and the stored order stays.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, date, datetime
from datetime import time as day_time
from decimal import Decimal
from typing import Any, NamedTuple

from pipeline.records import NoticeRecord
from tenderwatch.db.models import Notice

TRACKED_FIELDS = (
    "notice_type",
    "title",
    "description",
    "url",
    "documents_url",
    "published_at",
    "deadline_at",
    "cpv_codes",
    "value",
    "eligible_countries",
    "status",
    "reference",
)
"""Fields whose change between two sightings is recorded in ``notice_changes``."""

AMENDMENT_KEEPS = ("notice_type", "published_at", "url", "reference")
"""Fields a change notice does not take over from its notice: it is not a new stage, its publication
date is the change's (kept on the change records), its page is its sighting's, and its reference
names the change ("CAMS2_91 Change Notice"), not the call."""

class Deadline(NamedTuple):
    """A deadline as stored: the moment, and the day when the notice gave a date only."""

    at: datetime
    day: date | None = None

    def jsonable(self) -> str:
        """The ISO date of a date-only deadline, else the ISO moment in UTC (what change records hold)."""
        return self.day.isoformat() if self.day is not None else self.at.astimezone(UTC).isoformat()


def deadline_of(at: datetime | None, day: date | None) -> Deadline | None:
    if at is None and day is None:
        return None
    if at is None:  # an import that gave the day alone: its end, in UTC (no zone is known)
        at = datetime.combine(day, day_time(23, 59), tzinfo=UTC)  # type: ignore[arg-type]
    return Deadline(at, day)


def is_amendment(rec: NoticeRecord) -> bool:
    """A change notice: it changes a notice rather than being one (see the module docstring)."""
    return rec.notice_type == "corrigendum"


def new_uid() -> str:
    """``tw-`` + the time in milliseconds (12 hex digits) + 64 random bits (16 hex digits).

    Time first, so that the uids of a backfill are neighbours in the unique index (and in the
    call-uid index, which starts as the uid): each insert touches the index's last pages instead
    of a random page of an index larger than the database cache. At 100,000 TED notices random
    uids made the notices insert a third slower and the commits 70% slower than these.
    Opaque to everything else: nothing reads the time back.
    """
    return f"tw-{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


def jsonable(value: Any) -> Any:
    if isinstance(value, Deadline):
        return value.jsonable()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def bound(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same_value(field: str, a: Any, b: Any) -> bool:
    """Whether two values of a tracked field are the same: CPV codes as a set (their order is no change)."""
    if field == "cpv_codes":
        return set(a or []) == set(b or [])
    return bool(jsonable(a) == jsonable(b))


def value_of(notice: Notice) -> Any:
    if notice.value_amount is None:
        return None
    return {"amount": str(Decimal(notice.value_amount).normalize()), "currency": notice.value_currency}


def record_values(rec: NoticeRecord) -> dict[str, Any]:
    value = None
    if rec.estimated_value is not None:
        value = {"amount": str(rec.estimated_value.amount.normalize()), "currency": rec.estimated_value.currency}
    return {
        "notice_type": rec.notice_type,
        # every field was cleaned and bounded by ``clean_record`` (``upsert`` or ``Ingestor.add_many`` calls it first)
        "title": rec.title,
        "description": rec.description,
        "url": rec.url,
        "documents_url": rec.documents_url,
        "published_at": rec.published_at,
        "deadline_at": deadline_of(rec.deadline_at, rec.deadline_date),
        "cpv_codes": list(dict.fromkeys(rec.cpv_codes)),  # published order, main code first
        "value": value,
        "eligible_countries": sorted(rec.eligible_countries) if rec.eligible_countries is not None else None,
        "status": rec.status,
        "reference": rec.reference,
    }


def notice_values(n: Notice) -> dict[str, Any]:
    return {
        "notice_type": n.notice_type,
        "title": n.title,
        "description": n.description,
        "url": n.url,
        "documents_url": n.documents_url,
        "published_at": n.published_at,
        "deadline_at": deadline_of(n.deadline_at, n.deadline_date),
        "cpv_codes": list(n.cpv_codes or []),
        "value": value_of(n),
        "eligible_countries": n.eligible_countries,
        "status": n.status,
        "reference": n.reference,
    }


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str)
"""What ``json.dumps(..., sort_keys=True, default=str)`` builds on every call, built once."""
_HASH_MARKERS: dict[int, Any] = {}
_HASH_ENCODE = (json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    _HASH_MARKERS, str, json.encoder.encode_basestring_ascii, None, ": ", ", ", True, False, True)
    if json.encoder.c_make_encoder is not None else None)  # type: ignore[attr-defined]
"""The C encoder ``_HASH_ENCODER.encode`` makes anew on each call (same settings), made once."""
_AS_IS = frozenset({str, list, dict, type(None)})
"""Types of tracked values ``jsonable`` leaves as they are (most of them: texts, codes, lists)."""


def content_hash(rec: NoticeRecord, values: dict[str, Any] | None = None) -> str:
    """``values``: ``record_values(rec)`` when the caller has it already (not computed twice).

    CPV codes are hashed sorted: their order is no change (so a hash stored before codes kept their order
    still matches)."""
    values = record_values(rec) if values is None else values
    hashed = {k: v if type(v) in _AS_IS else jsonable(v) for k, v in values.items()}
    hashed["cpv_codes"] = sorted(hashed["cpv_codes"])
    if _HASH_ENCODE is None:
        payload = _HASH_ENCODER.encode(hashed)
    else:
        try:
            payload = "".join(_HASH_ENCODE(hashed, 0))
        except Exception:  # what json.dumps would raise (a circular value), and the markers left clean
            _HASH_MARKERS.clear()
            raise
    return hashlib.sha256(payload.encode()).hexdigest()
