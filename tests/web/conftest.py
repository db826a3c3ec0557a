"""Web fixtures: a database seeded through the real store (so stages, changes and areas are the
pipeline's own), the Starlette app, and a real uvicorn server on a loopback port in a thread.

The seeded calls are invented for the tests (fictitious references) and say so in their titles'
references (``TEST-...``); one carries hostile markup to prove escaping.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from pipeline.classify import Classifier
from pipeline.records import AwardRecord, Money, NoticeRecord
from pipeline.store import Store
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.web.app import create_app
from tenderwatch.web.users import add_user

SECRET = "test-secret-key-for-tenderwatch-web-0123456789"
NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ILO_PASSWORD = "correct horse battery"


@dataclass
class Seed:
    cryostat_call: str
    magnet_call: str
    hostile_call: str
    award_call: str


def _rec(**kw: object) -> NoticeRecord:
    base: dict[str, object] = {"source": "test", "organisation": "CERN", "languages": ["en"]}
    base.update(kw)
    return NoticeRecord(**base)  # type: ignore[arg-type]


def seed_notices(engine: Engine, config: Config) -> Seed:
    with session_scope(engine) as session:
        store = Store(session, Classifier(config.taxonomy), now=NOW - timedelta(days=10))
        cryo = store.upsert(_rec(
            external_id="TEST-CRYO-1", reference="TEST-CRYO-1", notice_type="market_survey",
            title="Supply of a cryostat for superconducting magnet tests",
            description="Market survey for a helium cryostat with leak detection; vacuum insulated.",
            url="https://procurement.example.org/ms/TEST-CRYO-1", documents_url="https://procurement.example.org/docs/1",
            published_at=NOW - timedelta(days=10), deadline_at=NOW + timedelta(days=20),
            cpv_codes=["42123000"], eligible_countries=["NL", "DE", "FR"],
            estimated_value=Money(amount=Decimal(250000), currency="EUR"))).notice.call_uid
        magnet = store.upsert(_rec(
            external_id="TEST-MAG-7", reference="TEST-MAG-7", notice_type="invitation_to_tender", organisation="ESS",
            title="Manufacture of corrector magnets", description="Coils and yokes for corrector magnets.",
            published_at=NOW - timedelta(days=5), deadline_at=NOW + timedelta(days=40),
            eligible_countries=["SE", "DK"])).notice.call_uid
        hostile = store.upsert(_rec(
            external_id="TEST-XSS-1", reference="TEST-XSS-1", notice_type="invitation_to_tender",
            title=f"Vacuum chamber {HOSTILE}", description=f"Description {HOSTILE}",
            url="javascript:alert(1)", published_at=NOW - timedelta(days=3),
            deadline_at=NOW + timedelta(days=30))).notice.call_uid
        award = store.upsert(_rec(
            external_id="TEST-AW-1", reference="TEST-AW-1", notice_type="contract_award", organisation="ESO",
            title="Award: mirror coating plant", status="awarded", published_at=NOW - timedelta(days=30),
            awards=[AwardRecord(winner_name="Delft Coatings B.V.", winner_country="NL",
                                value=Money(amount=Decimal(1200000), currency="EUR"),
                                awarded_at=NOW - timedelta(days=31)),
                    AwardRecord(winner_name="Optique SA", winner_country="FR", lot_number="2",
                                value=Money(amount=Decimal(300000), currency="EUR"),
                                awarded_at=NOW - timedelta(days=31))])).notice.call_uid
        # The deadline of the cryostat call moves: a second sighting, as a crawl would record it.
        Store(session, Classifier(config.taxonomy), now=NOW - timedelta(days=2)).upsert(_rec(
            external_id="TEST-CRYO-1", reference="TEST-CRYO-1", notice_type="market_survey",
            title="Supply of a cryostat for superconducting magnet tests",
            description="Market survey for a helium cryostat with leak detection; vacuum insulated.",
            url="https://procurement.example.org/ms/TEST-CRYO-1", documents_url="https://procurement.example.org/docs/1",
            published_at=NOW - timedelta(days=10), deadline_at=NOW + timedelta(days=27),
            cpv_codes=["42123000"], eligible_countries=["NL", "DE", "FR"],
            estimated_value=Money(amount=Decimal(250000), currency="EUR")))
    return Seed(cryo, magnet, hostile, award)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, config: Config) -> str:
    monkeypatch.setenv(config.settings.secret_key_env, SECRET)
    return SECRET


@pytest.fixture
def seeded(engine: Engine, config: Config, secret_env: str) -> Seed:
    seed = seed_notices(engine, config)
    add_user(engine, "ilo-cern", ILO_PASSWORD, "ilo")
    add_user(engine, "root-admin", ILO_PASSWORD, "admin")
    return seed


@pytest.fixture
def web_app(engine: Engine, config: Config, seeded: Seed):  # type: ignore[no-untyped-def]
    return create_app(config, engine, https_only=False)


@pytest.fixture
def client(web_app):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    with TestClient(web_app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def live_url(web_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by a real uvicorn on 127.0.0.1 (port chosen by the OS) in a daemon thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web_app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
