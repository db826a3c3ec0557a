"""What every command needs: the config folder, the database, a console. Built lazily, once per command."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from tenderwatch.config import Config, load_config
from tenderwatch.db.engine import database_url, make_engine
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

    def prepare_database(self, *, companies: bool = True) -> Engine:
        """Upgrade the schema and mirror the config into it: every command that touches notices starts here."""
        from tenderwatch.db.engine import session_scope
        from tenderwatch.db.migrate import upgrade
        from tenderwatch.sync import sync_config

        upgrade(self.engine)
        with session_scope(self.engine) as session:
            sync_config(session, self.config, companies=companies)
        return self.engine
