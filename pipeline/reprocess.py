"""Re-process kept rejects after a fix: the raw input of each ``rejects`` row goes through today's code.

A reject keeps where it came from (``stage``, ``location``), why, and the raw input (a JSON line
of an import, a TED XML document, a spider's extracted item, or a record the database refused).
After a parser, config or data fix, ``tenderwatch rejects retry`` rebuilds each record from that
raw input the way its stage built it and stores it through the one writer (``pipeline.store``).
A reject that now goes through is marked ``reprocessed_at`` (kept for audit, no longer listed as
open); one that still fails stays open with the new reason reported, and no new reject row is
written for it, so retrying never multiplies rejects.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import SQLAlchemyError

from pipeline.classify import Classifier
from pipeline.import_base import Problem
from pipeline.importers import read_jsonl
from pipeline.lifecycle import LifecycleRules
from pipeline.normalise import normalise
from pipeline.records import NoticeRecord, RawNotice
from pipeline.store import Store
from tenderwatch.config import Config
from tenderwatch.db.engine import sessionmaker_for
from tenderwatch.db.models import Reject


@dataclass
class ReprocessReport:
    stored: list[tuple[int, str]] = field(default_factory=list)
    """(reject id, outcome: new/changed/unchanged/merged)"""
    still: list[tuple[int, str]] = field(default_factory=list)
    """(reject id, why it still fails)"""


def open_rejects(*, ids: Iterable[int] | None = None, stage: str | None = None,
                 source: str | None = None, include_done: bool = False) -> Select[tuple[Reject]]:
    query = select(Reject).order_by(Reject.id)
    if not include_done:
        query = query.where(Reject.reprocessed_at.is_(None))
    if ids:
        query = query.where(Reject.id.in_(list(ids)))
    if stage:
        query = query.where(Reject.stage == stage)
    if source:
        query = query.where(Reject.source_name == source)
    return query


def record_of(reject: Reject, config: Config) -> NoticeRecord:
    """Rebuild the record from the kept raw input; raises ValueError with the reason it still fails."""
    raw = reject.raw
    if not raw or not raw.strip():
        raise ValueError("no raw input was kept for this reject")
    if raw.lstrip().startswith("<"):
        from pipeline.ted.parse import parse_notice

        return parse_notice(raw.encode("utf-8"), reject.location)
    if reject.stage == "crawl":
        try:
            item = RawNotice.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"not an extracted item: {str(exc).splitlines()[0]}") from None
        return normalise(item, config)
    if reject.stage == "store":
        try:
            return NoticeRecord.model_validate_json(raw)
        except ValidationError as exc:
            raise ValueError(f"not a notice record: {str(exc).splitlines()[0]}") from None
    items = list(read_jsonl(io.StringIO(raw), reject.location))
    if len(items) != 1:
        raise ValueError(f"expected one JSON line, found {len(items)}")
    item = items[0]
    if isinstance(item, Problem):
        raise ValueError(item.reason)
    return item


def reprocess(engine: Engine, config: Config, *, ids: Iterable[int] | None = None, stage: str | None = None,
              source: str | None = None, now: datetime | None = None) -> ReprocessReport:
    """Retry the open rejects selected; each stored one is committed and marked at once."""
    now = now or datetime.now(UTC)
    report = ReprocessReport()
    session = sessionmaker_for(engine)()
    try:
        store = Store(session, Classifier.for_config(config), rules=LifecycleRules.from_config(config))
        rows = list(session.scalars(open_rejects(ids=ids, stage=stage, source=source)))
        for row in rows:
            try:
                record = record_of(row, config)
                with session.begin_nested():
                    result = store.upsert(record)
            except (ValueError, TypeError, SQLAlchemyError) as exc:
                report.still.append((row.id, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"))
                continue
            row.reprocessed_at = now
            session.commit()
            report.stored.append((row.id, result.outcome))
        session.commit()
    finally:
        session.close()
    return report
