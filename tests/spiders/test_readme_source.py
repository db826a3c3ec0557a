"""The README's "Adding a source" example works as written: its YAML, appended to sources.yaml,
passes config check and crawls its page through the real engine with no code."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine

from spiders.runner import crawl_async
from tenderwatch.config import load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config
from tests.conftest import ROOT, deferred_test
from tests.spiders.conftest import FAST, stored


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Adding a source", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "the README's 'Adding a source' section has no yaml block"
    return match.group(1)


@deferred_test
async def test_readme_example_source(config_dir: Path, db_url: str, server: FixtureServer) -> None:
    path = config_dir / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8").rstrip() + "\n" + readme_snippet(), encoding="utf-8")
    cfg = load_config(config_dir)  # raises ConfigError naming file, entry and field if the snippet is wrong
    src = cfg.source("example-calls")
    assert src is not None and src.kind == "feed"
    from tenderwatch.db.engine import make_engine
    from tenderwatch.db.migrate import upgrade

    engine: Engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as s:
        sync_config(s, cfg)
    await crawl_async(cfg, engine, ["example-calls"], url_rewrite=server.rewrite_for("example.org"),
                      extra_settings=FAST)
    notices = stored(engine, "example-calls")
    assert [(n["reference"], n["title"], n["notice_type"]) for n in notices] == [
        ("26-12", "Cryogenic valve boxes", "invitation_to_tender"),
        ("26-13", "Vacuum gauges market survey", "market_survey")]
    assert notices[0]["deadline_at"] == "2027-01-15T22:59:00+00:00"
    assert notices[0]["description"] == "Supply of cryogenic valve boxes. Closing date: 15/01/2027"
    engine.dispose()
