"""Which sources an organisation's notices were seen on, kept true across transactions cheaply.

The store asks before a fuzzy cross-source match (``Store.may_fuzzy_match``): only a notice of
another source can match, so an organisation known from one source skips the candidate query.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenderwatch.db.models import Notice, NoticeSource


class OrganisationSources:
    """The sighting sources of each organisation's notices (``of``), read once and then followed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._tx: object | None = None
        self._known: dict[int, set[str | None]] = {}
        """The sighting sources of each organisation's notices, kept across transactions."""
        self._sightings_mark: int | None = None
        """The highest sighting id folded into the sets: later ones are read at the next transaction."""

    def of(self, organisation_id: int) -> set[str | None]:
        """The sources an organisation's notices were seen on (None: a notice without sighting).

        Fuzzy cross-source matching can only find something when the organisation has notices on a
        source other than the record's: a TED backfill of an organisation known only from TED skips
        the candidate query altogether. Read once per organisation (every notice of it), then kept
        true by the store's own writes and, at each new transaction, by the sightings anyone wrote
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
        known = self._known.get(organisation_id)
        if known is None:
            known = self._known[organisation_id] = set(self.session.scalars(
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
        """Fold the sightings stored since the last transaction (by this or any process) into the sets."""
        if self._sightings_mark is None or not self._known:  # nothing to update: only move the mark
            self._sightings_mark = self.session.scalar(select(func.max(NoticeSource.id))) or 0
            return
        rows = self.session.execute(
            select(NoticeSource.id, Notice.organisation_id, NoticeSource.source_name)
            .join(Notice, Notice.id == NoticeSource.notice_id)
            .where(NoticeSource.id > self._sightings_mark - self._lookback())).all()
        for sighting_id, org_id, source_name in rows:
            known = self._known.get(org_id) if org_id is not None else None
            if known is not None:
                known.add(source_name)
            self._sightings_mark = max(self._sightings_mark, sighting_id)

    def add(self, organisation_id: int | None, source_name: str) -> None:
        """Keep ``of`` true after a sighting the store writes."""
        if organisation_id is not None:
            known = self._known.get(organisation_id)
            if known is not None:
                known.add(source_name)
