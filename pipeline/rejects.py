"""Rejected input is kept, never dropped: a row with where, why, and the raw text (bounded)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tenderwatch.db.models import Reject

MAX_RAW = 1_000_000


def record_reject(session: Session, *, stage: str, location: str, reason: str, raw: str | bytes | None = None,
                  source_name: str | None = None) -> Reject:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if raw is not None and len(raw) > MAX_RAW:
        raw = raw[:MAX_RAW]
    row = Reject(stage=stage, location=location[:2000], reason=reason[:5000], raw=raw, source_name=source_name)
    session.add(row)
    return row
