"""SIGKILL in the middle of a crawl, an import and a digest run, then the same command again.

The real ``tenderwatch`` command runs in a child process; it is killed at a moment the test
observes (a detail page requested, notices committed, k messages accepted), never by timing
guesswork. Expected after the rerun: every notice stored exactly once, every email due delivered
exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select

from tenderwatch.config import load_config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.models import Delivery, Notice, NoticeSource
from tenderwatch.loopback import FixtureServer
from tests.alerts.support import SECRET, notice, store
from tests.reliability.figures import Figures
from tests.reliability.sites import CALM, DETAIL, FAULTS, write_sources

ROOT = Path(__file__).resolve().parents[2]


def fast_settings(config_dir: Path, **mail: object) -> None:
    """No politeness delay on loopback; mail settings as given."""
    settings = yaml.safe_load((config_dir / "settings.yaml").read_text())
    settings["crawl"]["politeness_floor_seconds"] = 0
    settings["crawl"]["download_timeout_seconds"] = 10
    if mail:
        settings["mail"].update(mail)
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings))


def command(config_dir: Path, db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database", db_url, *args]


def env() -> dict[str, str]:
    return dict(os.environ, TENDERWATCH_SECRET_KEY=SECRET, PYTHONPATH=str(ROOT))


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the moment to kill never came")
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_crawl_killed_mid_crawl_then_rerun(tmp_path: Path, config_dir: Path, db_url: str, server: FixtureServer,
                                           figures: Figures) -> None:
    write_sources(config_dir)
    fast_settings(config_dir)
    rewrite = json.dumps(server.rewrite_for(FAULTS, CALM))
    crawl = command(config_dir, db_url, "crawl", "faults", "calm", "--rewrite", rewrite)
    subprocess.run(command(config_dir, db_url, "db", "upgrade"), env=env(), cwd=tmp_path, check=True,
                   capture_output=True)
    with figures.fault("kill -9 and rerun", "crawl killed while detail pages load"):
        server.override(DETAIL.format(2), delay=30)  # the child is killed while it waits for this page
        server.override(DETAIL.format(3), delay=30)
        proc = subprocess.Popen(crawl, env=env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: server.requests[DETAIL.format(2)] >= 1 and server.requests[DETAIL.format(3)] >= 1)
        kill(proc)
        server.reset()
        rerun = subprocess.run(crawl, env=env(), cwd=tmp_path, capture_output=True, text=True, timeout=120,
                               check=False)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        engine = make_engine(db_url)
        with session_scope(engine) as s:
            sightings = Counter(s.scalars(select(NoticeSource.external_id)))
            notices = s.scalar(select(func.count()).select_from(Notice))
            described = s.scalar(select(func.count()).select_from(Notice).where(Notice.description.is_not(None)))
        engine.dispose()
        expected = {"FX-001", "FX-002", "FX-003", "CA-101", "CA-102"}
        figures.count("notices", "crawl killed mid-crawl", lost=len(expected - set(sightings)),
                      duplicated=sum(n - 1 for n in sightings.values()) + max(0, notices - len(expected)))
        assert set(sightings) == expected and notices == len(expected)
        assert described == 3, "every faults notice got its detail page on the rerun"


def _jsonl(path: Path, n: int) -> set[str]:
    uids = set()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            uid = f"tw-bulk{i:012d}"
            uids.add(uid)
            line = {"id": uid, "source": "bulk-import", "title": f"Bulk call number {i}",
                    "published_at": "2025-05-01T08:00:00+00:00", "technology_areas": []}
            if i % 10 == 0:
                line.update(organisation="CERN", reference=f"BULK-{i}")
            fh.write(json.dumps(line) + "\n")
    return uids


def test_import_killed_midway_then_rerun(tmp_path: Path, config_dir: Path, db_url: str, figures: Figures) -> None:
    # large enough that the import is still running when its first batch is seen: with 2,000 notices
    # (the classifier's tables read from the cache) a loaded CI machine once saw them all stored at its
    # first look, on PostgreSQL
    n = 12000
    data = tmp_path / "notices.jsonl"
    uids = _jsonl(data, n)
    with figures.fault("kill -9 and rerun", "JSON-lines import killed midway"):
        subprocess.run(command(config_dir, db_url, "db", "upgrade"), env=env(), cwd=tmp_path, check=True,
                       capture_output=True)
        engine = make_engine(db_url)

        def stored() -> int:
            with session_scope(engine) as s:
                return int(s.scalar(select(func.count()).select_from(Notice)) or 0)

        proc = subprocess.Popen(command(config_dir, db_url, "import", str(data)), env=env(), cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: stored() > 0 or proc.poll() is not None)
        assert proc.poll() is None, "the import finished before it could be killed: make the file larger"
        kill(proc)
        partial = stored()
        assert 0 < partial < n
        rerun = subprocess.run(command(config_dir, db_url, "import", str(data)), env=env(), cwd=tmp_path,
                               capture_output=True, text=True, timeout=300, check=False)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        with session_scope(engine) as s:
            got = Counter(s.scalars(select(Notice.uid)))
        engine.dispose()
        figures.count("notices", "import killed midway", lost=len(uids - set(got)),
                      duplicated=sum(c - 1 for c in got.values()) + len(set(got) - uids))
        assert set(got) == uids and all(c == 1 for c in got.values())


def test_digest_killed_after_k_of_n_then_rerun(tmp_path: Path, config_dir: Path, db_url: str, smtp,
                                               figures: Figures) -> None:
    recorder, controller = smtp
    n, k = 7, 3
    fast_settings(config_dir, backend="smtp", smtp={"host": "127.0.0.1", "port": controller.port,
                                                    "security": "none", "timeout_seconds": 5})
    companies = [{"key": f"k{i}", "name": f"Company {i}", "recipients": [f"k{i}@example.nl"], "country": "NL",
                  "areas": ["cryogenics"]} for i in range(n)]
    (config_dir / "companies.yaml").write_text(yaml.safe_dump({"companies": companies}))
    with figures.fault("kill -9 and rerun", "digest run killed after 3 of 7 messages"):
        subprocess.run(command(config_dir, db_url, "db", "upgrade"), env=env(), cwd=tmp_path, check=True,
                       capture_output=True)
        engine = make_engine(db_url)
        now = datetime.now(UTC)
        store(engine, load_config(config_dir), [notice("kr1", "Helium cryostat", areas=["cryogenics"], now=now)],
              now=now)
        proc = subprocess.Popen(command(config_dir, db_url, "digest"), env=env(), cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        recorder.fail_after = k
        recorder.on_fail = lambda: os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL and len(recorder.received) == k
        recorder.fail_after = recorder.on_fail = None
        for _ in range(2):  # the rerun, and one more that must send nothing
            rerun = subprocess.run(command(config_dir, db_url, "digest"), env=env(), cwd=tmp_path,
                                   capture_output=True, text=True, timeout=120, check=False)
            assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        got = Counter(r.rcpt_tos[0] for r in recorder.received)
        due = {f"k{i}@example.nl" for i in range(n)}
        with session_scope(engine) as s:
            statuses = Counter(s.scalars(select(Delivery.status)))
        engine.dispose()
        figures.count("emails", "digest killed after k of n", duplicated=sum(c - 1 for c in got.values()),
                      missed=len(due - set(got)))
        assert set(got) == due and all(c == 1 for c in got.values())
        assert statuses == {"sent": n}
