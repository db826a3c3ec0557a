"""Shared fixtures: a config folder per test, a fresh database (SQLite, or PostgreSQL when
``TENDERWATCH_TEST_DATABASE_URL`` is set), the loopback fixture server, a private cache folder for the
whole run, and a decorator to await Scrapy crawls inside pytest-twisted's asyncio reactor.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tenderwatch.config import Config, load_config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.migrate import upgrade
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
SHARED = ROOT.parent / "shared"


def deferred_test(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``async def`` test that awaits Scrapy crawls (see ../shared/STYLE.md, recipe 1)."""
    from scrapy.utils.defer import deferred_from_coro

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        return deferred_from_coro(fn(*args, **kwargs))

    return run


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The run's own ``TENDERWATCH_CACHE_DIR`` (commands started as processes inherit it): tests that patch
    the classifier's compilation never write the user's cache of compiled rule tables, and what a test
    finds there is what this run wrote (``pipeline.rule_cache``)."""
    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get("TENDERWATCH_CACHE_DIR")
    os.environ["TENDERWATCH_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["TENDERWATCH_CACHE_DIR"]
    else:
        os.environ["TENDERWATCH_CACHE_DIR"] = before


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped config folder, safe to edit in a test."""
    dest = tmp_path / "config"
    shutil.copytree(CONFIG, dest)
    return dest


@pytest.fixture
def config(config_dir: Path) -> Config:
    return load_config(config_dir)


def _fresh_postgres(url: str) -> str:
    """A new schema per test on the CI PostgreSQL server, selected through search_path."""
    base = make_engine(url)
    schema = "t_" + uuid.uuid4().hex[:12]
    with base.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    pg = os.environ.get("TENDERWATCH_TEST_DATABASE_URL")
    if pg:
        yield _fresh_postgres(pg)
    else:
        yield f"sqlite:///{tmp_path / 'tenderwatch.db'}"


@pytest.fixture
def engine(db_url: str, config: Config) -> Iterator[Engine]:
    """A migrated database with the test's config loaded into it."""
    eng = make_engine(db_url)
    upgrade(eng)
    with session_scope(eng) as session:
        sync_config(session, config)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(fixture_server: FixtureServer) -> Iterator[FixtureServer]:
    """The shared loopback server, with overrides and counters reset around each test."""
    fixture_server.reset()
    yield fixture_server
    fixture_server.reset()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared not present")
    return SHARED
