"""Crawl children: stopped with SIGTERM, killed when they ignore it, and a failure logged with its whole reason."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select

from scheduling.supervise import crawl_in_child, stop_child
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import CrawlRun
from tests.scheduler.conftest import listing_source

IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " \
                  "time.sleep(120)"


def child(code: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc


def test_a_child_that_honours_sigterm_stops_at_once() -> None:
    proc = child("import time; print('ready', flush=True); time.sleep(120)")
    began = time.monotonic()
    assert stop_child(proc, grace=30) == -15
    assert time.monotonic() - began < 10


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    proc = child(IGNORES_SIGTERM)
    began = time.monotonic()
    assert stop_child(proc, grace=1) == -9
    assert 1 <= time.monotonic() - began < 10


def test_a_failed_crawl_is_logged_as_a_warning_with_its_whole_reason(
        configure: Callable[..., Config], engine: Engine, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A config folder the child cannot read: it exits without recording its run, the parent records and logs it."""
    cfg = configure(sources=[listing_source("fine", "list.html")])
    cfg = cfg.model_copy(update={"directory": "/nonexistent/config"})
    with caplog.at_level(logging.INFO, logger="tenderwatch.scheduler"):
        outcome = crawl_in_child(engine, cfg, db_url, "fine", child_env={}, stopping=threading.Event())
    assert outcome.status == "failed"
    (record,) = [r for r in caplog.records if "crawl fine" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert outcome.message in record.getMessage() and "config folder not found" in record.getMessage()
    with session_scope(engine) as session:
        assert session.scalars(select(CrawlRun.finish_reason)).all() == ["crashed"]
