"""Rule 3 of ``pipeline.lifecycle``: failing a reference, a notice of *another* source with the same
organisation, a compatible type, close dates and a near-identical title is the same call.

``titles_match`` compares titles (wording, and the numbers and lot/phase markers that tell
'Phase A' from 'Phase B'); ``find_fuzzy_match`` finds the candidates in one SQL query per record
shape and keeps the best. Thresholds are ``LifecycleRules`` (config: ``settings.matching``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Select, bindparam, or_, select, union
from sqlalchemy.orm import Session

from pipeline.lifecycle import LifecycleRules, core_rows, not_seen_on
from pipeline.records import NoticeRecord
from tenderwatch.db.models import Notice

_TED_TITLE_PREFIX = re.compile(r"^[^:]{2,80}-[^:]{2,80}:\s+")
"""Legacy TED titles start 'Country-Town: ' ("Deutschland-Hamburg: Laser"); it is not the buyer's title."""
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_MARKER = re.compile(r"\b(?:lot|phase|part|batch|los|tranche|lote|lotto|perceel|deel)\s+([a-z0-9]{1,4})\b")
_ROMAN = re.compile(r"\b(?:i{1,3}|iv|v|vi{1,3}|ix|x)\b")

COMPATIBLE_TYPES = {
    "invitation_to_tender": {"invitation_to_tender", "other", "price_enquiry"},
    "price_enquiry": {"price_enquiry", "invitation_to_tender", "other"},
    "prior_information": {"prior_information", "forthcoming", "other"},
    "forthcoming": {"forthcoming", "prior_information", "other"},
}
"""Notice types one call may carry on two sources (a TED contract notice is the site's ITT)."""


def comparable_title(title: str) -> str:
    """Lower case, accents folded, the legacy TED 'Country-Town:' prefix dropped."""
    text = _TED_TITLE_PREFIX.sub("", title)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", text))


def discriminators(title: str) -> set[str]:
    """Numbers, lot/phase markers and roman numerals: what tells 'Phase A' from 'Phase B'."""
    text = comparable_title(title)
    found = set(_NUMBER.findall(text))
    found |= {f"#{m}" for m in _MARKER.findall(text)}
    found |= {f"r{m}" for m in _ROMAN.findall(text)}
    return found


def titles_match(a: str, b: str, threshold: float) -> tuple[bool, float]:
    """(same call?, similarity): near-identical wording and no conflicting numbers or lot/phase markers."""
    ta, tb = comparable_title(a), comparable_title(b)
    if not ta or not tb:
        return False, 0.0
    score = fuzz.token_set_ratio(ta, tb)
    # token_set_ratio forgives a title that is a subset of the other; require the shorter one to
    # carry real content, so "Supply" does not match every "Supply of ..." notice.
    if min(len(ta.split()), len(tb.split())) < 3:
        score = min(score, fuzz.ratio(ta, tb))
    da, db = discriminators(a), discriminators(b)
    if da != db and (da and db):
        return False, score
    return score >= threshold, score


def _dates_close(notice: Any, rec: NoticeRecord, window: timedelta) -> bool:
    """``notice``: anything with ``published_at`` and ``deadline_at`` (a Notice or a selected row)."""
    def close(x: datetime | None, y: datetime | None, delta: timedelta) -> bool:
        return x is not None and y is not None and abs(x - y) <= delta

    if notice.deadline_at is not None and rec.deadline_at is not None:
        # deadlines are the strongest date evidence: differing ones mean different calls, unless
        # the difference is a time-of-day/zone rendering (same calendar day within 24 h)
        return close(notice.deadline_at, rec.deadline_at, timedelta(hours=24))
    return close(notice.published_at, rec.published_at, window)


def find_fuzzy_match(session: Session, organisation_id: int | None, rec: NoticeRecord, ref_key: str | None,
                     rules: LifecycleRules) -> tuple[Notice, float] | None:
    """A notice of another source that is the same call by title, organisation and dates, if any.

    Only when references cannot decide: a candidate whose call key differs from this record's
    is never taken, and neither is one already seen on this record's source. Both exclusions,
    the organisation, the compatible types and the date window are decided in one SQL query that
    reads only the columns the comparison needs; a Notice is loaded for the winner alone.
    """
    if organisation_id is None or (rec.published_at is None and rec.deadline_at is None):
        return None
    types = COMPATIBLE_TYPES.get(rec.notice_type, {rec.notice_type, "other"}) | {rec.notice_type}
    if rec.notice_type == "other":
        types = set(COMPATIBLE_TYPES) | {"other", "market_survey", "expression_of_interest"}
    params: dict[str, Any] = {"org": organisation_id, "types": sorted(types), "source": rec.source}
    if rec.published_at is not None:
        params["pub_lo"] = rec.published_at - rules.date_window
        params["pub_hi"] = rec.published_at + rules.date_window
    if rec.deadline_at is not None:
        params["dl_lo"] = rec.deadline_at - timedelta(hours=24)
        params["dl_hi"] = rec.deadline_at + timedelta(hours=24)
    if ref_key is not None:
        params["ref"] = ref_key
    query = _fuzzy_query(rec.published_at is not None, rec.deadline_at is not None, ref_key is not None)
    candidates = core_rows(session, query, params).all()
    best: tuple[int, float] | None = None
    for cand in candidates:
        if not _dates_close(cand, rec, rules.date_window):
            continue
        same, score = titles_match(cand.title, rec.title, rules.title_similarity)
        if same and (best is None or score > best[1]):
            best = (cand.id, score)
    if best is None:
        return None
    notice = session.get(Notice, best[0])
    return (notice, best[1]) if notice is not None else None


_FUZZY_QUERIES: dict[tuple[bool, bool, bool], Select[Any]] = {}


def _fuzzy_query(by_published: bool, by_deadline: bool, by_reference: bool) -> Select[Any]:
    """``find_fuzzy_match``'s candidate query for one shape of record, built once with bound parameters.

    Each date range is its own index range ((organisation, published_at), (organisation, deadline_at)),
    united: an OR of the two in one WHERE makes SQLite read every notice of the organisation instead.
    Notices already seen on the record's source (in a TED backfill, nearly all of an organisation's
    notices in the window) are dropped inside those ranges, from the indexes alone (the sightings'
    (notice, source) index), before any notice row is read.
    """
    shape = (by_published, by_deadline, by_reference)
    query = _FUZZY_QUERIES.get(shape)
    if query is not None:
        return query
    in_window = []
    unseen = not_seen_on(bindparam("source"))  # correlated to each window's own notices
    if by_published:
        in_window.append(select(Notice.id).where(
            Notice.organisation_id == bindparam("org"),
            Notice.published_at.between(bindparam("pub_lo"), bindparam("pub_hi")), unseen))
    if by_deadline:
        in_window.append(select(Notice.id).where(
            Notice.organisation_id == bindparam("org"),
            Notice.deadline_at.between(bindparam("dl_lo"), bindparam("dl_hi")), unseen))
    query = select(Notice.id, Notice.title, Notice.published_at, Notice.deadline_at).where(
        Notice.id.in_(union(*in_window) if len(in_window) > 1 else in_window[0]),
        Notice.organisation_id == bindparam("org"), Notice.notice_type.in_(bindparam("types", expanding=True)))
    if by_reference:
        query = query.where(or_(Notice.reference_key.is_(None), Notice.reference_key == bindparam("ref")))
    query = _FUZZY_QUERIES[shape] = query.order_by(Notice.id).limit(500)
    return query
