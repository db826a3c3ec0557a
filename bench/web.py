"""Web and open data throughput, each beside a bare baseline (ratio = ours / baseline time).

- calls page: the filtered, paginated page (query + template + security middleware) vs a bare
  Starlette route returning a fixed HTML string, both through Starlette's test client.
- OCDS export: releases per second vs the bare JSON-lines export of the same notices.

Seeds N synthetic notices (fictitious, generated here) into a temporary SQLite database.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.classify import Classifier
from pipeline.exporters import EXPORTERS
from pipeline.records import NoticeRecord
from pipeline.store import Store
from tenderwatch.config import load_config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.migrate import upgrade
from tenderwatch.sync import sync_config
from tenderwatch.web.app import create_app

N = int(os.environ.get("BENCH_NOTICES", "2000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WORDS = ["cryostat", "magnet", "vacuum chamber", "klystron", "detector", "mirror", "power converter", "cabling"]


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return time.perf_counter() - start


def main() -> None:
    config = load_config(Path(__file__).resolve().parent.parent / "config")
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        with session_scope(engine) as session:
            sync_config(session, config)
            store = Store(session, Classifier(config.taxonomy))
            orgs = [o.code for o in config.organisations]
            for i in range(N):
                store.upsert(NoticeRecord(source="bench", external_id=f"B-{i}", reference=f"B-{i}",
                                          organisation=orgs[i % len(orgs)], notice_type="invitation_to_tender",
                                          title=f"Supply of {WORDS[i % len(WORDS)]} number {i}",
                                          description=f"Bench notice {i} about {WORDS[(i * 3) % len(WORDS)]}.",
                                          deadline_at=now + timedelta(days=1 + i % 90), languages=["en"]))
        app = create_app(config, engine, secret="bench-secret-0123456789abcdef", https_only=False)
        bare = Starlette(routes=[Route("/", lambda r: HTMLResponse("<html><body>" + "x" * 6000 + "</body></html>"))])
        with TestClient(app) as ours, TestClient(bare) as base:
            ours.get("/calls")
            t_ours = timed(lambda: ours.get("/calls?area=cryogenics&q=cryostat&page=2"), REQUESTS)
            t_base = timed(lambda: base.get("/"), REQUESTS)
        print(f"calls page: {REQUESTS / t_ours:8.1f} pages/s   bare Starlette: {REQUESTS / t_base:8.1f} pages/s   "
              f"ratio {t_ours / t_base:5.1f}x  ({N} notices)")
        t_ocds = timed(lambda: EXPORTERS["ocds"](engine, config, io.StringIO()), 1)
        t_jsonl = timed(lambda: EXPORTERS["jsonl"](engine, config, io.StringIO()), 1)
        print(f"OCDS export: {N / t_ocds:8.0f} releases/s   bare JSON-lines export: {N / t_jsonl:8.0f} notices/s   "
              f"ratio {t_ocds / t_jsonl:5.2f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
