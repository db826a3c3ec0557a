"""The foundation's promise, end to end: crawl the CERN fixture through the real Scrapy engine ->
normalise -> classify -> store -> this week's digest -> an .eml in the outbox that holds the call and
is valid MIME.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from alerts.digest import run_digests
from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice
from tenderwatch.loopback import FixtureServer
from tests.conftest import deferred_test

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


@deferred_test
async def test_cern_fixture_to_digest_eml(config: Config, engine: Engine, server: FixtureServer, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.settings.secret_key_env, "end-to-end-test-secret")
    outbox = tmp_path / "outbox"
    config.settings.mail.backend = "outbox"
    config.settings.mail.outbox = str(outbox)

    await crawl_async(config, engine, ["cern-forthcoming"], url_rewrite=server.rewrite_for("found.cern.ch"),
                      extra_settings=FAST)
    with session_scope(engine) as session:
        helium = session.scalars(select(Notice).where(Notice.reference == "MS-4512/EN")).one()
        assert helium.notice_type == "market_survey"
        assert helium.organisation is not None and helium.organisation.code == "CERN"
        assert "cryogenics" in {a.area_id for a in helium.areas}
        assert helium.value_currency == "CHF"
        assert "NL" in (helium.eligible_countries or [])
        assert helium.url and helium.url.startswith("https://found.cern.ch/")

    report = run_digests(engine, config, now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert report.sent >= 1

    # CryoVac Delft (cryogenics, vacuum) must receive the helium refrigeration market survey.
    emls = sorted(outbox.rglob("*.eml"))
    cryovac = [p for p in emls if "cryovac" in p.name]
    assert len(cryovac) == 1, [p.name for p in emls]
    msg = email.message_from_bytes(cryovac[0].read_bytes(), policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "sales@cryovac-delft.example.nl"
    assert msg["X-Tenderwatch-Kind"] == "digest"
    assert msg.is_multipart()
    body = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert body is not None and html is not None
    assert "MS-4512/EN" in body.get_content()
    assert "MS-4512/EN" in html.get_content()
    assert msg.defects == []
    for part in msg.walk():
        assert part.defects == [], part.defects
