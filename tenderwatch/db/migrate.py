"""Schema creation and upgrade through Alembic (``tenderwatch db upgrade``; demo and run call it too).

Every command that touches notices upgrades first (``AppContext.prepare_database``), and nearly always the
schema is at the head already. Alembic (its import, the script folder, ``env.py``) costs a command about
0.2 s of CPU to find that out, so ``upgrade`` first compares the database's revision with the head read
from the migration files' ``revision``/``down_revision`` lines, and loads Alembic only when they differ
or when anything about them is not the plain one-line chain (``_plain_head``).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

_REVISION_LINE = re.compile(r"^(down_revision|revision)(?:\s*:[^=]*)?\s*=\s*(.+?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"""^(?:'([^'\\]+)'|"([^"\\]+)")$""")


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("tenderwatch") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op on an up-to-date database (decided without Alembic when
    the database is at the head)."""
    if revision == "head":
        head = _plain_head()
        if head is not None and _database_revisions(engine) == [head]:
            return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _plain_head() -> str | None:
    """The head revision of the migration files when they form one chain, each file naming its
    ``revision`` and ``down_revision`` as a quoted string (or None for the first); else None (Alembic
    decides)."""
    folder = resources.files("tenderwatch") / "migrations" / "versions"
    revisions: set[str] = set()
    downs: set[str] = set()
    firsts = 0
    for entry in folder.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        found = dict((name, value) for name, value in _REVISION_LINE.findall(entry.read_text(encoding="utf-8")))
        rev, down = found.get("revision"), found.get("down_revision")
        rev_match = _QUOTED.match(rev or "")
        if rev_match is None or down is None:
            return None
        revisions.add(rev_match.group(1) or rev_match.group(2))
        if down == "None":
            firsts += 1
            continue
        down_match = _QUOTED.match(down)
        if down_match is None:  # a merge (a tuple of revisions) or anything else: Alembic reads it
            return None
        downs.add(down_match.group(1) or down_match.group(2))
    heads = revisions - downs
    if firsts != 1 or len(heads) != 1 or not downs <= revisions:
        return None
    return heads.pop()


def _database_revisions(engine: Engine) -> list[str] | None:
    """The revisions in the database's ``alembic_version`` table; None when it cannot be read (no table)."""
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:
        return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
