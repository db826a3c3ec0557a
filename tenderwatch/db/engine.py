"""Engine factory.

The URL comes from ``TENDERWATCH_DATABASE_URL`` (default ``sqlite:///var/tenderwatch.db``) so that the
same code runs on SQLite for development and on PostgreSQL in production. Nothing is created at
import time: callers ask for an engine when they need one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///var/tenderwatch.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SUPPORTED = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DATABASE"
CREATE_HINT = "create it with 'tenderwatch db upgrade', or check --database / TENDERWATCH_DATABASE_URL"


class DatabaseUnavailableError(Exception):
    """A database a command cannot use, said in one line: an unsupported kind of URL, a SQLite file
    that does not exist (commands other than ``db upgrade`` never create one: a mistyped path would
    otherwise become a new empty database), or a server that refuses the connection."""


def database_url(url: str | None = None) -> str:
    """The database URL to use: an explicit one, the environment's, or the SQLite default."""
    return url or os.environ.get("TENDERWATCH_DATABASE_URL") or DEFAULT_URL


def _normalise_url(url: str) -> str:
    # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def shown(url: str | URL) -> str:
    """The URL with its password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for in-memory databases and other kinds)."""
    parsed = make_url(_normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def check_database_url(url: str, *, create: bool = False) -> None:
    """Refuse, before connecting, a URL of a kind Tenderwatch does not run on, and a SQLite file that
    does not exist unless ``create`` (``db upgrade``, and the commands that make their own database)."""
    try:
        parsed = make_url(_normalise_url(url))
    except ArgumentError:
        raise DatabaseUnavailableError(f"{url!r} is not a database URL: use {SUPPORTED}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in ("sqlite", "postgresql") or (backend == "postgresql" and driver != "psycopg"):
        raise DatabaseUnavailableError(f"unsupported database {shown(parsed)} ({parsed.drivername}): use {SUPPORTED}")
    path = sqlite_file(url)
    if path is None:
        return
    if path.is_dir():
        raise DatabaseUnavailableError(f"{path} is a folder, not a SQLite database file")
    if not path.exists():
        if not create:
            raise DatabaseUnavailableError(f"no database at {path}: {CREATE_HINT}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailableError(f"cannot create the database folder {path.parent}: {exc.strerror}") from None


def check_connection(engine: Engine) -> None:
    """Connect once, so that a server refusing us, a missing PostgreSQL database or a file that is not
    a SQLite database is one line naming the database instead of a driver traceback."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise DatabaseUnavailableError(f"cannot use the database {shown(engine.url)}: {driver_message(exc)}") from None


def driver_message(exc: DBAPIError) -> str:
    """The driver's own words for a database error, on one line, without SQLAlchemy's background link."""
    return " ".join(str(exc.orig or exc).split()).removeprefix("connection failed: ")


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """Create an engine; for SQLite, create the folder and switch on WAL, foreign keys and a busy timeout.

    WAL plus a busy timeout is what lets two crawl processes write to one SQLite file without
    "database is locked" errors (the reliability suite runs exactly that).
    """
    url = _normalise_url(database_url(url))
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def sessionmaker_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error, so nothing is half-written."""
    session = sessionmaker_for(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
