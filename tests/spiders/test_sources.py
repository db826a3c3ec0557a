"""Every enabled configured source, crawled on its fixture pages through the real Scrapy engine.

Per source: the exact number of notices, and every field of one notice, as listed in
``expected_sources.yaml``. A source without fixture pages, or without an entry in that file,
fails here: shipping a source means shipping its fixtures and its expectations. ``ted`` sources
belong to the TED tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from sqlalchemy import Engine

from spiders.kinds.json_api import with_param
from spiders.runner import crawl_async
from tenderwatch.config import Config, load_config
from tenderwatch.loopback import FIXTURES, FixtureServer
from tests.conftest import CONFIG, deferred_test
from tests.spiders.conftest import FAST, hosts_of, last_run, stored

EXPECTED = yaml.safe_load((Path(__file__).parent / "expected_sources.yaml").read_text(encoding="utf-8"))
NOT_MINE = {"ted"}


def _sources() -> list[str]:
    cfg = load_config(CONFIG)
    return [s.name for s in cfg.sources if s.enabled and s.kind not in NOT_MINE]


def fixture_path(url: str) -> Path:
    parts = urlparse(url)
    rel = f"{parts.hostname}{parts.path}"
    if parts.query:
        rel += "__" + parts.query.replace("&", "_").replace("=", "-")
    path = FIXTURES / rel
    return path / "index.html" if path.is_dir() else path


def test_every_source_is_crawled_here() -> None:
    assert len(_sources()) >= 9


@pytest.mark.parametrize("name", _sources())
def test_source_has_fixtures_and_expectations(name: str) -> None:
    cfg = load_config(CONFIG)
    src = cfg.source(name)
    assert src is not None
    for start in src.start_urls:
        url = start
        if src.options.get("page_param"):  # json paging: the first request carries the page number
            url = with_param(url, src.options["page_param"], src.options.get("first_page", 0))
        assert fixture_path(url).is_file(), f"source {name!r} has no fixture page for {url} ({fixture_path(url)})"
    for host in hosts_of(src):
        readme = FIXTURES / host / "README.md"
        assert readme.is_file(), f"fixture folder {host} needs a README (recorded or reconstructed?)"
    assert name in EXPECTED, f"source {name!r} has no entry in tests/spiders/expected_sources.yaml"


@pytest.mark.parametrize("name", _sources())
@deferred_test
async def test_source_crawls_its_fixtures(name: str, config: Config, engine: Engine, server: FixtureServer) -> None:
    src = config.source(name)
    assert src is not None and name in EXPECTED
    expected: dict[str, Any] = EXPECTED[name]
    crawlers = await crawl_async(config, engine, [name], url_rewrite=server.rewrite_for(*hosts_of(src)),
                                 extra_settings=FAST)
    stats = crawlers[name].stats.get_stats()
    assert stats["finish_reason"] == "finished"
    assert not stats.get("log_count/ERROR"), stats
    run = last_run(engine, name)
    assert run.status == "ok", run.problems
    assert run.problems == [], run.problems
    notices = stored(engine, name)
    assert len(notices) == expected["count"], [n["reference"] or n["title"] for n in notices]
    assert stats.get("tenderwatch/notices_missing_fields", 0) == expected.get("missing_fields", 0)
    want = expected["notice"]
    key = "reference" if want.get("reference") else "title"
    match = [n for n in notices if n[key] == want[key]]
    assert len(match) == 1, f"no notice with {key} {want[key]!r}"
    got = {k: v for k, v in match[0].items() if k not in ("raw", "warnings")}
    assert got == want
    raw = match[0]["raw"]
    assert raw["source"] == name and raw["fields"], "the raw extracted record is kept"
    orgs = expected.get("organisations")
    if orgs:
        assert sorted({n["organisation"] or "?" for n in notices}) == sorted(orgs)
