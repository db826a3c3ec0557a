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

from spiders.registry import first_urls
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
    for url in first_urls(src):  # paging in the URL: the first request carries the first page's number
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


def _fixture_folders(src: Any) -> list[str]:
    """The fixture folders holding a source's README: its hosts, or a kind's own API hosts (TED)."""
    from spiders.registry import spider_class

    hosts = hosts_of(src) or list(spider_class(src.kind).default_domains)
    return [h for h in hosts if (FIXTURES / h / "README.md").is_file()]


def test_every_source_states_how_well_its_format_is_known() -> None:
    """``format`` is written out for every entry, and the fixture README says the same."""
    raw = yaml.safe_load((CONFIG / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    unstated = [entry["name"] for entry in raw if "format" not in entry]
    assert unstated == [], f"sources without 'format: verified|reconstructed': {unstated}"
    cfg = load_config(CONFIG)
    for src in cfg.sources:
        folders = _fixture_folders(src)
        assert folders, f"{src.name}: no fixture README"
        text = " ".join((FIXTURES / h / "README.md").read_text(encoding="utf-8").lower() for h in folders)
        if src.format == "verified":
            assert "format: verified" in text and "evidence" in text, f"{src.name}: README names no evidence"
        else:
            assert "reconstruct" in text, f"{src.name}: README does not say the pages are reconstructed"


@deferred_test
async def test_the_crawls_of_one_process_share_one_classifier_and_keep_its_words_once(
        config: Config, engine: Engine, server: FixtureServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``tenderwatch crawl`` runs every enabled source at once: one classifier for all of them (eighteen built
    side by side in the demo held the reactor), its word entries kept once when the crawls have ended."""
    from pipeline import rule_cache
    from pipeline.classify import Classifier
    from pipeline.ingest import Ingestor

    monkeypatch.setenv("TENDERWATCH_CACHE_DIR", str(tmp_path))
    built: list[Classifier] = []
    real_build = Classifier.for_config.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Classifier], cfg: Config) -> Classifier:
        built.append(real_build(cls, cfg))
        return built[-1]

    kept: list[bool] = []
    real_exit = Ingestor.__exit__

    def exit_noting(self: Ingestor, *args: object) -> None:
        kept.append(self.keep_words)
        real_exit(self, *args)

    monkeypatch.setattr(Classifier, "for_config", classmethod(counted))
    monkeypatch.setattr(Ingestor, "__exit__", exit_noting)
    names = ["cern-forthcoming", "eso-calls", "iter-calls"]
    hosts = [h for n in names for h in hosts_of(config.source(n))]  # type: ignore[arg-type]
    await crawl_async(config, engine, names, url_rewrite=server.rewrite_for(*hosts), extra_settings=FAST)
    assert all(stored(engine, n) for n in names)
    assert len(built) == 1
    assert kept == [False, False, False]  # no crawl keeps the words on its own
    assert list((tmp_path / rule_cache.WORDS).glob("*.pickle"))  # the runner kept them, once
