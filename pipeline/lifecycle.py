"""Recognising one call across sightings, stages and sources.

Rules, in the order ``pipeline.store.Store.upsert`` applies them:

1. the same (source, external id) is the same notice (a re-crawl);
2. the same organisation + call key + notice type seen on another source is the same notice
   (one call on TED and on the organisation's site);
3. failing a reference, a notice of *another* source with the same organisation, a compatible
   type, close dates and a near-identical title is the same notice (``pipeline.fuzzy_match``). Two
   notices of one source are never joined this way: a source's own identifiers (TED publication
   numbers, references) already say they differ;
4. the same organisation + call key with another notice type is another stage of the same call
   (forthcoming -> market survey -> ITT -> award): a new notice sharing the call uid; so is a
   notice whose ``previous_notice`` names a stored notice (TED award notices).

A change notice (``notice_type`` corrigendum: a TED eForms notice with ``efac:Changes``, a legacy
F14, a site's corrigendum row) is not a stage: it changes the notice it names (``previous_notice``,
by external id or alias id) or, failing that, the latest stage of its call (organisation + call key):
``find_amended``. When the change arrives first (no such notice yet), it is stored as a notice of
its own whose sighting remembers what it amends, and the notice it changes joins it on arrival
(``find_amended_by``; by call key, ``find_orphan_change``, for a site's change row above its call).

The *call key* is the reference folded for comparison (case, spaces, dash variants) and, where the
organisation's ``reference_patterns`` match, cut down to the part shared by every stage (CERN
``MS-4721/TE`` and ``IT-4721/TE`` -> ``4721/TE``). Patterns live in ``config/organisations.yaml``
so an administrator can change them without code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from tenderwatch.config import Config
from tenderwatch.db.models import Notice, NoticeSource

_SPACES = re.compile(r"[\s_‐-―−]+")
@dataclass
class LifecycleRules:
    """Per-organisation reference patterns and the fuzzy-match thresholds (from the config)."""

    patterns: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)
    title_similarity: float = 90.0
    date_window: timedelta = timedelta(days=14)

    @classmethod
    def from_config(cls, config: Config) -> LifecycleRules:
        return cls(
            patterns={org.code: [re.compile(p) for p in org.reference_patterns] for org in config.organisations
                      if org.reference_patterns},
            title_similarity=config.settings.matching.title_similarity,
            date_window=timedelta(days=config.settings.matching.date_window_days),
        )

    def reference_key(self, organisation: str | None, reference: str | None) -> str | None:
        """The call key of a reference (see the module docstring)."""
        key = fold_reference(reference)
        if key is None or organisation is None:
            return key
        for pattern in self.patterns.get(organisation, ()):
            m = pattern.match(key)
            if m and m.group("call"):
                return m.group("call")
        return key


def fold_reference(reference: str | None) -> str | None:
    """A reference folded for comparison: case, spaces and dash variants; '/' kept as the separator."""
    if not reference:
        return None
    text = unicodedata.normalize("NFKC", reference).strip().upper()
    text = _SPACES.sub("-", text)
    text = re.sub(r"-*/-*", "/", text).strip("-")
    return text[:200] or None  # the column's width: NFKC may lengthen a bounded reference ("…" -> "...")


def reference_key(organisation: str | None, reference: str | None) -> str | None:
    """The folded reference without organisation patterns (kept for callers without a config)."""
    return _NO_PATTERNS.reference_key(organisation, reference)


_NO_PATTERNS = LifecycleRules()
"""Rules without patterns, made once (``reference_key`` is called for every bulk record without organisation)."""


def not_seen_on(source_name: Any) -> ColumnElement[bool]:
    """SQL: the notice has no sighting on ``source_name`` (decided in the database, not per candidate)."""
    return ~exists().where(NoticeSource.notice_id == Notice.id, NoticeSource.source_name == source_name)


def core_rows(session: Session, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Execute a column query on the session's connection, after the autoflush ``session.execute`` makes.

    The same SQL on the same connection and transaction, the same rows, without the ORM's per-statement
    compile state and result machinery (a lookup per record of a backfill, so it adds up).
    """
    if session.autoflush:
        session.flush()  # what session.execute's autoflush does (nothing when the session is clean)
    return session.connection().execute(statement, params)


def has_same_notice(session: Session, organisation_id: int | None, ref_key: str | None,
                    notice_type: str, source_name: str) -> bool:
    """``find_same_notice(...) is not None`` without loading the notice (the bulk path's test)."""
    if organisation_id is None or ref_key is None:
        return False
    return core_rows(session, _SAME_NOTICE_ID, {"org": organisation_id, "ref": ref_key, "type": notice_type,
                                            "source": source_name}).first() is not None


