"""Export formats: name -> function(engine, config, stream, open_only) -> count written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import IO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from pipeline.export import notice_to_export
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice

Exporter = Callable[..., int]


def iter_notices(session: Session, *, open_only: bool = False, batch: int = 500) -> Iterator[Notice]:
    stmt = select(Notice).options(
        selectinload(Notice.sightings), selectinload(Notice.areas), selectinload(Notice.lots),
        selectinload(Notice.awards), selectinload(Notice.organisation),
    ).order_by(Notice.id)
    if open_only:
        stmt = stmt.where(Notice.status == "open")
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def export_jsonl(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    count = 0
    with session_scope(engine) as session:
        for notice in iter_notices(session, open_only=open_only):
            out.write(json.dumps(notice_to_export(notice), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


from pipeline.csv_export import export_csv  # noqa: E402  (these import iter_notices lazily)
from pipeline.ocds import export_ocds  # noqa: E402

EXPORTERS: dict[str, Exporter] = {"jsonl": export_jsonl, "csv": export_csv, "ocds": export_ocds}
