"""The rows a new notice is stored as, made from its cleaned record: the one mapping of a ``NoticeRecord``
onto the columns of ``notices``, ``notice_sources``, ``notice_areas``, ``lots`` and ``awards``.

The store's one-by-one insert (``Store._insert``, ORM objects made from these rows) and its bulk path for
imports (``pipeline.bulk_insert.insert_new``, the rows handed to the driver with their ``notice_id``) both take
them from here, so a notice holds the same values whichever way it was stored
(``tests/ted/test_bulk_same_as_one_by_one.py``), and a column added to the model is added once.
The record is cleaned already (``clean_record``) and its tracked values computed once
(``notice_values.record_values``, which the content hash reads too).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from pipeline.notice_values import bound, is_amendment
from pipeline.records import MAX_TITLE, AreaScore, NoticeRecord

_NOT_COLUMNS = frozenset({"value", "deadline_at"})
"""Tracked values stored as two columns each (``value_amount``/``value_currency``,
``deadline_at``/``deadline_date``)."""


def notice_row(rec: NoticeRecord, values: dict[str, Any], *, uid: str, call_uid: str, organisation_id: int | None,
               reference_key: str | None, digest: str | None, now: datetime) -> dict[str, Any]:
    """The ``notices`` row of a new notice: its tracked ``values`` (``record_values(rec)``) and the rest of the
    record, bounded to the columns' sizes."""
    row = {name: value for name, value in values.items() if name not in _NOT_COLUMNS}
    value, deadline = values["value"], values["deadline_at"]
    row.update(
        uid=uid, call_uid=call_uid, organisation_id=organisation_id, reference_key=reference_key,
        value_amount=Decimal(value["amount"]) if value else None,
        value_currency=value["currency"] if value else None,
        deadline_at=deadline.at if deadline else None,
        deadline_date=deadline.day if deadline else None,
        buyer_name=bound(rec.buyer_name, 1000), buyer_country=rec.buyer_country,
        eligibility_note=bound(rec.eligibility_note, 5000), value_note=bound(rec.value_note, 200),
        languages=list(rec.languages),
        first_seen_at=rec.first_seen_at or now, last_seen_at=now,
        last_changed_at=rec.last_changed_at or rec.first_seen_at or now,
        content_hash=digest, raw=rec.raw, warnings=list(rec.warnings),
        extra=dict(rec.extra, previous_notice=rec.previous_notice) if rec.previous_notice else dict(rec.extra),
    )
    return row


def sighting_row(rec: NoticeRecord, digest: str | None, now: datetime) -> dict[str, Any]:
    """The ``notice_sources`` row of the record's own sighting (a change notice's names the notice it changes)."""
    return {"source_name": rec.source, "external_id": rec.external_id, "url": rec.url, "alias_id": rec.alias_id,
            "amends": rec.previous_notice if is_amendment(rec) else None, "content_hash": digest,
            "first_seen_at": now, "last_seen_at": now}


def area_rows(scores: list[AreaScore] | None, known: Collection[str]) -> list[dict[str, Any]]:
    """The ``notice_areas`` rows of a notice's areas, those of the taxonomy the database knows."""
    return [{"area_id": a.id, "score": a.score, "evidence": a.evidence} for a in scores or () if a.id in known]


def lot_rows(rec: NoticeRecord) -> list[dict[str, Any]]:
    return [{"lot_number": lot.lot_number, "title": bound(lot.title, MAX_TITLE), "cpv_codes": lot.cpv_codes,
             "value_amount": lot.value.amount if lot.value else None,
             "value_currency": lot.value.currency if lot.value else None} for lot in rec.lots]


def award_rows(rec: NoticeRecord) -> list[dict[str, Any]]:
    return [{"lot_number": a.lot_number, "winner_name": bound(a.winner_name, 1000) or "",
             "winner_country": a.winner_country, "awarded_at": a.awarded_at,
             "value_amount": a.value.amount if a.value else None,
             "value_currency": a.value.currency if a.value else None} for a in rec.awards]
