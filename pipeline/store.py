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

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import lifecycle
from pipeline.classify import Classifier
from pipeline.cleaning import clean_record
from pipeline.fuzzy_match import find_fuzzy_match
from pipeline.notice_rows import area_rows, award_rows, lot_rows, notice_row, sighting_row
from pipeline.notice_values import (
    AMENDMENT_KEEPS,
    TRACKED_FIELDS,
    content_hash,
    is_amendment,
    jsonable,
    new_uid,
    notice_values,
    record_values,
    same_value,
)
from pipeline.organisation_sources import OrganisationSources
from pipeline.records import AreaScore, NoticeRecord
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

Outcome = Literal["new", "changed", "unchanged", "merged"]


@dataclass
class StoreResult:
    outcome: Outcome
    notice: Notice
    changes: list[tuple[str, Any, Any]]


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
        self.known_areas: set[str] = set(session.scalars(select(TechnologyArea.id)))
        self.organisation_sources = OrganisationSources(session)

    def current_time(self) -> datetime:
        return self.now or datetime.now(UTC)

    def organisation_id(self, code: str | None) -> int | None:
        return self._org_ids.get(code) if code else None

    def sources_of(self, organisation_id: int) -> set[str | None]:
        """The sources an organisation's notices were seen on (``OrganisationSources.of``)."""
        return self.organisation_sources.of(organisation_id)

    def seen_on(self, organisation_id: int | None, source_name: str) -> None:
        """Keep ``sources_of`` true after a sighting this store writes."""
        self.organisation_sources.add(organisation_id, source_name)

    def may_fuzzy_match(self, organisation_id: int | None, rec: NoticeRecord) -> bool:
        """Whether ``pipeline.fuzzy_match.find_fuzzy_match`` could find anything: a notice of another source."""
        if organisation_id is None or (rec.published_at is None and rec.deadline_at is None):
            return False
        return bool(self.sources_of(organisation_id) - {rec.source})

    # ------------------------------------------------------------------ public

    def upsert(self, rec: NoticeRecord, *, cleaned: bool = False) -> StoreResult:
        """Store one record (new, a change, a sighting or a stage of a known call). Raises ValueError for a
        record that ``clean_record`` finds empty (the ingestor keeps it as a reject).

        ``cleaned``: the caller ran ``clean_record`` on this very record and changed nothing since (the bulk
        path's records handed back), so it is not cleaned a second time."""
        if not cleaned:
            clean_record(rec)
        now = self.current_time()
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
        if same is None and self.may_fuzzy_match(org_id, rec):
            fuzzy = find_fuzzy_match(self.session, org_id, rec, ref_key, self.rules)
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
        self.seen_on(notice.organisation_id, rec.source)
        notice.sightings.append(NoticeSource(**sighting_row(rec, digest, now)))

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
        old, new = notice_values(notice), record_values(rec)
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
            if before not in (None, [], "") and not same_value(field, before, current):
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
        self.session.add(NoticeChange(notice=notice, field=field, old_value=jsonable(before),
                                      new_value=jsonable(after), changed_at=now, source_name=source_name,
                                      notice_ref=ref, published_at=published))

    def _insert(self, rec: NoticeRecord, org_id: int | None, ref_key: str | None, now: datetime,
                digest: str | None = None) -> StoreResult:
        uid = rec.id or new_uid()
        call_uid = rec.call_id or lifecycle.find_call_uid(self.session, org_id, ref_key, rec.previous_notice) or uid
        values = record_values(rec)
        digest = digest or content_hash(rec, values)
        notice = Notice(**notice_row(rec, values, uid=uid, call_uid=call_uid, organisation_id=org_id,
                                     reference_key=ref_key, digest=digest, now=now))
        self.session.add(notice)
        self._add_sighting(notice, rec, now, digest)
        for extra_src in rec.sources:
            if (extra_src.name, extra_src.external_id) != (rec.source, rec.external_id) and extra_src.external_id:
                self.seen_on(org_id, extra_src.name)
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
        old = notice_values(notice)
        new = record_values(rec)
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
            if not same_value(field, before, after):
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
            notice.lots = [Lot(**row) for row in lot_rows(rec)]
        if rec.awards:
            notice.awards = [Award(**row) for row in award_rows(rec)]

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
        notice.areas = [NoticeArea(**row) for row in area_rows(areas, self.known_areas)]