def find_same_notice(session: Session, organisation_id: int | None, ref_key: str | None,
                     notice_type: str, source_name: str) -> Notice | None:
    """A notice of another source that is this very stage of this very call, if any."""
    if organisation_id is None or ref_key is None:
        return None
    return session.scalars(_SAME_NOTICE, {"org": organisation_id, "ref": ref_key, "type": notice_type,
                                          "source": source_name}).first()


_SAME_NOTICE = select(Notice).where(
    Notice.organisation_id == bindparam("org"),
    Notice.reference_key == bindparam("ref"),
    Notice.notice_type == bindparam("type"),
    not_seen_on(bindparam("source")),  # type: ignore[arg-type]
).order_by(Notice.id).limit(1)
"""``find_same_notice``'s query, built once (statements are per-call parameters, not per-call objects)."""
_SAME_NOTICE_ID = _SAME_NOTICE.with_only_columns(Notice.id)


_SOURCE_NAMES = text(
    "WITH RECURSIVE names(name) AS ("
    " SELECT MIN(source_name) FROM notice_sources"
    " UNION ALL"
    " SELECT (SELECT MIN(source_name) FROM notice_sources WHERE source_name > names.name)"
    " FROM names WHERE names.name IS NOT NULL"
    ") SELECT name FROM names WHERE name IS NOT NULL"
)
"""The distinct sighting source names by a loose index scan (one index seek per name, not a table scan)."""


def sighting_source_names(session: Session) -> list[str]:
    """Every source name a sighting carries: lets a lookup by external id use the (source, id) index."""
    return list(core_rows(session, _SOURCE_NAMES).scalars())


def find_call_uid(session: Session, organisation_id: int | None, ref_key: str | None,
                  previous_notice: str | None = None) -> str | None:
    """The call uid of an earlier stage: the notice named as previous, or one with the same call key."""
    if previous_notice:
        # external ids are unique per source only: look under every source name, through the index
        # (an external id alone would scan every sighting, once per change or award notice)
        names = sighting_source_names(session)
        linked = core_rows(session, _CALL_BY_PREVIOUS, {"names": names, "previous": previous_notice}
                       ).scalars().first() if names else None
        if linked is None:
            linked = core_rows(session, _CALL_BY_ALIAS, {"previous": previous_notice}).scalars().first()
        if linked is not None:
            return linked
    if organisation_id is None or ref_key is None:
        return None
    return core_rows(session, _CALL_BY_KEY, {"org": organisation_id, "ref": ref_key}).scalars().first()


def _notice_id_by_previous(session: Session, previous: str) -> int | None:
    """The notice a ``previous_notice`` names: a sighting with that external id (any source), else that alias."""
    names = sighting_source_names(session)
    found = core_rows(session, _NOTICE_BY_PREVIOUS, {"names": names, "previous": previous}).scalars().first() \
        if names else None
    if found is None:
        found = core_rows(session, _NOTICE_BY_ALIAS, {"previous": previous}).scalars().first()
    return found


def find_amended(session: Session, organisation_id: int | None, ref_key: str | None,
                 previous_notice: str | None) -> Notice | None:
    """The stored notice a change notice changes: the one it names, else the latest stage of its call.

    The latest stage is the last published (then last stored) notice of the organisation with the
    same call key that is not an award: a corrigendum of a call corrects its call for tenders.
    """
    if previous_notice:
        nid = _notice_id_by_previous(session, previous_notice)
        if nid is not None:
            return session.get(Notice, nid)
    if organisation_id is None or ref_key is None:
        return None
    nid = core_rows(session, _LATEST_STAGE, {"org": organisation_id, "ref": ref_key}).scalars().first()
    return session.get(Notice, nid) if nid is not None else None


def find_amended_by(session: Session, external_id: str, alias_id: str | None) -> Notice | None:
    """The stored notice a change notice of this record updated before this record arrived, if any."""
    ids = [external_id] + ([alias_id] if alias_id else [])
    nid = core_rows(session, _AMENDED_BY, {"ids": ids}).scalars().first()
    return session.get(Notice, nid) if nid is not None else None


def find_orphan_change(session: Session, organisation_id: int | None, ref_key: str | None) -> Notice | None:
    """A stored change notice of this call (organisation + call key) that found no notice to change: the
    notice a site lists after its own change notice ("CAMS2_91 Change Notice" above "CAMS2_91") joins it."""
    if organisation_id is None or ref_key is None:
        return None
    nid = core_rows(session, _ORPHAN_CHANGE, {"org": organisation_id, "ref": ref_key}).scalars().first()
    return session.get(Notice, nid) if nid is not None else None


def has_orphan_change(session: Session, organisation_id: int | None, ref_key: str | None) -> bool:
    """``find_orphan_change(...) is not None`` without loading the notice (the bulk path's test)."""
    if organisation_id is None or ref_key is None:
        return False
    return core_rows(session, _ORPHAN_CHANGE, {"org": organisation_id, "ref": ref_key}).first() is not None


