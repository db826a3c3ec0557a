"""Recognising one call across sightings, stages and sources.

Baseline rules (the classification/lifecycle issue refines them):
- the same (source, external id) is the same notice;
- the same organisation + normalised reference + notice type seen on another source is the same
  notice (one call on TED and on the organisation's site);
- the same organisation + normalised reference with another notice type is another stage of the
  same call (forthcoming -> market survey -> ITT -> award): a new notice sharing the call uid.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenderwatch.db.models import Notice

_SPACES = re.compile(r"[\s_‐-―−]+")


def reference_key(organisation: str | None, reference: str | None) -> str | None:
    """A comparison key for a reference: case, spaces and dash variants folded."""
    if not reference:
        return None
    text = unicodedata.normalize("NFKC", reference).strip().upper()
    text = _SPACES.sub("-", text)
    text = re.sub(r"-*/-*", "/", text).strip("-")
    return text or None


def find_same_notice(session: Session, organisation_id: int | None, ref_key: str | None,
                     notice_type: str, source_name: str) -> Notice | None:
    """A notice of another source that is this very stage of this very call, if any."""
    if organisation_id is None or ref_key is None:
        return None
    candidates = session.scalars(
        select(Notice).where(
            Notice.organisation_id == organisation_id,
            Notice.reference_key == ref_key,
            Notice.notice_type == notice_type,
        )
    ).all()
    for cand in candidates:
        if all(s.source_name != source_name for s in cand.sightings):
            return cand
    return None


def find_call_uid(session: Session, organisation_id: int | None, ref_key: str | None) -> str | None:
    """The call uid of an earlier stage with the same reference, if any."""
    if organisation_id is None or ref_key is None:
        return None
    return session.scalars(
        select(Notice.call_uid)
        .where(Notice.organisation_id == organisation_id, Notice.reference_key == ref_key)
        .order_by(Notice.id)
        .limit(1)
    ).first()
