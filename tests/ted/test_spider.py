"""The TED API source through the real Scrapy engine against a loopback server that answers like
the documented Search API v3: request bodies asserted, iteration pages replayed, a 429 backed off,
each new notice's XML fetched and parsed, the publication-date window remembered between runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from spiders.runner import crawl_async
from tenderwatch.config import load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Notice, Organisation, Source
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config
from tests.conftest import deferred_test

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
SEARCH = "/api.ted.europa.eu/v3/notices/search"
NOTICES = {"100001-2025": "eforms-cn-f4e.xml", "100004-2025": "eforms-change-f4e.xml",
           "100003-2025": "eforms-pin-xfel.xml"}


def _padded(number: str) -> str:
    """The API writes publication numbers zero-padded (00100001-2025)."""
    num, year = number.split("-")
    return f"{int(num):08d}-{year}"


def _hit(number: str) -> dict[str, Any]:
    """A hit as the API gives it: padded publication number, language maps, links by format and language."""
    padded = _padded(number)
    return {"publication-number": padded, "notice-type": "cn-standard", "publication-date": "2025-01-15+01:00",
            "buyer-name": {"eng": ["Fusion for Energy"]},
            "links": {"xml": {"MUL": f"https://ted.europa.eu/en/notice/{padded}/xml"},
                      "html": {"ENG": f"https://ted.europa.eu/en/notice/-/detail/{padded}"}}}


class TedApi:
    """Replays two iteration pages; answers 429 once first; records every request body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.throttled = False

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        assert method == "POST" and headers.get("Content-Type") == "application/json"
        request = json.loads(body)
        self.bodies.append(request)
        if not self.throttled:
            self.throttled = True
            return 429, {"Retry-After": "0"}, b'{"message": "Too many requests"}'
        if request.get("iterationNextToken") == "tok-2":
            page = {"notices": [_hit("100003-2025")], "totalNoticeCount": 3, "iterationNextToken": None,
                    "timedOut": False}
        else:
            page = {"notices": [_hit("100001-2025"), _hit("100004-2025")], "totalNoticeCount": 3,
                    "iterationNextToken": "tok-2", "timedOut": False}
        return 200, {}, json.dumps(page).encode()


def _setup(config_dir: Path, engine: Engine, server: FixtureServer) -> tuple[Any, TedApi]:
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": [{
        "name": "ted-f4e", "kind": "ted", "organisation": "F4E",
        "options": {"query": {"buyers": ["Fusion for Energy"], "notice_types": ["cn-standard", "pin-only"]},
                    "page_size": 2, "backoff_seconds": 0.01, "first_window_days": 10}}]}))
    cfg = load_config(config_dir)
    with session_scope(engine) as s:
        sync_config(s, cfg)
    api = TedApi()
    server.route(SEARCH, api)
    for number, name in NOTICES.items():
        padded = _padded(number)
        data = (FIXTURES / name).read_bytes()
        server.route(f"/ted.europa.eu/en/notice/{padded}/xml",
                     lambda *a, data=data: (200, {"Content-Type": "application/xml"}, data))
    return cfg, api


@deferred_test
async def test_ted_source_pages_backs_off_and_remembers_window(config_dir: Path, engine: Engine,
                                                               server: FixtureServer) -> None:
    cfg, api = _setup(config_dir, engine, server)
    rewrite = server.rewrite_for("api.ted.europa.eu", "ted.europa.eu")
    crawlers = await crawl_async(cfg, engine, url_rewrite=rewrite, extra_settings=FAST)
    stats = crawlers["ted-f4e"].stats.get_stats()
    assert stats["finish_reason"] == "finished"
    assert stats["tenderwatch/ted/backoff"] == 1 and server.statuses[429] == 1

    today = datetime.now(UTC).date()
    first, page1, page2 = api.bodies
    assert first == page1  # the throttled request is sent again unchanged
    assert page1 == {
        "query": ('buyer-name = "Fusion for Energy" AND (notice-type = cn-standard OR notice-type = pin-only) '
                  f"AND publication-date >= {today - timedelta(days=10):%Y%m%d} "
                  f"AND publication-date <= {today:%Y%m%d} SORT BY publication-date ASC"),
        "fields": ["publication-number", "notice-type", "publication-date", "buyer-name", "links"],
        "limit": 2, "scope": "ALL", "checkQuerySyntax": False, "paginationMode": "ITERATION"}
    assert page2["iterationNextToken"] == "tok-2" and page2["query"] == page1["query"]

    with session_scope(engine) as s:
        got = {n.extra["ted_publication_number"]: (n.notice_type, n.organisation.code if n.organisation else None,
                                                  n.sightings[0].source_name) for n in s.scalars(select(Notice))}
        assert got == {"100001-2025": ("invitation_to_tender", "F4E", "ted"),
                       "100003-2025": ("prior_information", "XFEL", "ted")}  # named buyer beats the source's default
        # the change notice 100004-2025 (whichever arrived first) updated its notice instead of being a call
        f4e = s.scalars(select(Notice).where(Notice.notice_type == "invitation_to_tender")).one()
        assert sorted(x.external_id for x in f4e.sightings) == ["100001-2025", "100004-2025"]
        assert f4e.deadline_at == datetime(2035, 4, 10, 16, 0, tzinfo=UTC)
        assert [(c.field, c.old_value, c.new_value, c.notice_ref) for c in f4e.changes if c.field == "deadline_at"] == [
            ("deadline_at", "2035-03-13T16:00:00+00:00", "2035-04-10T16:00:00+00:00", "100004-2025")]
        run = s.scalars(select(CrawlRun)).one()
        assert (run.status, run.notices_found, run.notices_new) == ("ok", 3, 2)
        src = s.scalars(select(Source).where(Source.name == "ted-f4e")).one()
        assert src.state["published_until"] == today.isoformat()

    # second run: the window starts at the remembered end minus one day's overlap; known notices are not fetched
    server.reset()
    cfg, api = _setup(config_dir, engine, server)
    api.throttled = True
    await crawl_async(cfg, engine, url_rewrite=rewrite, extra_settings=FAST)
    assert f"publication-date >= {today - timedelta(days=1):%Y%m%d}" in api.bodies[0]["query"]
    assert not [p for p in server.requests if p.endswith("/xml")]
    with session_scope(engine) as s:
        assert s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first().notices_new == 0
        assert len(s.scalars(select(Organisation)).all()) >= 3


@deferred_test
async def test_ted_source_gives_up_after_retries_and_keeps_window(config_dir: Path, engine: Engine,
                                                                  server: FixtureServer) -> None:
    cfg, _ = _setup(config_dir, engine, server)
    server.route(SEARCH, lambda *a: (503, {}, b"maintenance"))
    await crawl_async(cfg, engine, url_rewrite=server.rewrite_for("api.ted.europa.eu", "ted.europa.eu"),
                      extra_settings=FAST)
    assert server.requests[SEARCH] == 6  # first try + 5 retries
    with session_scope(engine) as s:
        run = s.scalars(select(CrawlRun)).one()
        assert run.status == "failed" and any("HTTP 503" in p for p in run.problems)
        src = s.scalars(select(Source).where(Source.name == "ted-f4e")).one()
        assert "published_until" not in (src.state or {})  # the same window is read again next run