_ORPHAN_CHANGE = (select(Notice.id)
                  .where(Notice.organisation_id == bindparam("org"), Notice.reference_key == bindparam("ref"),
                         Notice.notice_type == "corrigendum")
                  .order_by(Notice.id).limit(1))
_NOTICE_BY_PREVIOUS = (select(NoticeSource.notice_id)
                       .where(NoticeSource.source_name.in_(bindparam("names", expanding=True)),
                              NoticeSource.external_id == bindparam("previous"))
                       .order_by(NoticeSource.id).limit(1))
_NOTICE_BY_ALIAS = (select(NoticeSource.notice_id).where(NoticeSource.alias_id == bindparam("previous"))
                    .order_by(NoticeSource.id).limit(1))
_AMENDED_BY = (select(NoticeSource.notice_id).where(NoticeSource.amends.in_(bindparam("ids", expanding=True)))
               .order_by(NoticeSource.id).limit(1))
_LATEST_STAGE = (select(Notice.id)
                 .where(Notice.organisation_id == bindparam("org"), Notice.reference_key == bindparam("ref"),
                        Notice.notice_type != "contract_award")
                 .order_by(func.coalesce(Notice.published_at, Notice.first_seen_at).desc(), Notice.id.desc())
                 .limit(1))


def stored_amendments(session: Session, ids: set[str]) -> set[str]:
    """Which of these external or alias ids a stored change notice names as the notice it changes."""
    found: set[str] = set()
    wanted = sorted(ids)
    for i in range(0, len(wanted), 500):
        found.update(core_rows(session, select(NoticeSource.amends).where(
            NoticeSource.amends.in_(wanted[i:i + 500]))).scalars())
    return found


def current_stage(stages: list[Notice]) -> Notice:
    """The stage a call is read by (its page's facts, its matching companies, its follow-up): the latest
    open stage, else the latest. ``stages`` oldest first, not empty (``queries.call_stages``)."""
    return next((n for n in reversed(stages) if n.status == "open"), stages[-1])


def latest_stage() -> ColumnElement[bool]:
    """SQL: the notice is its call's latest stage (no later one of the same call): the call's current state.

    Lists and counts of calls (the web's calls page and feeds, the digests) keep one row per call with
    this; the call's page shows every stage. Later = published later (else first seen later), then stored
    later. Correlated to the enclosing query's ``notices`` row.
    """
    later = aliased(Notice)
    mine = func.coalesce(Notice.published_at, Notice.first_seen_at)
    theirs = func.coalesce(later.published_at, later.first_seen_at)
    return ~exists().where(later.call_uid == Notice.call_uid, later.id != Notice.id,
                           or_(theirs > mine, and_(theirs == mine, later.id > Notice.id)))


_CALL_BY_KEY = (select(Notice.call_uid)
                .where(Notice.organisation_id == bindparam("org"), Notice.reference_key == bindparam("ref"))
                .order_by(Notice.id).limit(1))
_CALL_BY_PREVIOUS = (select(Notice.call_uid).join(NoticeSource)
                     .where(NoticeSource.source_name.in_(bindparam("names", expanding=True)),
                            NoticeSource.external_id == bindparam("previous"))
                     .order_by(NoticeSource.id).limit(1))
_CALL_BY_ALIAS = (select(Notice.call_uid).join(NoticeSource).where(NoticeSource.alias_id == bindparam("previous"))
                  .order_by(NoticeSource.id).limit(1))


def call_uids_by_external_id(session: Session, external_ids: set[str]) -> dict[str, str]:
    """``find_call_uid``'s previous-notice lookup for many ids at once (a batch's change and award notices).

    For each external id, the call uid of the first sighting (lowest id, any source) carrying it, else
    carrying it as alias: what ``find_call_uid(session, None, None, id)`` gives for each, in two queries
    per 500 ids.
    """
    names = sighting_source_names(session) if external_ids else []
    found: dict[str, str] = {}
    ids = sorted(external_ids)
    for i in range(0, len(ids) if names else 0, 500):
        rows = session.execute(
            select(NoticeSource.external_id, Notice.call_uid).join(Notice, NoticeSource.notice_id == Notice.id)
            .where(NoticeSource.source_name.in_(names), NoticeSource.external_id.in_(ids[i:i + 500]))
            .order_by(NoticeSource.id))
        for external_id, call_uid in rows:
            found.setdefault(external_id, call_uid)
        missing = [x for x in ids[i:i + 500] if x not in found]
        if missing:
            for alias_id, call_uid in session.execute(
                    select(NoticeSource.alias_id, Notice.call_uid).join(Notice, NoticeSource.notice_id == Notice.id)
                    .where(NoticeSource.alias_id.in_(missing)).order_by(NoticeSource.id)):
                found.setdefault(alias_id, call_uid)
    return found
