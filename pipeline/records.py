"""The two record shapes that flow through the pipeline.

``RawNotice`` is what a spider extracted, as strings, nothing invented: a field the page lacks is
None. ``NoticeRecord`` is the normalised notice: typed, time-zone aware, ISO codes. Its JSON form
(``to_export``) is the public export contract described by ``pipeline/notice.schema.json``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tenderwatch.config.base import NoticeType

MAX_TEXT = 100_000
"""Scraped text is hostile: no field is kept longer than this many characters."""
MAX_TITLE = 1_000


class RawNotice(BaseModel):
    """What a spider extracted from one listing row, card, feed entry or document row."""

    model_config = ConfigDict(extra="forbid")
    source: str
    organisation: str | None = None
    """Organisation code; for aggregators, taken from the row (code or name, resolved by normalise)."""
    url: str | None = None
    reference: str | None = None
    notice_type: str | None = None
    """The organisation's own label (MS, IT, CEI, "Call for Tender"...), mapped by config."""
    title: str | None = None
    description: str | None = None
    published: str | None = None
    deadline: str | None = None
    cpv_codes: list[str] = []
    value: str | None = None
    """Value as shown: '250 000 EUR', '200-500 KEURO', a CERN cost-range letter 'B'..."""
    currency: str | None = None
    buyer_name: str | None = None
    buyer_country: str | None = None
    eligibility: str | None = None
    language: str | None = None
    documents_url: str | None = None
    status: str | None = None
    is_new: bool | None = None
    fields: dict[str, Any] = {}
    """Every labelled field the spider saw, verbatim (evidence, and input for re-normalisation)."""


class Money(BaseModel):
    amount: Decimal
    currency: str

    def export(self) -> dict[str, Any]:
        return {"amount": float(self.amount), "currency": self.currency}


class AreaScore(BaseModel):
    id: str
    score: float = Field(ge=0, le=1)
    evidence: list[str] = []


class LotRecord(BaseModel):
    lot_number: str
    title: str | None = None
    cpv_codes: list[str] = []
    value: Money | None = None


class AwardRecord(BaseModel):
    winner_name: str
    winner_country: str | None = None
    lot_number: str | None = None
    value: Money | None = None
    awarded_at: datetime | None = None


class SourceRef(BaseModel):
    name: str
    url: str | None = None
    external_id: str | None = None
    alias_id: str | None = None
    """A second id of the record on that source (``NoticeRecord.alias_id``)."""
    amends: str | None = None
    """For a change notice seen on that source: the id of the notice it changes."""


class ChangeRecord(BaseModel):
    """A recorded change of a stored notice, as exported (``notice_changes``): kept by an import."""

    field: str
    old_value: Any = None
    new_value: Any = None
    changed_at: datetime
    source: str | None = None
    notice_ref: str | None = None
    published_at: datetime | None = None


class NoticeRecord(BaseModel):
    """A normalised notice, ready to classify and store. Mirrors the export contract."""

    id: str | None = None
    """Public uid; None for a notice not yet stored (store assigns one)."""
    organisation: str | None = None
    source: str
    external_id: str
    """The source's own identity of this record: TED publication number, reference, or URL."""
    alias_id: str | None = None
    """A second identity the source gives it, by which later notices may name it (an eForms notice's
    identifier-version, which its change notices cite)."""
    reference: str | None = None
    notice_type: NoticeType = "other"
    title: str
    description: str | None = None
    url: str | None = None
    documents_url: str | None = None
    sources: list[SourceRef] = []
    call_id: str | None = None
    published_at: datetime | None = None
    deadline_at: datetime | None = None
    """When bids are due; for a date-only deadline, the end of ``deadline_date`` in the organisation's zone."""
    deadline_date: date | None = None
    """Set only when the notice gave the deadline as a date without a time ("date only")."""
    cpv_codes: list[str] = []
    estimated_value: Money | None = None
    value_note: str | None = None
    buyer_name: str | None = None
    buyer_country: str | None = None
    eligible_countries: list[str] | None = None
    eligibility_note: str | None = None
    languages: list[str] = []
    technology_areas: list[AreaScore] | None = None
    """None = not classified yet (store classifies); [] = classified, no area."""
    status: str = "open"
    first_seen_at: datetime | None = None
    last_changed_at: datetime | None = None
    lots: list[LotRecord] = []
    awards: list[AwardRecord] = []
    previous_notice: str | None = None
    """The external id (or alias id) of an earlier notice of the call: for a change notice
    (``notice_type`` corrigendum), the notice it changes; for an award, the notice it awards."""
    changes: list[ChangeRecord] = []
    """Changes already recorded for this notice (an import of an export); stored with a new notice only."""
    extra: dict[str, Any] = {}
    warnings: list[str] = []
    raw: dict[str, Any] = {}
