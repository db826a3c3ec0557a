"""``tenderwatch run --once`` and ``tenderwatch jobs`` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from scheduling.lock import lock_status
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tests.scheduler.conftest import listing_source

ROOT = Path(__file__).resolve().parents[2]


def tenderwatch(*args: str, db_url: str, config_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_CONFIG_DIR": str(config_dir),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "tenderwatch", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def test_run_once_runs_a_cycle_and_a_second_cycle_sends_nothing_twice(
        configure: Callable[..., Config], db_url: str, config_dir: Path, engine: Engine) -> None:
    configure(sources=[], settings={"mail": {"send_empty_digests": True}})
    first = tenderwatch("run", "--once", db_url=db_url, config_dir=config_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    for step in ("health check", "ILO notifications", "weekly digests", "daily digests", "retry deferred mail"):
        assert step in first.stdout
    with session_scope(engine) as session:
        digests = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "digest"))
    assert digests and digests > 0
    second = tenderwatch("run", "--once", db_url=db_url, config_dir=config_dir)
    assert second.returncode == 0, second.stdout + second.stderr
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "digest")) == digests
    assert lock_status(engine) is None


def test_jobs_lists_planned_jobs_with_next_run(configure: Callable[..., Config], db_url: str,
                                               config_dir: Path) -> None:
    configure(sources=[listing_source("weekly-source", "list.html", schedule={"cron": "15 5 * * tue"})])
    out = tenderwatch("jobs", db_url=db_url, config_dir=config_dir)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "crawl:weekly-source" in text and "cron '15 5 * * tue'" in text and "Tue " in text
    assert "digest:weekly" in text and "Mon " in text
    assert "scheduler: not running" in text
