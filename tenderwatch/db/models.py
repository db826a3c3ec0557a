"""The whole data model in one metadata: the notices' tables here, the people's in
``tenderwatch.db.people`` (imported below, so importing this module registers every table), the
shared ``Base`` and ``UTCDateTime`` in ``tenderwatch.db.types``.

Every datetime column is ``DateTime(timezone=True)`` and holds UTC: SQLite keeps no offset, so
``UTCDateTime`` re-attaches UTC on the way out and converts aware values on the way in. Lists and
small records (CPV codes, evidence, raw extracted fields) are JSON columns: they are read whole,
never queried by element in SQL, and this keeps SQLite and PostgreSQL on one schema.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenderwatch.db.people import (  # noqa: F401  (one metadata: every table registered with the model)
    CallBidder,
    Company,
    Delivery,
    DirectoryProfile,
    FollowUp,
    FollowUpChange,
    Ilo,
    SavedSearch,
    SignInThrottle,
    User,
    WebSession,
)
from tenderwatch.db.types import Base, utcnow

# --------------------------------------------------------------------------- organisations, sources


class Organisation(Base):
    """A Big Science organisation (synced from ``config/organisations.yaml``)."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    member_states: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Source(Base):
    """A configured source and its run health (written after every crawl)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    organisation_code: Mapped[str | None] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_run_notices: Mapped[int | None] = mapped_column(Integer)
    notices_seen_total: Mapped[int] = mapped_column(Integer, default=0)
    runs_total: Mapped[int] = mapped_column(Integer, default=0)
    successful_runs_total: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_empty_runs: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_reported_at: Mapped[datetime | None]
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Incremental state a spider keeps between runs (e.g. the TED publication-date window)."""


