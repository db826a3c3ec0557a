"""Store normalised notices: upsert, record changes, link stages, keep every sighting.

One writer for every entry point (spiders, JSON-lines import, TED import), so that "the same call
seen twice" and "a deadline moved" are decided in exactly one place.

How a record changes a stored notice:

- a re-crawl of the same (source, external id) is compared with *that source's* previous record
  (``NoticeSource.content_hash``), never with another source's: the first source of a notice sets
  its fields, a later source only completes them (and moves the deadline), so two sources of one
  call never undo each other at every crawl;
- a change notice (``notice_type`` corrigendum) updates the notice it changes
  (``lifecycle.find_amended``) and is kept as a sighting of it: every field it changes is recorded
  in ``notice_changes`` with the change notice's id and publication date; the notice keeps its
  own type, publication date and page. A change notice that arrives before the notice it changes
  is stored on its own; the notice joins it when it comes, and what the change moved is recorded
  then (old value: the notice's, new value: the change notice's).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as day_time
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import lifecycle
from pipeline.classify import Classifier
from pipeline.normalise import clean_record
from pipeline.records import MAX_TITLE, AreaScore, NoticeRecord
from tenderwatch.db.bulk import insert_rows
from tenderwatch.db.models import (
    Award,
    Lot,
    Notice,
    NoticeArea,
    NoticeChange,
    NoticeSource,
    Organisation,
    TechnologyArea,
)

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

Outcome = Literal["new", "changed", "unchanged", "merged"]


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


@dataclass
class StoreResult:
    outcome: Outcome
    notice: Notice
    changes: list[tuple[str, Any, Any]]


def new_uid() -> str:
    """``tw-`` + the time in milliseconds (12 hex digits) + 64 random bits (16 hex digits).

    Time first, so that the uids of a backfill are neighbours in the unique index (and in the
    call-uid index, which starts as the uid): each insert touches the index's last pages instead
    of a random page of an index larger than the database cache. At 100,000 TED notices random
    uids made the notices insert a third slower and the commits 70% slower than these.
    Opaque to everything else: nothing reads the time back.
    """
    return f"tw-{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Deadline):
        return value.jsonable()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _bound(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_of(notice: Notice) -> Any:
    if notice.value_amount is None:
        return None
    return {"amount": str(Decimal(notice.value_amount).normalize()), "currency": notice.value_currency}


def _record_values(rec: NoticeRecord) -> dict[str, Any]:
    value = None
    if rec.estimated_value is not None:
        value = {"amount": str(rec.estimated_value.amount.normalize()), "currency": rec.estimated_value.currency}
    return {
        "notice_type": rec.notice_type,
        # every field was cleaned and bounded by ``clean_record`` (``upsert`` and ``insert_new`` call it first)
        "title": rec.title,
        "description": rec.description,
        "url": rec.url,
        "documents_url": rec.documents_url,
        "published_at": rec.published_at,
        "deadline_at": deadline_of(rec.deadline_at, rec.deadline_date),
        "cpv_codes": sorted(set(rec.cpv_codes)),
        "value": value,
        "eligible_countries": sorted(rec.eligible_countries) if rec.eligible_countries is not None else None,
        "status": rec.status,
        "reference": rec.reference,
    }


def _notice_values(n: Notice) -> dict[str, Any]:
    return {
        "notice_type": n.notice_type,
        "title": n.title,
        "description": n.description,
        "url": n.url,
        "documents_url": n.documents_url,
        "published_at": n.published_at,
        "deadline_at": deadline_of(n.deadline_at, n.deadline_date),
        "cpv_codes": list(n.cpv_codes or []),
        "value": _value_of(n),
        "eligible_countries": n.eligible_countries,
        "status": n.status,
        "reference": n.reference,
    }


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str)
"""What ``json.dumps(..., sort_keys=True, default=str)`` builds on every call, built once."""


def content_hash(rec: NoticeRecord, values: dict[str, Any] | None = None) -> str:
    """``values``: ``_record_values(rec)`` when the caller has it already (not computed twice)."""
    values = _record_values(rec) if values is None else values
    payload = _HASH_ENCODER.encode({k: _jsonable(v) for k, v in values.items()})
    return hashlib.sha256(payload.encode()).hexdigest()


class Store:
    """Upserts ``NoticeRecord``s into one session. Caches organisation ids and known areas."""

    def __init__(self, session: Session, classifier: Classifier | None = None,
                 now: datetime | None = None, rules: lifecycle.LifecycleRules | None = None) -> None:
        self.session = session
        self.classifier = classifier
        self.now = now
        self.rules = rules or lifecycle.LifecycleRules()
        """Reference patterns per organisation and fuzzy-match thresholds (``LifecycleRules.from_config``)."""
        self._org_ids: dict[str, int] = {
            code: oid for oid, code in session.execute(select(Organisation.id, Organisation.code))
        }
        self._areas: set[str] = set(session.scalars(select(TechnologyArea.id)))
        self._tx: object | None = None
        self._org_sources: dict[int, set[str | None]] = {}
        """The sighting sources of each organisation's notices (``sources_of``), kept across transactions."""
        self._sightings_mark: int | None = None
        """The highest sighting id folded into ``_org_sources``: later ones are read at the next transaction."""

    def _now(self) -> datetime:
        return self.now or datetime.now(UTC)

    def organisation_id(self, code: str | None) -> int | None:
        return self._org_ids.get(code) if code else None

    def sources_of(self, organisation_id: int) -> set[str | None]:
        """The sources an organisation's notices were seen on (None: a notice without sighting).

        Fuzzy cross-source matching can only find something when the organisation has notices on a
        source other than the record's: a TED backfill of an organisation known only from TED skips
        the candidate query altogether. Read once per organisation (every notice of it), then kept
        true by this store's own writes and, at each new transaction, by the sightings anyone wrote
        since (``_catch_up``): re-reading every notice of the organisation per 500-notice batch made
        a backfill slower with every notice it stored (about 50 us a notice at 340,000 notices).
        The set only grows: a deleted or rolled-back sighting leaves a source in it, which costs at
        most a candidate query that finds nothing. Not followed: another process's notices stored
        without any sighting, and a notice moved to another organisation (``reprocess``).
        """
        tx = self.session.get_transaction()
        if tx is not self._tx:
            self._tx = tx
            self._catch_up()
        known = self._org_sources.get(organisation_id)
        if known is None:
            known = self._org_sources[organisation_id] = set(self.session.scalars(
                select(NoticeSource.source_name).select_from(Notice)
                .outerjoin(NoticeSource, NoticeSource.notice_id == Notice.id)
                .where(Notice.organisation_id == organisation_id).distinct()))
        return known

    _LOOKBACK = 1000
    """Sightings below the mark read again at each catch-up on PostgreSQL, where ids come from a sequence
    and a transaction that took a lower id may commit after one that took a higher id. Not on SQLite:
    one writer at a time (``BEGIN IMMEDIATE``), so ids are committed in order (and a crawl, which
    commits every record, does not re-read a thousand sightings per record)."""

    def _lookback(self) -> int:
        return 0 if self.session.get_bind().dialect.name == "sqlite" else self._LOOKBACK

    def _catch_up(self) -> None:
        """Fold the sightings stored since the last transaction (by this or any process) into ``_org_sources``."""
        if self._sightings_mark is None or not self._org_sources:  # nothing to update: only move the mark
            self._sightings_mark = self.session.scalar(select(func.max(NoticeSource.id))) or 0
            return
        rows = self.session.execute(
            select(NoticeSource.id, Notice.organisation_id, NoticeSource.source_name)
            .join(Notice, Notice.id == NoticeSource.notice_id)
            .where(NoticeSource.id > self._sightings_mark - self._lookback())).all()
        for sighting_id, org_id, source_name in rows:
            known = self._org_sources.get(org_id) if org_id is not None else None
            if known is not None:
                known.add(source_name)
            self._sightings_mark = max(self._sightings_mark, sighting_id)

    def _seen_on(self, organisation_id: int | None, source_name: str) -> None:
        """Keep ``sources_of`` true after a sighting this store writes."""
        if organisation_id is not None:
            known = self._org_sources.get(organisation_id)
            if known is not None:
                known.add(source_name)

    def _may_fuzzy_match(self, organisation_id: int | None, rec: NoticeRecord) -> bool:
        """Whether ``lifecycle.find_fuzzy_match`` could find anything: a notice of another source."""
        if organisation_id is None or (rec.published_at is None and rec.deadline_at is None):
            return False
        return bool(self.sources_of(organisation_id) - {rec.source})

    # ------------------------------------------------------------------ public

    def upsert(self, rec: NoticeRecord) -> StoreResult:
        """Store one record (new, a change, a sighting or a stage of a known call). Raises ValueError for a
        record that ``clean_record`` finds empty (the ingestor keeps it as a reject)."""
        clean_record(rec)
        now = self._now()
        org_id = self.organisation_id(rec.organisation)
        ref_key = self.rules.reference_key(rec.organisation, rec.reference)
        digest = content_hash(rec)
        sighting = self.session.scalars(
            select(NoticeSource).where(
                NoticeSource.source_name == rec.source, NoticeSource.external_id == rec.external_id
            )
        ).first()
        if sighting is not None:
            return self._seen_again(sighting, rec, now, digest)

        if is_amendment(rec):
            target = lifecycle.find_amended(self.session, org_id, ref_key, rec.previous_notice)
            if target is not None:
                self._add_sighting(target, rec, now, digest)
                result = self._amend(target, rec, now)
                return StoreResult("changed" if result.changes else "merged", target, result.changes)
            return self._insert(rec, org_id, ref_key, now, digest)  # its notice may come later

        amended = lifecycle.find_amended_by(self.session, rec.external_id, rec.alias_id) or \
            lifecycle.find_orphan_change(self.session, org_id, ref_key)
        if amended is not None:
            return self._join_its_change(amended, rec, now, digest)

        same = lifecycle.find_same_notice(self.session, org_id, ref_key, rec.notice_type, rec.source)
        how = f"reference {ref_key}"
        if same is None and self._may_fuzzy_match(org_id, rec):
            fuzzy = lifecycle.find_fuzzy_match(self.session, org_id, rec, ref_key, self.rules)
            if fuzzy is not None:
                same, how = fuzzy[0], f"title similarity {fuzzy[1]:.0f}, organisation and dates"
        if same is not None:
            self._add_sighting(same, rec, now, digest)
            same.extra = {**(same.extra or {}), "merged": [*(same.extra or {}).get("merged", []),
                                                           {"source": rec.source, "external_id": rec.external_id,
                                                            "by": how}]}
            if same.reference_key is None and ref_key is not None:
                same.reference_key = ref_key
            result = self._update(same, rec, now, outcome_if_same="merged", fill_only=True)
            return StoreResult("merged", result.notice, result.changes)

        return self._insert(rec, org_id, ref_key, now, digest)

    # ------------------------------------------------------------------ internals

    def _seen_again(self, sighting: NoticeSource, rec: NoticeRecord, now: datetime, digest: str) -> StoreResult:
        """A re-crawl of a known (source, external id): compared with that source's previous record only."""
        notice = sighting.notice
        sighting.last_seen_at = now
        if rec.url:
            sighting.url = rec.url
        previous = sighting.content_hash if sighting.content_hash is not None else notice.content_hash
        sighting.content_hash = digest  # (kept from now on for a sighting stored before it was)
        if previous == digest:
            notice.last_seen_at = now
            return StoreResult("unchanged", notice, [])
        if sighting.amends is not None or is_amendment(rec):
            return self._amend(notice, rec, now)
        first = notice.sightings[0] is sighting  # the source the notice was made from sets its fields
        return self._update(notice, rec, now, outcome_if_same="unchanged", fill_only=not first)

    def _add_sighting(self, notice: Notice, rec: NoticeRecord, now: datetime, digest: str | None = None) -> None:
        self._seen_on(notice.organisation_id, rec.source)
        notice.sightings.append(
            NoticeSource(source_name=rec.source, external_id=rec.external_id, url=rec.url, alias_id=rec.alias_id,
                         amends=rec.previous_notice if is_amendment(rec) else None, content_hash=digest,
                         first_seen_at=now, last_seen_at=now)
        )

    def _amend(self, notice: Notice, rec: NoticeRecord, now: datetime) -> StoreResult:
        """A change notice applied to the notice it changes: its fields win, except ``AMENDMENT_KEEPS``."""
        kept = {"notice_type": notice.notice_type, "published_at": notice.published_at, "url": notice.url or rec.url,
                "reference": notice.reference or rec.reference}
        if notice.notice_type == "corrigendum":  # the notice is itself a change whose notice has not come
            kept["notice_type"] = rec.notice_type
        as_notice = rec.model_copy(update=kept)
        return self._update(notice, as_notice, now, outcome_if_same="unchanged", adopt=False,
                            brought_by=(rec.external_id, rec.published_at))

    def _join_its_change(self, notice: Notice, rec: NoticeRecord, now: datetime, digest: str) -> StoreResult:
        """The notice a stored change notice changes arrives after it: it joins that notice.

        The notice takes the record's identity (type, publication date, page) where the change notice
        stood in for it, fills what the change left empty, and every field the change moved is recorded
        as a change from the record's value to the change notice's, attributed to the change notice.
        """
        change = next((s for s in notice.sightings if s.amends in {rec.external_id, rec.alias_id}),
                      notice.sightings[0] if notice.notice_type == "corrigendum" and notice.sightings else None)
        self._add_sighting(notice, rec, now, digest)
        old, new = _notice_values(notice), _record_values(rec)
        brought_by = (change.external_id if change else None, notice.published_at)
        changes: list[tuple[str, Any, Any]] = []
        for field in TRACKED_FIELDS:
            before, current = new[field], old[field]
            if field in AMENDMENT_KEEPS:
                if field != "notice_type" or notice.notice_type == "corrigendum":
                    self._assign(notice, {field: before if before not in (None, [], "") else current})
                continue
            if current in (None, [], ""):
                if before not in (None, [], ""):
                    self._assign(notice, {field: before})  # what the change notice did not say
                continue
            if before not in (None, [], "") and _jsonable(before) != _jsonable(current):
                changes.append((field, before, current))
        for field, before, after in changes:
            self._record_change(notice, field, before, after, now, change.source_name if change else rec.source,
                                brought_by)
        if changes:
            notice.last_changed_at = now
        # the notice is the record's from now on (its TED numbers, its raw record); the change stays a sighting
        notice.extra = dict(rec.extra, previous_notice=rec.previous_notice) if rec.previous_notice else dict(rec.extra)
        notice.raw, notice.content_hash = rec.raw, digest
        if (rec.lots and not notice.lots) or (rec.awards and not notice.awards):
            self._set_details(notice, rec)
        self.session.flush()
        return StoreResult("merged", notice, changes)

    def _record_change(self, notice: Notice, field: str, before: Any, after: Any, now: datetime,
                       source_name: str | None, brought_by: tuple[str | None, datetime | None] | None) -> None:
        ref, published = brought_by or (None, None)
        self.session.add(NoticeChange(notice=notice, field=field, old_value=_jsonable(before),
                                      new_value=_jsonable(after), changed_at=now, source_name=source_name,
                                      notice_ref=ref, published_at=published))

    def _insert(self, rec: NoticeRecord, org_id: int | None, ref_key: str | None, now: datetime,
                digest: str | None = None) -> StoreResult:
        uid = rec.id or new_uid()
        call_uid = rec.call_id or lifecycle.find_call_uid(self.session, org_id, ref_key, rec.previous_notice) or uid
        values = _record_values(rec)
        digest = digest or content_hash(rec, values)
        notice = Notice(
            uid=uid,
            call_uid=call_uid,
            organisation_id=org_id,
            reference_key=ref_key,
            buyer_name=_bound(rec.buyer_name, 1000),
            buyer_country=rec.buyer_country,
            eligibility_note=_bound(rec.eligibility_note, 5000),
            value_note=_bound(rec.value_note, 200),
            languages=list(rec.languages),
            first_seen_at=rec.first_seen_at or now,
            last_seen_at=now,
            last_changed_at=rec.last_changed_at or rec.first_seen_at or now,
            content_hash=digest,
            raw=rec.raw,
            warnings=list(rec.warnings),
            extra=dict(rec.extra, previous_notice=rec.previous_notice) if rec.previous_notice else dict(rec.extra),
        )
        self._assign(notice, values)
        self.session.add(notice)
        self._add_sighting(notice, rec, now, digest)
        for extra_src in rec.sources:
            if (extra_src.name, extra_src.external_id) != (rec.source, rec.external_id) and extra_src.external_id:
                self._seen_on(org_id, extra_src.name)
                notice.sightings.append(NoticeSource(source_name=extra_src.name, external_id=extra_src.external_id,
                                                     url=extra_src.url, alias_id=extra_src.alias_id,
                                                     amends=extra_src.amends, first_seen_at=now, last_seen_at=now))
        for c in rec.changes:  # an import of an export: the history comes with the notice
            self.session.add(NoticeChange(notice=notice, field=c.field, old_value=c.old_value,
                                          new_value=c.new_value, changed_at=c.changed_at, source_name=c.source,
                                          notice_ref=c.notice_ref, published_at=c.published_at))
        self._set_details(notice, rec)
        self._set_areas(notice, rec)
        self.session.flush()
        return StoreResult("new", notice, [])

    @staticmethod
    def _assign(notice: Notice, values: dict[str, Any]) -> None:
        for key, val in values.items():
            if key == "value":
                notice.value_amount = Decimal(val["amount"]) if val else None
                notice.value_currency = val["currency"] if val else None
            elif key == "deadline_at":
                notice.deadline_at = val.at if val else None
                notice.deadline_date = val.day if val else None
            else:
                setattr(notice, key, val)

    def _update(self, notice: Notice, rec: NoticeRecord, now: datetime, outcome_if_same: Outcome,
                fill_only: bool = False, adopt: bool = True,
                brought_by: tuple[str | None, datetime | None] | None = None) -> StoreResult:
        """Apply a record's fields to a notice, recording each change.

        ``fill_only``: a second source completes the notice (empty fields, and the deadline), it does not
        overwrite the first source's text. ``adopt``: the record becomes the notice's own (raw record,
        hash, warnings); a change notice's does not. ``brought_by``: (id, publication date) of the notice
        that brought the changes, when it is not the notice itself (a change notice).
        """
        notice.last_seen_at = now
        digest = content_hash(rec)
        old = _notice_values(notice)
        new = _record_values(rec)
        changes: list[tuple[str, Any, Any]] = []
        for field in TRACKED_FIELDS:
            before, after = old[field], new[field]
            if fill_only and before not in (None, [], "") and field != "deadline_at":
                continue  # a second source completes a notice; it does not overwrite the first's text
            if after in (None, [], "") and before not in (None, [], ""):
                continue  # a source that lacks a field does not erase it
            if field == "deadline_at" and before is not None and after is not None and before.at == after.at:
                if before.day != after.day:
                    self._assign(notice, {field: after})  # the same moment, now known to be a date only
                continue
            if _jsonable(before) != _jsonable(after):
                changes.append((field, before, after))
        for field, before, after in changes:
            self._assign(notice, {field: after})
            self._record_change(notice, field, before, after, now, rec.source,
                                brought_by or (rec.external_id, None))
        if adopt and not fill_only:
            notice.content_hash = digest
            notice.raw = rec.raw or notice.raw
            notice.warnings = list(rec.warnings)
        for lang in rec.languages:
            if lang not in notice.languages:
                notice.languages = [*notice.languages, lang]
        if (rec.lots and not notice.lots) or (rec.awards and not notice.awards):
            self._set_details(notice, rec)
        if changes:
            notice.last_changed_at = now
            if {"title", "description", "cpv_codes"} & {c[0] for c in changes}:
                self._set_areas(notice, rec)
        self.session.flush()
        return StoreResult("changed" if changes else outcome_if_same, notice, changes)

    def _set_details(self, notice: Notice, rec: NoticeRecord) -> None:
        if rec.lots:
            notice.lots = [
                Lot(lot_number=lot.lot_number, title=_bound(lot.title, MAX_TITLE), cpv_codes=lot.cpv_codes,
                    value_amount=lot.value.amount if lot.value else None,
                    value_currency=lot.value.currency if lot.value else None)
                for lot in rec.lots
            ]
        if rec.awards:
            notice.awards = [
                Award(lot_number=a.lot_number, winner_name=_bound(a.winner_name, 1000) or "",
                      winner_country=a.winner_country, awarded_at=a.awarded_at,
                      value_amount=a.value.amount if a.value else None,
                      value_currency=a.value.currency if a.value else None)
                for a in rec.awards
            ]

    def classify(self, notice: Notice, language: str | None = None) -> list[AreaScore]:
        if self.classifier is None:
            return []
        return self.classifier.classify(notice.title, notice.description, list(notice.cpv_codes or []),
                                        language or (notice.languages[0] if notice.languages else None),
                                        notice.buyer_name)

    def _set_areas(self, notice: Notice, rec: NoticeRecord | None) -> None:
        areas = rec.technology_areas if rec is not None and rec.technology_areas is not None else None
        if areas is None or (rec is not None and notice.title != rec.title):
            areas = self.classify(notice, rec.languages[0] if rec and rec.languages else None)
        self.set_areas(notice, areas)

    def set_areas(self, notice: Notice, areas: list[AreaScore]) -> None:
        notice.areas = [
            NoticeArea(area_id=a.id, score=a.score, evidence=a.evidence) for a in areas if a.id in self._areas
        ]

    # ------------------------------------------------------------------ bulk (imports, backfills)

    def insert_new(self, records: list[NoticeRecord]) -> list[str | NoticeRecord]:
        """Insert records known to be new in a few multi-row statements instead of one ORM flush each.

        For backfills (a year of TED is ~700,000 notices). Only records that the lifecycle rules
        cannot join to anything qualify: not seen before under their (source, external id), and not
        the same notice as a stored one of another source (by call key or fuzzily: ``upsert``'s
        lookups, made here for an organisation's record, which also gets the call uid of its earlier
        stage; a record without organisation gets the call uid of the notice its ``previous_notice``
        names, stored or earlier in the batch). A record that could depend on another record of the
        batch (a previous notice, a call key or another source of the same organisation), one whose
        previous notice was handed back, a change notice (it updates a notice rather than making one), a
        notice a stored change notice names, and every organisation record after a record handed back are
        handed back unchanged for ``upsert``, in order; a record inserted gives its new notice's uid
        (no ORM object: a backfill needs no more). One driver ``executemany`` per table on the session's
        connection (``tenderwatch.db.bulk.insert_rows``): no unit of work, no per-row flush.
        """

        now = self._now()
        unclean: set[int] = set()  # records ``clean_record`` refuses: handed back, ``upsert`` rejects them
        for rec in records:
            try:
                clean_record(rec)
            except ValueError:
                unclean.add(id(rec))
        keys = {(r.source, r.external_id) for r in records}
        seen = set()
        if keys:
            by_source: dict[str, list[str]] = {}
            for source, ext in keys:
                by_source.setdefault(source, []).append(ext)
            for source, exts in by_source.items():
                for i in range(0, len(exts), 500):
                    seen |= {(source, e) for e in self.session.scalars(select(NoticeSource.external_id).where(
                        NoticeSource.source_name == source, NoticeSource.external_id.in_(exts[i:i + 500])))}
        out: list[str | NoticeRecord] = []
        rows: list[dict[str, Any]] = []
        fresh: list[tuple[int, NoticeRecord, str, list[AreaScore] | None]] = []
        handed_back = False
        pending_ids: set[str] = set()  # external ids of this batch's rows (a previous_notice may name one)
        pending_calls: set[tuple[int, str]] = set()  # (organisation, call key) of this batch's rows
        pending_orgs: dict[int, set[str]] = {}  # sources of this batch's rows per organisation
        pending_call_uids: dict[str, str] = {}  # external id -> call uid of this batch's rows (first row wins)
        handed_ids: set[str] = set()  # external ids handed back (stored after the bulk rows, by ``upsert``)
        hashes: dict[str, str] = {}  # uid -> content hash of its record (the notice's and its sighting's)
        # the previous-notice links of records without organisation, resolved in one query: nothing is
        # written to the database before the rows below, so each lookup would have read the same
        stored_calls = lifecycle.call_uids_by_external_id(self.session, {
            r.previous_notice for r in records if r.previous_notice and r.call_id is None and not r.organisation})
        # notices whose change notice came first: they join the notice that change made (``upsert``)
        amended = lifecycle.stored_amendments(self.session, {i for r in records for i in (r.external_id, r.alias_id)
                                                             if i is not None})
        for rec in records:
            if id(rec) in unclean:
                out.append(rec)
                continue
            key = (rec.source, rec.external_id)
            org_id = self.organisation_id(rec.organisation)
            if (key in seen or rec.sources or rec.changes or (rec.organisation and (org_id is None or handed_back))
                    or is_amendment(rec) or rec.external_id in amended or rec.alias_id in amended
                    or (rec.previous_notice is not None and rec.previous_notice in handed_ids)):
                handed_back = True  # lifecycle linking is per record; later organisation records follow it
                handed_ids.add(rec.external_id)
                out.append(rec)
                continue
            call_uid = rec.call_id
            if org_id is not None:
                # An organisation's new notice may be a stage or a sighting of a stored call: decide it
                # here with the same lookups as ``upsert``; only a notice that joins nothing is bulk
                # inserted. One that could depend on a row of this very batch goes through ``upsert``.
                ref_key = self.rules.reference_key(rec.organisation, rec.reference)
                if (rec.previous_notice in pending_ids or (ref_key is not None and (org_id, ref_key) in pending_calls)
                        or pending_orgs.get(org_id, {rec.source}) - {rec.source}):
                    handed_back = True
                    handed_ids.add(rec.external_id)
                    out.append(rec)
                    continue
                if (lifecycle.has_same_notice(self.session, org_id, ref_key, rec.notice_type, rec.source)
                        or lifecycle.has_orphan_change(self.session, org_id, ref_key)
                        or (self._may_fuzzy_match(org_id, rec) and lifecycle.find_fuzzy_match(
                            self.session, org_id, rec, ref_key, self.rules) is not None)):
                    handed_back = True
                    handed_ids.add(rec.external_id)
                    out.append(rec)
                    continue
                call_uid = call_uid or lifecycle.find_call_uid(self.session, org_id, ref_key, rec.previous_notice)
                if ref_key is not None:
                    pending_calls.add((org_id, ref_key))
                pending_orgs.setdefault(org_id, set()).add(rec.source)
                self._seen_on(org_id, rec.source)
            else:
                ref_key = lifecycle.reference_key(rec.organisation, rec.reference)
                if call_uid is None and rec.previous_notice:
                    # no organisation, so no call key: only the previous-notice link joins a stage to its call
                    # (``upsert`` makes it too). A stored notice's sighting comes before this batch's rows.
                    call_uid = stored_calls.get(rec.previous_notice) or pending_call_uids.get(rec.previous_notice)
            seen.add(key)
            pending_ids.add(rec.external_id)
            uid = rec.id or new_uid()
            pending_call_uids.setdefault(rec.external_id, call_uid or uid)
            values = _record_values(rec)
            digest = hashes[uid] = content_hash(rec, values)
            value = values.pop("value")
            deadline = values.pop("deadline_at")
            if org_id is not None:  # classified as ``upsert`` does it (``_set_areas``: the stored values)
                scores = rec.technology_areas if values["title"] == rec.title else None
                if scores is None and self.classifier is not None:
                    scores = self.classifier.classify(values["title"], values["description"], values["cpv_codes"],
                                                      rec.languages[0] if rec.languages else None, rec.buyer_name)
            else:
                scores = rec.technology_areas
                if scores is None and self.classifier is not None:
                    scores = self.classifier.classify(rec.title, rec.description, list(rec.cpv_codes),
                                                      rec.languages[0] if rec.languages else None, rec.buyer_name)
            extra = dict(rec.extra, previous_notice=rec.previous_notice) if rec.previous_notice else dict(rec.extra)
            rows.append({**values, "uid": uid, "call_uid": call_uid or uid,
                         "organisation_id": org_id, "reference_key": ref_key,
                         "value_amount": Decimal(value["amount"]) if value else None,
                         "value_currency": value["currency"] if value else None,
                         "deadline_at": deadline.at if deadline else None,
                         "deadline_date": deadline.day if deadline else None,
                         "buyer_name": _bound(rec.buyer_name, 1000), "buyer_country": rec.buyer_country,
                         "eligibility_note": _bound(rec.eligibility_note, 5000),
                         "value_note": _bound(rec.value_note, 200), "languages": list(rec.languages),
                         "first_seen_at": rec.first_seen_at or now, "last_seen_at": now,
                         "last_changed_at": rec.last_changed_at or rec.first_seen_at or now,
                         "content_hash": digest, "raw": rec.raw, "warnings": list(rec.warnings),
                         "extra": extra})
            fresh.append((len(out), rec, uid, scores))
            out.append(rec)  # replaced by its result below
        if not rows:
            return out
        conn = self.session.connection()
        table = Notice.__table__
        # a plain executemany, then the ids by uid (unique, indexed): cheaper than RETURNING through
        # SQLAlchemy's insertmanyvalues batches (rows rendered into one VALUES list per batch)
        insert_rows(conn, table, rows)
        uids = [row["uid"] for row in rows]
        ids: dict[str, int] = {}
        for i in range(0, len(uids), 500):
            ids.update(conn.execute(select(table.c.uid, table.c.id).where(table.c.uid.in_(uids[i:i + 500]))).all())
        sightings, areas, lots, awards = [], [], [], []
        for position, rec, uid, scores in fresh:
            nid = ids[uid]
            sightings.append({"notice_id": nid, "source_name": rec.source, "external_id": rec.external_id,
                              "url": rec.url, "alias_id": rec.alias_id, "amends": None, "content_hash": hashes[uid],
                              "first_seen_at": now, "last_seen_at": now})
            areas += [{"notice_id": nid, "area_id": a.id, "score": a.score, "evidence": a.evidence}
                      for a in scores or [] if a.id in self._areas]
            lots += [{"notice_id": nid, "lot_number": lot.lot_number, "title": _bound(lot.title, MAX_TITLE),
                      "cpv_codes": lot.cpv_codes, "value_amount": lot.value.amount if lot.value else None,
                      "value_currency": lot.value.currency if lot.value else None} for lot in rec.lots]
            awards += [{"notice_id": nid, "lot_number": a.lot_number, "winner_name": _bound(a.winner_name, 1000) or "",
                        "winner_country": a.winner_country, "awarded_at": a.awarded_at,
                        "value_amount": a.value.amount if a.value else None,
                        "value_currency": a.value.currency if a.value else None} for a in rec.awards]
            out[position] = uid
        for model, batch in ((NoticeSource, sightings), (NoticeArea, areas), (Lot, lots), (Award, awards)):
            if batch:
                insert_rows(conn, model.__table__, batch)
        return out
