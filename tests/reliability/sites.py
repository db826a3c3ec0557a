"""Two synthetic sources for fault injection (fixtures in ``tests/fixtures/faults.example.org`` and
``calm.example.org``): ``faults`` has a listing and detail pages, ``calm`` only a listing. Both are
ordinary ``html_table`` entries, so the faults go through the same generic spider, middlewares,
pipeline and health rules as every real source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from tenderwatch.config import Config, load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Notice, NoticeSource, Source
from tenderwatch.sync import sync_config

FAULTS = "faults.example.org"
CALM = "calm.example.org"
LISTING = f"/{FAULTS}/list.html"
DETAIL = f"/{FAULTS}/d/{{}}.html"

TABLE_OPTIONS: dict[str, Any] = {
    "rows": "table#calls tbody tr",
    "columns": {"Reference": "reference", "Title": "title", "Deadline": "deadline"},
    "fields": {"url": "td:nth-child(2) a::attr(href)"},
}

SOURCES = [
    {"name": "faults", "kind": "html_table", "organisation": "CERN", "language": "en",
     "default_notice_type": "invitation_to_tender", "start_urls": [f"https://{FAULTS}/list.html"],
     "options": {**TABLE_OPTIONS, "detail": {"fields": {"description": "div.description"}}}},
    {"name": "calm", "kind": "html_table", "organisation": "ESO", "language": "en",
     "default_notice_type": "invitation_to_tender", "start_urls": [f"https://{CALM}/list.html"],
     "options": TABLE_OPTIONS},
]

FAST: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 2.5,  # roomy: on a loaded CI machine a healthy answer may take over a second
    "RETRY_TIMES": 2,
    "TENDERWATCH_RETRY_BASE_DELAY": 0.05,
    "TENDERWATCH_RETRY_MAX_DELAY": 3,
    "DOWNLOAD_MAXSIZE": 256 * 1024,
    "DOWNLOAD_WARNSIZE": 128 * 1024,
    "LOG_LEVEL": "ERROR",
}
"""Short timeouts, small size limit and short backoff: the faults are real, the waits are not long."""


def write_sources(config_dir: Path, sources: list[dict[str, Any]] | None = None) -> None:
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": sources or SOURCES}), encoding="utf-8")


def fault_config(config_dir: Path, engine: Engine | None = None) -> Config:
    write_sources(config_dir)
    cfg = load_config(config_dir)
    if engine is not None:
        with session_scope(engine) as s:
            sync_config(s, cfg)
    return cfg


def notices_of(engine: Engine, source: str) -> dict[str, Notice]:
    """Reference -> notice for one source (detached, loaded whole)."""
    with session_scope(engine) as s:
        rows = s.scalars(select(Notice).join(NoticeSource).where(NoticeSource.source_name == source)).all()
        for n in rows:
            s.expunge(n)
        return {n.reference or n.title: n for n in rows}


def last_run(engine: Engine, source: str) -> CrawlRun:
    with session_scope(engine) as s:
        run = s.scalars(select(CrawlRun).join(Source).where(Source.name == source)
                        .order_by(CrawlRun.id.desc())).first()
        assert run is not None, f"no run recorded for {source}"
        s.expunge(run)
        return run


def source_row(engine: Engine, name: str) -> Source:
    with session_scope(engine) as s:
        row = s.scalars(select(Source).where(Source.name == name)).one()
        s.expunge(row)
        return row
