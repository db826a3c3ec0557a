"""What every command needs: the config folder, the database, a console. Built lazily, once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from tenderwatch.config import Config, load_config
from tenderwatch.db.engine import check_connection, check_database_url, database_url, make_engine
from tenderwatch.terminal import SafeConsole


@dataclass
class AppContext:
    config_dir: Path | None = None
    db_url: str | None = None
    console: SafeConsole = field(default_factory=lambda: SafeConsole(stderr=False, highlight=False))
    err: SafeConsole = field(default_factory=lambda: SafeConsole(stderr=True, highlight=False))
    """Every command prints through these: scraped text never reaches the terminal with its escape
    sequences (``tenderwatch.terminal``)."""

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_dir)

    @cached_property
    def url(self) -> str:
        return database_url(self.db_url)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.url)

    def close(self) -> None:
        """Close the database connections the command opened (when it made ``engine``): the command line
        calls it as a command ends, so no connection is left for the interpreter's exit to find."""
        engine = self.__dict__.get("engine")
        if engine is not None:
            engine.dispose()

    def prepare_database(self, *, companies: bool = True, create: bool = False) -> Engine:
        """Upgrade the schema and mirror the config into it: every command that touches notices starts here.

        A SQLite file that does not exist is refused (``DatabaseUnavailableError``) unless ``create``: only
        ``db upgrade`` and the commands that make their own database (``run``) create one, so a
        mistyped path is an error instead of a new, empty database."""
        from tenderwatch.db.engine import session_scope
        from tenderwatch.db.migrate import upgrade
        from tenderwatch.sync import sync_config

        check_database_url(self.url, create=create)
        check_connection(self.engine)
        upgrade(self.engine)
        with session_scope(self.engine) as session:
            sync_config(session, self.config, companies=companies)
        return self.engine
