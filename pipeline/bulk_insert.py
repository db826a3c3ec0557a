"""The store's bulk path for imports and backfills: records known to be new, inserted in a few
multi-row statements (``insert_new``), and records seen before and unchanged, marked seen in two; everything
else is handed back for ``Store.upsert``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from pipeline import lifecycle
from pipeline.fuzzy_match import find_fuzzy_match
from pipeline.notice_rows import area_rows, award_rows, lot_rows, notice_row, sighting_row
from pipeline.notice_values import content_hash, is_amendment, new_uid, record_values
from pipeline.records import AreaScore, NoticeRecord
from pipeline.store import Store
from tenderwatch.db.bulk import insert_rows
from tenderwatch.db.models import Award, Lot, Notice, NoticeArea, NoticeSource


def insert_new(store: Store, records: list[NoticeRecord], unclean: set[int]) -> list[str | NoticeRecord | None]:
    """Insert records known to be new in a few multi-row statements instead of one ORM flush each.

    The records come cleaned (``clean_record``, run once by ``Ingestor.add_many``); those whose ``id()`` is
    in ``unclean`` were refused by it and are handed back (``upsert`` rejects them with its reason).

    For backfills (a year of TED is ~700,000 notices). Only records that the lifecycle rules
    cannot join to anything qualify: not seen before under their (source, external id), and not
    the same notice as a stored one of another source (by call key or fuzzily: ``upsert``'s
    lookups, made here for an organisation's record, which also gets the call uid of its earlier
    stage; a record without organisation gets the call uid of the notice its ``previous_notice``
    names, stored or earlier in the batch). A record that could depend on another record of the
    batch (a previous notice, a call key or another source of the same organisation), one whose
    previous notice was handed back, a change notice whose notice is stored or in the batch (it updates
    that notice rather than making one; ``_changes_known``), a notice a change notice names (stored or
    of this batch), and every organisation record after a record handed back are handed back unchanged
    for ``upsert``, in order; a change notice whose notice has not come is inserted as ``upsert`` does
    (its sighting names the notice it changes); a record inserted gives its new notice's uid
    (no ORM object: a backfill needs no more). One driver ``executemany`` per table on the session's
    connection (``tenderwatch.db.bulk.insert_rows``): no unit of work, no per-row flush.

    A record seen before under its (source, external id) whose content hash is its sighting's (a re-import
    of the same files, an overlapping package) is what ``upsert`` calls unchanged: its sighting and notice
    are marked seen now in two ``executemany`` updates and it gives None. Only the first record of its key
    in the batch, and only against a sighting that keeps its own hash; anything else of a stored key goes
    through ``upsert``.
    """

    now = store.current_time()
    keys = {(r.source, r.external_id) for r in records}
    stored: dict[tuple[str, str], tuple[int, int, str | None]] = {}  # key -> (sighting id, notice id, hash)
    if keys:
        by_source: dict[str, list[str]] = {}
        for source, ext in keys:
            by_source.setdefault(source, []).append(ext)
        for source, exts in by_source.items():
            for i in range(0, len(exts), 500):
                for ext, sid, nid, digest in store.session.execute(select(
                        NoticeSource.external_id, NoticeSource.id, NoticeSource.notice_id, NoticeSource.content_hash,
                ).where(NoticeSource.source_name == source, NoticeSource.external_id.in_(exts[i:i + 500]))):
                    stored[(source, ext)] = (sid, nid, digest)
    seen = set(stored)
    batch_keys: set[tuple[str, str]] = set()  # the keys of the records met so far in this batch
    unchanged: list[dict[str, Any]] = []  # sightings (and notices) of unchanged records, marked seen now
    out: list[str | NoticeRecord | None] = []
    rows: list[dict[str, Any]] = []
    fresh: list[tuple[int, NoticeRecord, str, list[AreaScore] | None]] = []
    handed_back = False
    pending_ids: set[str] = set()  # external ids of this batch's rows (a previous_notice may name one)
    pending_calls: set[tuple[int, str]] = set()  # (organisation, call key) of this batch's rows
    pending_orgs: dict[int, set[str]] = {}  # sources of this batch's rows per organisation
    pending_call_uids: dict[str, str] = {}  # external id -> call uid of this batch's rows (first row wins)
    handed_ids: set[str] = set()  # external ids handed back (stored after the bulk rows, by ``upsert``)
    handed_aliases: set[str] = set()  # their alias ids (a change notice may name its notice by either)
    pending_aliases: set[str] = set()  # alias ids of this batch's rows
    pending_amends: set[str] = set()  # the ids this batch's change notices name (their notice joins them)

    def hand_back(rec: NoticeRecord) -> None:
        handed_ids.add(rec.external_id)
        if rec.alias_id:
            handed_aliases.add(rec.alias_id)
        out.append(rec)

    hashes: dict[str, str] = {}  # uid -> content hash of its record (the notice's and its sighting's)
    # the previous-notice links of records without organisation, resolved in one query: nothing is
    # written to the database before the rows below, so each lookup would have read the same
    stored_calls = lifecycle.call_uids_by_external_id(store.session, {
        r.previous_notice for r in records
        if r.previous_notice and (is_amendment(r) or (r.call_id is None and not r.organisation))})
    # notices whose change notice came first: they join the notice that change made (``upsert``)
    amended = lifecycle.stored_amendments(store.session, {i for r in records for i in (r.external_id, r.alias_id)
                                                         if i is not None})
    for rec in records:
        key = (rec.source, rec.external_id)
        first_of_key = key not in batch_keys
        batch_keys.add(key)
        if id(rec) in unclean:
            out.append(rec)
            continue
        if first_of_key and key in stored:
            sid, nid, previous = stored[key]
            if content_hash(rec) == previous:  # ``upsert``: seen again, unchanged (never a sighting without hash)
                unchanged.append({"b_sighting": sid, "b_notice": nid, "b_url": rec.url or None})
                out.append(None)
                continue
        org_id = store.organisation_id(rec.organisation)
        change = is_amendment(rec)
        if (key in seen or rec.sources or rec.changes or (rec.organisation and (org_id is None or handed_back))
                or rec.external_id in amended or rec.alias_id in amended
                or rec.external_id in pending_amends or rec.alias_id in pending_amends
                or (rec.previous_notice is not None and rec.previous_notice in handed_ids)
                or (change and _changes_known(store, rec, org_id, stored_calls, pending_ids | pending_aliases,
                                              handed_aliases))):
            handed_back = True  # lifecycle linking is per record; later organisation records follow it
            hand_back(rec)
            continue
        call_uid = rec.call_id
        if org_id is not None:
            # An organisation's new notice may be a stage or a sighting of a stored call: decide it
            # here with the same lookups as ``upsert``; only a notice that joins nothing is bulk
            # inserted. One that could depend on a row of this very batch goes through ``upsert``.
            ref_key = store.rules.reference_key(rec.organisation, rec.reference)
            if (rec.previous_notice in pending_ids or (ref_key is not None and (org_id, ref_key) in pending_calls)
                    or pending_orgs.get(org_id, {rec.source}) - {rec.source}):
                handed_back = True
                hand_back(rec)
                continue
            if not change and (lifecycle.has_same_notice(store.session, org_id, ref_key, rec.notice_type,
                                                         rec.source)
                    or lifecycle.has_orphan_change(store.session, org_id, ref_key)
                    or (store.may_fuzzy_match(org_id, rec) and find_fuzzy_match(
                        store.session, org_id, rec, ref_key, store.rules) is not None)):
                handed_back = True
                hand_back(rec)
                continue
            call_uid = call_uid or lifecycle.find_call_uid(store.session, org_id, ref_key, rec.previous_notice)
            if ref_key is not None:
                pending_calls.add((org_id, ref_key))
            pending_orgs.setdefault(org_id, set()).add(rec.source)
            store.seen_on(org_id, rec.source)
        else:
            ref_key = lifecycle.reference_key(rec.organisation, rec.reference)
            if call_uid is None and rec.previous_notice:
                # no organisation, so no call key: only the previous-notice link joins a stage to its call
                # (``upsert`` makes it too). A stored notice's sighting comes before this batch's rows.
                call_uid = stored_calls.get(rec.previous_notice) or pending_call_uids.get(rec.previous_notice)
        seen.add(key)
        pending_ids.add(rec.external_id)
        if rec.alias_id:
            pending_aliases.add(rec.alias_id)
        if change and rec.previous_notice:
            pending_amends.add(rec.previous_notice)
        uid = rec.id or new_uid()
        pending_call_uids.setdefault(rec.external_id, call_uid or uid)
        values = record_values(rec)
        digest = hashes[uid] = content_hash(rec, values)
        if org_id is not None:  # classified as ``upsert`` does it (``_set_areas``: the stored values)
            scores = rec.technology_areas if values["title"] == rec.title else None
            if scores is None and store.classifier is not None:
                scores = store.classifier.classify(values["title"], values["description"], values["cpv_codes"],
                                                  rec.languages[0] if rec.languages else None, rec.buyer_name)
        else:
            scores = rec.technology_areas
            if scores is None and store.classifier is not None:
                # the stored values, as ``upsert`` classifies them: their CPV codes are in stored order, and
                # the classifier weighs the first code as the main one
                scores = store.classifier.classify(rec.title, rec.description, values["cpv_codes"],
                                                  rec.languages[0] if rec.languages else None, rec.buyer_name)
        rows.append(notice_row(rec, values, uid=uid, call_uid=call_uid or uid, organisation_id=org_id,
                               reference_key=ref_key, digest=digest, now=now))
        fresh.append((len(out), rec, uid, scores))
        out.append(rec)  # replaced by its result below
    if unchanged:
        _mark_seen(store, unchanged, now)
    if not rows:
        return out
    conn = store.session.connection()
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
        sightings.append({"notice_id": nid, **sighting_row(rec, hashes[uid], now)})
        areas += [{"notice_id": nid, **row} for row in area_rows(scores, store.known_areas)]
        lots += [{"notice_id": nid, **row} for row in lot_rows(rec)]
        awards += [{"notice_id": nid, **row} for row in award_rows(rec)]
        out[position] = uid
    for model, batch in ((NoticeSource, sightings), (NoticeArea, areas), (Lot, lots), (Award, awards)):
        if batch:
            insert_rows(conn, model.__table__, batch)
    return out


def _changes_known(store: Store, rec: NoticeRecord, org_id: int | None, stored_calls: dict[str, str],
                   pending: set[str], handed: set[str]) -> bool:
    """Whether a change notice changes a notice the bulk path cannot leave alone: one stored (named, or for an
    organisation the latest stage of its call: ``lifecycle.find_amended``), or one of this batch (bulk or
    handed back). Only a change notice whose notice has not come is bulk inserted, as ``upsert`` inserts it
    (its sighting names the notice it changes, which joins it when it comes)."""
    previous = rec.previous_notice
    if previous is not None and (previous in stored_calls or previous in pending or previous in handed):
        return True
    if org_id is None:
        return False
    ref_key = store.rules.reference_key(rec.organisation, rec.reference)
    return lifecycle.find_amended(store.session, org_id, ref_key, None) is not None


def _mark_seen(store: Store, unchanged: list[dict[str, Any]], now: datetime) -> None:
    """What ``Store._seen_again`` does for an unchanged record, for many at once: the sighting is seen now
    (with the record's URL when it gives one) and so is its notice."""
    conn = store.session.connection()
    sightings, notices = NoticeSource.__table__, Notice.__table__
    conn.execute(update(sightings).where(sightings.c.id == bindparam("b_sighting")).values(
        last_seen_at=now, url=func.coalesce(bindparam("b_url", type_=sightings.c.url.type), sightings.c.url)),
        unchanged)
    conn.execute(update(notices).where(notices.c.id == bindparam("b_notice")).values(last_seen_at=now), unchanged)
