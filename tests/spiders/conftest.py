"""Helpers for crawling configured sources on their fixtures through the real engine."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from tenderwatch.config import Config, SourceConfig
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Notice, NoticeSource, Organisation, Source

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


def hosts_of(source: SourceConfig) -> list[str]:
    hosts = {urlparse(u).hostname or "" for u in source.start_urls} | set(source.allowed_domains)
    return sorted(h for h in hosts if h)


def stored(engine: Engine, source: str) -> list[dict[str, Any]]:
    """The notices sighted on one source, as plain dicts (org code resolved), ordered by reference/title."""
    out = []
    with session_scope(engine) as s:
        rows = s.execute(
            select(Notice, Organisation.code)  # once per notice, however often the source sighted it
            .outerjoin(Organisation, Organisation.id == Notice.organisation_id)
            .where(Notice.id.in_(select(NoticeSource.notice_id).where(NoticeSource.source_name == source)))
        ).all()
        for n, org in rows:
            out.append({
                "organisation": org, "reference": n.reference, "notice_type": n.notice_type, "title": n.title,
                "url": n.url, "documents_url": n.documents_url, "description": n.description,
                "published_at": n.published_at.isoformat() if n.published_at else None,
                "deadline_at": n.deadline_at.isoformat() if n.deadline_at else None,
                "value": (f"{n.value_amount.normalize():f} {n.value_currency}" if n.value_amount is not None
                          else None),
                "value_note": n.value_note, "eligibility_note": n.eligibility_note, "status": n.status,
                "cpv_codes": list(n.cpv_codes or []), "raw": n.raw, "warnings": list(n.warnings or []),
            })
    return sorted(out, key=lambda d: (d["reference"] or "", d["title"]))


def notices_by_reference(engine: Engine) -> dict[str, Notice]:
    """Every stored notice, detached, by reference (or title when it has none)."""
    with session_scope(engine) as s:
        rows = s.scalars(select(Notice).options(selectinload(Notice.sightings), selectinload(Notice.changes))).all()
        for n in rows:
            s.expunge(n)
    return {n.reference or n.title: n for n in rows}


def last_run(engine: Engine, source: str) -> CrawlRun:
    with session_scope(engine) as s:
        run = s.scalars(select(CrawlRun).join(Source).where(Source.name == source).order_by(CrawlRun.id.desc())
                        ).first()
        assert run is not None
        s.expunge(run)
        return run


def only(config: Config, name: str) -> Config:
    """The config with one source enabled (others disabled), so a crawl touches only it."""
    return config
