"""The public export contract: one JSON object per notice (``pipeline/notice.schema.json``).

``notice_to_export`` is the only place a stored notice becomes its public JSON form;
``record_from_export`` reads that form back (JSON-lines import), so export -> import -> export is
the identity, which is also how an administrator moves from SQLite to PostgreSQL.

It is also the base every exporter shares (``pipeline.exporters``, ``pipeline.csv_export``,
``pipeline.ocds``): the ``Exporter`` signature and ``iter_notices``, the rows an export reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pipeline.records import AreaScore, AwardRecord, ChangeRecord, LotRecord, Money, NoticeRecord, SourceRef
from tenderwatch.db.models import Notice, NoticeSource

Exporter = Callable[..., int]
"""An export format: ``(engine, config, stream, *, open_only) -> count written`` (``pipeline.exporters.EXPORTERS``)."""


def iter_notices(session: Session, *, open_only: bool = False, batch: int = 500,
                 with_changes: bool = True) -> Iterator[Notice]:
    """Every stored notice (stage) with what an export shows of it, in id order, ``batch`` rows at a time."""
    options = [selectinload(Notice.sightings), selectinload(Notice.areas), selectinload(Notice.lots),
               selectinload(Notice.awards), selectinload(Notice.organisation)]
    if with_changes:
        options.append(selectinload(Notice.changes))
    stmt = select(Notice).options(*options).order_by(Notice.id)
    if open_only:
        stmt = stmt.where(Notice.status == "open")
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _money(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None or currency is None:
        return None
    return {"amount": float(amount), "currency": currency}


def _sighting(s: NoticeSource) -> dict[str, Any]:
    """A sighting as exported: its second id and what it amends only when it has them."""
    out: dict[str, Any] = {"name": s.source_name, "url": s.url, "external_id": s.external_id}
    if s.alias_id:
        out["alias_id"] = s.alias_id
    if s.amends:
        out["amends"] = s.amends
    return out


def notice_to_export(n: Notice) -> dict[str, Any]:
    """The contract fields plus lots, awards and the extras an import needs to rebuild the notice."""
    return {
        "id": n.uid,
        "organisation": n.organisation.code if n.organisation else None,
        "source": n.sightings[0].source_name if n.sightings else (n.source.name if n.source else None),
        "reference": n.reference,
        "notice_type": n.notice_type,
        "title": n.title,
        "description": n.description,
        "url": n.url,
        "documents_url": n.documents_url,
        "sources": [_sighting(s) for s in n.sightings],
        "call_id": n.call_uid,
        "published_at": _iso(n.published_at),
        "deadline_at": _iso(n.deadline_at),
        "deadline_date": n.deadline_date.isoformat() if n.deadline_date else None,
        "cpv_codes": list(n.cpv_codes or []),
        "estimated_value": _money(n.value_amount, n.value_currency),
        "buyer": {"name": n.buyer_name, "country": n.buyer_country},
        "eligible_countries": n.eligible_countries,
        "languages": list(n.languages or []),
        "technology_areas": [{"id": a.area_id, "score": a.score, "evidence": list(a.evidence)} for a in n.areas],
        "status": n.status,
        "first_seen_at": _iso(n.first_seen_at),
        "last_changed_at": _iso(n.last_changed_at),
        "lots": [
            {"lot_number": lot.lot_number, "title": lot.title, "cpv_codes": list(lot.cpv_codes or []),
             "value": _money(lot.value_amount, lot.value_currency)}
            for lot in n.lots
        ],
        "awards": [
            {"winner_name": a.winner_name, "winner_country": a.winner_country, "lot_number": a.lot_number,
             "value": _money(a.value_amount, a.value_currency), "awarded_at": _iso(a.awarded_at)}
            for a in n.awards
        ],
        "changes": [
            {"field": c.field, "old_value": c.old_value, "new_value": c.new_value, "changed_at": _iso(c.changed_at),
             "source": c.source_name, "notice_ref": c.notice_ref, "published_at": _iso(c.published_at)}
            for c in n.changes
        ],
        "warnings": list(n.warnings or []),
        "extra": dict(n.extra or {}),
        "raw": dict(n.raw or {}),
    }


def _m(obj: dict[str, Any] | None) -> Money | None:
    if not obj:
        return None
    return Money(amount=Decimal(str(obj["amount"])), currency=obj["currency"])


def record_from_export(obj: dict[str, Any]) -> NoticeRecord:
    """Rebuild a ``NoticeRecord`` from an exported line (raises ``pydantic.ValidationError``/KeyError if bad)."""
    sources = [SourceRef(**s) for s in obj.get("sources") or []]
    first = sources[0] if sources else SourceRef(name=obj["source"], url=obj.get("url"), external_id=obj["id"])
    buyer = obj.get("buyer") or {}
    extra = dict(obj.get("extra") or {})
    return NoticeRecord(
        id=obj["id"],
        organisation=obj.get("organisation"),
        source=first.name,
        external_id=first.external_id or obj["id"],
        alias_id=first.alias_id,
        reference=obj.get("reference"),
        notice_type=obj.get("notice_type") or "other",
        title=obj["title"],
        description=obj.get("description"),
        url=obj.get("url"),
        documents_url=obj.get("documents_url"),
        sources=sources[1:],
        call_id=obj.get("call_id"),
        published_at=obj.get("published_at"),
        deadline_at=obj.get("deadline_at"),
        deadline_date=obj.get("deadline_date"),
        cpv_codes=obj.get("cpv_codes") or [],
        estimated_value=_m(obj.get("estimated_value")),
        buyer_name=buyer.get("name"),
        buyer_country=buyer.get("country"),
        eligible_countries=obj.get("eligible_countries"),
        languages=obj.get("languages") or [],
        technology_areas=[AreaScore(**a) for a in obj["technology_areas"]]
        if obj.get("technology_areas") is not None else None,
        status=obj.get("status") or "open",
        first_seen_at=obj.get("first_seen_at"),
        last_changed_at=obj.get("last_changed_at"),
        lots=[LotRecord(lot_number=lot["lot_number"], title=lot.get("title"), cpv_codes=lot.get("cpv_codes") or [],
                        value=_m(lot.get("value"))) for lot in obj.get("lots") or []],
        awards=[AwardRecord(winner_name=a["winner_name"], winner_country=a.get("winner_country"),
                            lot_number=a.get("lot_number"), value=_m(a.get("value")),
                            awarded_at=a.get("awarded_at")) for a in obj.get("awards") or []],
        previous_notice=extra.pop("previous_notice", None),
        changes=[ChangeRecord(**c) for c in obj.get("changes") or []],
        extra=extra,
        warnings=obj.get("warnings") or [],
        raw=obj.get("raw") or {},
    )


def export_schema() -> dict[str, Any]:
    import json

    return json.loads(resources.files("pipeline").joinpath("notice.schema.json").read_text(encoding="utf-8"))
