"""The whole data model in one metadata.

Every datetime column is ``DateTime(timezone=True)`` and holds UTC: SQLite keeps no offset, so
``UTCDateTime`` re-attaches UTC on the way out and converts aware values on the way in. Lists and
small records (CPV codes, evidence, raw extracted fields) are JSON columns: they are read whole,
never queried by element in SQL, and this keeps SQLite and PostgreSQL on one schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime stored as UTC on every backend; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Tenderwatch stores only time-zone aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


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


# --------------------------------------------------------------------------- people


class Company(Base):
    """A company and its alert profile (from ``config/companies.yaml`` or a CSV import)."""

    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    """Stable identifier (slug) so re-imports update instead of duplicating."""
    name: Mapped[str] = mapped_column(String(300))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cpv_prefixes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    organisations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Organisation codes of interest; empty means all."""
    value_min: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_max: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    frequency: Mapped[str] = mapped_column(String(10), default="weekly")  # weekly|daily
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unsubscribed_at: Mapped[datetime | None]
    profile_edited_at: Mapped[datetime | None]
    """When the company last saved its own profile on the preferences page; from then on config sync
    leaves the self-service fields (``tenderwatch.sync.SELF_SERVICE_FIELDS``) alone."""
    calendar_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Part of the signed calendar link (``tenderwatch.web.links``): raising it revokes the old link."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ilo(Base):
    """An Industrial Liaison Officer and the organisations they cover."""

    __tablename__ = "ilos"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    organisations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2), default="en")


class Delivery(Base):
    """The exactly-once ledger: one row per (recipient, kind, period or batch), written before sending.

    ``status``: pending -> sent, or failed (temporary, retried after ``next_attempt_at``), or
    rejected (permanent 5xx, never retried). ``alerts.ledger`` writes and prunes it.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("recipient", "kind", "period_key", name="uq_deliveries_once"),
                      Index("ix_deliveries_kind_created", "kind", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30))  # digest|ilo-notification|health
    period_key: Mapped[str] = mapped_column(String(100))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    ilo_id: Mapped[int | None] = mapped_column(ForeignKey("ilos.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the message is about (notice uids, ILO event keys), for the runs that follow; small."""
    message: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The serialised message, zlib-compressed: what every attempt sends, byte for byte. Dropped by
    ``tenderwatch prune`` once the row is finished and older than ``mail.retention_days``."""
    size: Mapped[int | None] = mapped_column(Integer)
    """Bytes of the serialised message."""
    location: Mapped[str | None] = mapped_column(String(500))
    """Where it went: ``outbox:<path in the outbox>`` or ``smtp:<host>:<port>`` (the outbox index reads it)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- follow-up (tenderwatch.followup)


class FollowUp(Base):
    """One company's follow-up of one call: where the ILO network stands with it (``tenderwatch.followup``).

    The current state is kept here for the board; every change, with who, when, from, to and note,
    is a ``FollowUpChange`` row, never overwritten. ``tenderwatch.followup.records`` is the one writer."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("call_uid", "company_id", name="uq_follow_ups_call_company"),
                      Index("ix_follow_ups_org_state", "organisation_code", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    """Stable id (links, export and import, georeturn's reference to a win)."""
    call_uid: Mapped[str] = mapped_column(String(40), index=True)
    organisation_code: Mapped[str | None] = mapped_column(String(32))
    """The call's organisation, kept with the follow-up so the ILO scope rule filters it in SQL."""
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20), default="matched")
    """How the company came to the call: matched (by its profile), added (by an ILO, with ``origin_note``
    saying why), answer (the company answered from a mail)."""
    origin_note: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    """The note of the latest change (the history has every note)."""
    answer_reason: Mapped[str | None] = mapped_column(String(20))
    """The company's reason for its latest "not for us" (``tenderwatch.followup.states.ANSWER_REASONS``)."""
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    """A win's contract value and currency (set with the state won)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
    company: Mapped[Company] = relationship()
    changes: Mapped[list[FollowUpChange]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan", order_by="FollowUpChange.id")


class FollowUpChange(Base):
    """One change of a follow-up's state (or a mail sent without one): the history, append-only."""

    __tablename__ = "follow_up_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(10))  # ilo|company|system
    by: Mapped[str] = mapped_column(String(200))
    """The ILO's user name, the company's key, or what the system did."""
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(20))
    value_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    follow_up: Mapped[FollowUp] = relationship(back_populates="changes")


class CallBidder(Base):
    """A firm on the organisation's own list of potential bidders for a call (a CERN market survey's
    list, sent to the ILOs), recorded by an ILO; linked to a company of ours when the name is one."""

    __tablename__ = "call_bidders"
    __table_args__ = (UniqueConstraint("call_uid", "name_key", name="uq_call_bidders_call_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_uid: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    """The name folded (case, accents, spaces, legal form), so a list entered twice is one list."""
    country: Mapped[str | None] = mapped_column(String(2))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A web user (ILO or administrator); passwords hashed with argon2."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="ilo")  # ilo|admin
    ilo_id: Mapped[int | None] = mapped_column(ForeignKey("ilos.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ilo_page_seen_at: Mapped[datetime | None] = mapped_column()
    """When the user last opened the ILO's first page (/ilo/)."""
    ilo_page_since: Mapped[datetime | None] = mapped_column()
    """Where that page's "since your last visit" starts: the view before the current visit."""


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, this row its SHA-256 (``tenderwatch.web.sessions``).

    Deleting the row ends the session: on sign-out, and for every session of a user whose password or
    role changes or who is deleted. The user's role and ILO binding are read from ``users`` on every
    request, never from the cookie."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInThrottle(Base):
    """Sign-in attempts per client address and per account (``tenderwatch.web.throttle``): counted in the
    database before the password is checked, so parallel requests, several workers and restarts share it."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    """``address:<ip or IPv6 /64>`` or ``account:<case-folded user name>``."""
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SavedSearch(Base):
    """A named filter of the calls page, published as an Atom feed."""

    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


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
