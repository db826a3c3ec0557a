"""A bad day: every source down at once (their connections refused on loopback, or their hosts unknown).

The whole ``tenderwatch run --once`` runs as an operator runs it, with every crawl child refused:
the cycle ends within a bound (crawls run concurrently and a refused connection is not retried),
the administrator gets one mail naming every source with its reason, the summary keeps every
reason whole on an 80-column terminal, and the command exits 1 without a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from alerts.health import check_health
from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun, Delivery, Source
from tests.conftest import deferred_test
from tests.scheduler.conftest import REFUSED, body_of, health_mails, listing_source, refuse_everything

ROOT = Path(__file__).resolve().parents[2]
SOURCES = 8
LIMIT = 4
BOUND_SECONDS = 75.0
"""Before: each refused source took 20-40 s (retries with backoff, robots.txt and listing), one after
another: 8 sources were over 150 s. Now two rounds of four children, each failing in seconds."""


def cell_text(table: str) -> str:
    """The table's text without its borders, whitespace collapsed: a wrapped cell reads as one line again."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘━─╇┳┻╈┼├┤┬┴]", " ", table).split())


def test_run_once_with_every_source_refused(configure: Callable[..., Config], db_url: str, config_dir: Path,
                                            engine: Engine, tmp_path: Path) -> None:
    names = [f"down-{i}" for i in range(1, SOURCES + 1)]
    cfg = configure(sources=[listing_source(name, f"{name}/list.html") for name in names],
                    settings={"crawl": {"max_concurrent_crawls": LIMIT}})
    env = {**os.environ, "TENDERWATCH_DATABASE_URL": db_url, "TENDERWATCH_CONFIG_DIR": str(config_dir),
           "TENDERWATCH_URL_REWRITE": json.dumps(refuse_everything()), "COLUMNS": "80"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "tenderwatch", "run", "--once"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.monotonic() - started
    output = proc.stdout + proc.stderr

    assert proc.returncode == 1, output
    assert "Traceback" not in output
    assert elapsed < BOUND_SECONDS, f"the cycle took {elapsed:.0f} s"

    (mail,) = health_mails(tmp_path / "outbox")
    assert str(mail["To"]) == cfg.settings.mail.admin_address
    assert str(mail["Subject"]) == f"[Tenderwatch] {SOURCES} sources unhealthy"
    body = body_of(mail)
    for name in names:
        block = body.split(f"\n{name} (CERN)\n", 1)[1].split("\n\n", 1)[0]
        assert REFUSED in " ".join(block.split()), block
    with session_scope(engine) as session:
        assert session.scalars(select(Delivery.status).where(Delivery.kind == "health")).all() == ["sent"]
        assert not any(session.scalars(select(Source.healthy).where(Source.name.in_(names))))

    summary = cell_text(proc.stdout)
    for name in names:  # each reason whole, wrapped inside the 80 columns rather than cut
        assert f"crawl {name} " in summary
        assert f"failed: listing https://example.org/{name}/list.html failed: {REFUSED}" in summary
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())
    assert f"health: {SOURCES} turned unhealthy" in " ".join(proc.stdout.split())
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line and "failed" in line]
    assert len(warnings) >= SOURCES, proc.stderr

    # the next cycle, still down: nothing new to report, no second mail
    again = subprocess.run([sys.executable, "-m", "tenderwatch", "run", "--once"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 1 and "Traceback" not in again.stdout + again.stderr
    assert len(health_mails(tmp_path / "outbox")) == 1


UNREACHABLE = {
    "connection refused": (refuse_everything, REFUSED),
    "unknown host": (lambda: {"https://": "http://tenderwatch-outage-test.invalid/"},
                     r"DNS lookup failed|could not (be )?resolve|no address|name or service not known"),
}


@pytest.mark.parametrize("fault", list(UNREACHABLE))
@deferred_test
async def test_an_unreachable_host_fails_the_source_at_once_without_retries(
        fault: str, configure: Callable[..., Config], engine: Engine) -> None:
    rewrite, reason = UNREACHABLE[fault]
    cfg = configure(sources=[listing_source("down", "list.html")])
    started = time.monotonic()
    crawlers = await crawl_async(cfg, engine, ["down"], url_rewrite=rewrite(),
                                 extra_settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    elapsed = time.monotonic() - started
    stats = crawlers["down"].stats.get_stats()  # type: ignore[union-attr]
    assert not any(key.startswith("retry/") for key in stats), stats
    assert elapsed < 15, f"{fault} took {elapsed:.1f} s to fail"
    with session_scope(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.status == "failed"
        assert any(re.search(reason, p, re.I) for p in run.problems), run.problems
    assert [c.source for c in check_health(engine, cfg, report=False)] == ["down"]
