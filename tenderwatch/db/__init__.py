"""Database access: one metadata (``models``), one engine factory (``engine``)."""

from tenderwatch.db.engine import database_url, make_engine, session_scope, sessionmaker_for

__all__ = ["database_url", "make_engine", "session_scope", "sessionmaker_for"]
