"""An ingestor's run statistics stay bounded however many notices a backfill stores or rejects."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pipeline.ingest import MAX_ERRORS_KEPT, Ingestor
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Reject


def test_rejected_reasons_kept_up_to_the_bound_and_every_reject_stored(engine: Engine, config: Config) -> None:
    n = MAX_ERRORS_KEPT + 5
    with Ingestor(engine, config) as ing:
        for i in range(n):
            ing.reject(stage="import", location=f"bulk.jsonl:{i + 1}", reason="not JSON")
        assert ing.stats.counts["rejected"] == n
        assert len(ing.stats.errors) == MAX_ERRORS_KEPT
        assert ing.stats.errors[0] == "bulk.jsonl:1: not JSON"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Reject)) == n
