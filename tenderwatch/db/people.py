"""The tables of the people Tenderwatch serves and what it did for them: companies and ILOs, the
directory's capability records, site users, their sessions and sign-in throttle, saved searches, the
delivery ledger and the ILOs' follow-up of calls. ``tenderwatch.db.models`` imports them, so the one
metadata is whole wherever the data model is imported.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenderwatch.db.types import Base, utcnow


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


class DirectoryProfile(Base):
    """A company's capability record for the directory (``tenderwatch.directory``): what the company
    writes through its signed preferences link, reviewed by an ILO before it is public.

    The company edits the live fields (``status`` becomes "pending"); an ILO publishes them, which
    copies them into ``published``: the public directory and the brochure show only that copy, so an
    edit awaiting review never reaches the public, and a company that withdraws (``listed`` false)
    leaves it at once."""

    __tablename__ = "directory_profiles"
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    """The company's opt-in: it wants to be in the public directory and the brochure."""
    description_en: Mapped[str | None] = mapped_column(Text)
    description_nl: Mapped[str | None] = mapped_column(Text)
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    certifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sme: Mapped[bool | None] = mapped_column(Boolean)
    website: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(60))
    confirmed_references: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Keys of the awards (``tenderwatch.georeturn.awards.AwardFact.key``) the company confirmed as its own."""
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|pending|published|returned
    edited_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    published: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The reviewed copy the public sees (None: not in the directory)."""
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[Company] = relationship()


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
