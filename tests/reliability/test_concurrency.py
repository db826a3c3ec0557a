"""Two crawl processes writing the same notices into one database at the same moment.

SQLite runs in WAL mode with a busy timeout (``tenderwatch.db.engine``); PostgreSQL runs when
``TENDERWATCH_TEST_DATABASE_URL`` is set (CI). Both processes crawl both sources, so they race
to insert the same five notices: afterwards each must exist once, with its sighting once, its
detail text kept, and nothing refused as a "could not store" reject.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.models import CrawlRun, Notice, NoticeSource, Reject
from tenderwatch.loopback import FixtureServer
from tests.conftest import _fresh_postgres
from tests.reliability.figures import Figures
from tests.reliability.sites import CALM, DETAIL, FAULTS, LISTING, write_sources
from tests.reliability.test_kill_rerun import command, env, fast_settings

EXPECTED = {"FX-001", "FX-002", "FX-003", "CA-101", "CA-102"}
PG = os.environ.get("TENDERWATCH_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not PG:
            pytest.skip("TENDERWATCH_TEST_DATABASE_URL not set (CI sets it)")
        return _fresh_postgres(PG)
    return f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.mark.parametrize("rounds", [2])
def test_two_crawl_processes_same_database(rounds: int, backend_url: str, tmp_path: Path, config_dir: Path,
                                           server: FixtureServer, figures: Figures) -> None:
    write_sources(config_dir)
    fast_settings(config_dir)
    crawl = command(config_dir, backend_url, "crawl", "faults", "calm", "--rewrite",
                    json.dumps(server.rewrite_for(FAULTS, CALM)))
    subprocess.run(command(config_dir, backend_url, "db", "upgrade"), env=env(), cwd=tmp_path, check=True,
                   capture_output=True)
    backend = backend_url.split(":", 1)[0]
    with figures.fault("concurrent writers", f"two crawl processes, one {backend} database"):
        for _ in range(rounds):
            # both processes get their pages at the same moment, then write the same notices together
            for path in (LISTING, f"/{CALM}/list.html", *(DETAIL.format(i) for i in (1, 2, 3))):
                server.override(path, delay=0.3, body=(Path(__file__).parents[1] / "fixtures" / path.lstrip("/"))
                                .read_bytes())
            procs = [subprocess.Popen(crawl, env=env(), cwd=tmp_path, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outs = [p.communicate(timeout=180) for p in procs]
            for proc, (out, err) in zip(procs, outs, strict=True):
                assert proc.returncode == 0, out + err
            server.reset()
        engine = make_engine(backend_url)
        with session_scope(engine) as s:
            sightings = Counter(s.scalars(select(NoticeSource.external_id)))
            notices = s.scalar(select(func.count()).select_from(Notice))
            described = s.scalar(select(func.count()).select_from(Notice).where(Notice.description.is_not(None)))
            rejects = list(s.scalars(select(Reject.reason)))
            runs = Counter(s.scalars(select(CrawlRun.status)))
        engine.dispose()
        figures.count("notices", f"two writers on {backend}", lost=len(EXPECTED - set(sightings)),
                      duplicated=sum(c - 1 for c in sightings.values()) + max(0, (notices or 0) - len(EXPECTED)))
        assert set(sightings) == EXPECTED and all(c == 1 for c in sightings.values())
        assert notices == len(EXPECTED)
        assert described == 3
        assert rejects == [], rejects
        assert runs == {"ok": 2 * 2 * rounds}