class CrawlRun(Base):
    """One crawl of one source: counts, finish reason and problems, for health rules and audit."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|empty|failed
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    notices_found: Mapped[int] = mapped_column(Integer, default=0)
    notices_new: Mapped[int] = mapped_column(Integer, default=0)
    notices_changed: Mapped[int] = mapped_column(Integer, default=0)
    notices_missing_fields: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[Source] = relationship()


# --------------------------------------------------------------------------- notices


class Notice(Base):
    """One stage of a call (forthcoming entry, market survey, ITT, award...), possibly seen on several sources."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_org_refkey", "organisation_id", "reference_key"),
        Index("ix_notices_deadline", "deadline_at"),
        # fuzzy cross-source matching (``pipeline.fuzzy_match.find_fuzzy_match``) reads an organisation's notices
        # within a publication window or around a deadline: a range on each, not every notice of it
        Index("ix_notices_org_published", "organisation_id", "published_at"),
        Index("ix_notices_org_deadline", "organisation_id", "deadline_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    """Stable public id (exported as ``id``); survives export/import between databases."""
    call_uid: Mapped[str] = mapped_column(String(40), index=True)
    """Groups the stages of one call; the notice's own uid until lifecycle linking joins it to others."""
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    reference_key: Mapped[str | None] = mapped_column(String(200))
    notice_type: Mapped[str] = mapped_column(String(40), default="other")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    documents_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    """The moment bids are due; for a date-only deadline the end of that day in the organisation's zone."""
    deadline_date: Mapped[date | None] = mapped_column(Date)
    """Set only when the notice gave its deadline as a date without a time ("date only"): that day, as
    the organisation named it. Shown as that date, never converted to another zone's day or given an
    hour; calendars make it an all-day event. None when the notice (or the organisation's rules in
    ``organisations.yaml``, ``deadline_time``) gave the time."""
    cpv_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    value_note: Mapped[str | None] = mapped_column(String(200))
    buyer_name: Mapped[str | None] = mapped_column(Text)
    buyer_country: Mapped[str | None] = mapped_column(String(2))
    eligible_countries: Mapped[list[Any] | None] = mapped_column(JSON)
    """ISO alpha-2 codes of countries whose firms may bid; None means open to all."""
    eligibility_note: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|closed|cancelled|awarded
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The record as extracted, before normalisation, so normalise/classify can re-run without a crawl."""
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Normalisation problems (ambiguous or implausible dates...), reported per notice."""
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Format-specific extras (TED publication number, previous-notice link, procedure id...)."""

    organisation: Mapped[Organisation | None] = relationship()
    source: Mapped[Source | None] = relationship()
    sightings: Mapped[list[NoticeSource]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeSource.id"
    )
    areas: Mapped[list[NoticeArea]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeArea.area_id"
    )
    changes: Mapped[list[NoticeChange]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="NoticeChange.id"
    )
    lots: Mapped[list[Lot]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="Lot.id"
    )
    awards: Mapped[list[Award]] = relationship(
        back_populates="notice", cascade="all, delete-orphan", order_by="Award.id"
    )


class NoticeSource(Base):
    """Where a notice was seen: one row per (source, external id). Two rows = one call seen twice."""

    __tablename__ = "notice_sources"
    __table_args__ = (
        UniqueConstraint("source_name", "external_id", name="uq_notice_sources_source_ext"),
        # "is this notice seen on source S?" (lifecycle's same-call lookups ask it of every candidate) is
        # answered from the index alone; its prefix serves the lookups by notice
        Index("ix_notice_sources_notice_source", "notice_id", "source_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    source_name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(300))
    """The source's own identity for the record (TED publication number, reference, or URL)."""
    alias_id: Mapped[str | None] = mapped_column(String(300), index=True)
    """A second identity the source gives the record, by which later notices name it (an eForms
    notice's identifier and version, which its change notices cite; its external id is the TED
    publication number)."""
    amends: Mapped[str | None] = mapped_column(String(300), index=True)
    """For a change notice (corrigendum): the external id or alias of the notice it changes, so that
    the notice, when it arrives after its change, joins the notice its change already updated."""
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """The hash of this source's record when last stored: a re-crawl changed nothing on this source
    when it matches (two sources of one call are never compared with each other, so they cannot
    undo each other's fields at every crawl). None for sightings stored before it was kept."""
    url: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    notice: Mapped[Notice] = relationship(back_populates="sightings")


class NoticeChange(Base):
    """A field that changed between two sightings: what alerts use to say 'deadline extended'.

    A deadline's values are ISO datetimes, or ISO dates for a date-only deadline
    (``tenderwatch.formats.deadline_value`` reads both)."""

    __tablename__ = "notice_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    """When Tenderwatch saw the change."""
    source_name: Mapped[str | None] = mapped_column(String(100))
    notice_ref: Mapped[str | None] = mapped_column(String(300))
    """Which notice brought the change: its external id on ``source_name`` (a TED change notice's
    publication number, a site's reference)."""
    published_at: Mapped[datetime | None]
    """When that notice was published, when it says (a corrigendum's publication date)."""
    notice: Mapped[Notice] = relationship(back_populates="changes")


class TechnologyArea(Base):
    """A technology area of ``config/taxonomy.yaml`` (ids are a public contract)."""

    __tablename__ = "technology_areas"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class NoticeArea(Base):
    """A notice's membership of a technology area, with score in [0, 1] and the evidence for it."""

    __tablename__ = "notice_areas"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[str] = mapped_column(ForeignKey("technology_areas.id"), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notice: Mapped[Notice] = relationship(back_populates="areas")


class Lot(Base):
    __tablename__ = "lots"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    lot_number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(Text)
    cpv_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    notice: Mapped[Notice] = relationship(back_populates="lots")


class Award(Base):
    """A winner of an award notice (TED CAN/F03...): the raw material of georeturn."""

    __tablename__ = "awards"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    lot_number: Mapped[str | None] = mapped_column(String(40))
    winner_name: Mapped[str] = mapped_column(Text)
    winner_country: Mapped[str | None] = mapped_column(String(2), index=True)
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    awarded_at: Mapped[datetime | None]
    notice: Mapped[Notice] = relationship(back_populates="awards")


class AwardRecord(Base):
    """A contract award from an award list an organisation publishes (``origin`` "list"), imported by
    ``tenderwatch georeturn import``. ``tenderwatch.georeturn.awards.gather`` reads these with the TED
    winners of ``awards`` and the wins recorded in the follow-up, each kept with its origin."""

    __tablename__ = "award_records"
    __table_args__ = (UniqueConstraint("origin", "origin_ref", name="uq_award_records_origin_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(20))  # list (the kind of published source)
    origin_ref: Mapped[str] = mapped_column(String(100))
    """The award's identity within its origin (a list row's content hash), so that importing a list
    again adds nothing."""
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    awarded_on: Mapped[date] = mapped_column(Date, index=True)
    supplier_name: Mapped[str] = mapped_column(Text)
    supplier_country: Mapped[str | None] = mapped_column(String(2))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    """The company of the database whose name the supplier has, when one has it."""
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(200))
    """The category as the list gives it (a technology area, "supply", "service"...)."""
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_name: Mapped[str | None] = mapped_column(String(300))
    """Where it came from: the list's file name and line."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    organisation: Mapped[Organisation] = relationship()


class ExchangeRate(Base):
    """A euro reference rate of the European Central Bank (units of ``currency`` per euro on ``day``),
    loaded by ``tenderwatch georeturn rates``; rates stored here take precedence over the table shipped
    with Tenderwatch (``tenderwatch/georeturn/data``)."""

    __tablename__ = "exchange_rates"
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    source: Mapped[str] = mapped_column(String(300))


class Reject(Base):
    """An input record or file that could not be processed, kept with the reason for re-processing."""

    __tablename__ = "rejects"
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(40))  # crawl|import|normalise|config...
    source_name: Mapped[str | None] = mapped_column(String(100), index=True)
    location: Mapped[str] = mapped_column(Text)  # URL, file path, "file.jsonl:17"
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reprocessed_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- the scheduler


class SchedulerLock(Base):
    """Only one scheduler per database: the holder refreshes ``heartbeat_at``; a stale lock may be taken over."""

    __tablename__ = "scheduler_locks"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


scheduler_jobs = Table(
    "scheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
"""APScheduler's SQLAlchemy job store (``scheduler.JOBSTORE_TABLE``): the store defines and fills it; it is
declared here too so that Alembic creates it with the rest and autogenerate never proposes to drop it."""
