"""Which follow-ups an ILO address may see outside the web (the CLI's ``--ilo``): the web's rule
(``tenderwatch.web.scope``), applied to an ILO address instead of a signed-in account."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.db.models import Ilo


def organisations_of_ilo(session: Session, config: Config, email: str) -> frozenset[str] | None:
    """The organisation codes ``email`` covers (None: all, when ``settings.ilo_scope`` is network);
    ``LookupError`` for an address no ILO of ``organisations.yaml`` has."""
    ilo = session.scalar(select(Ilo).where(Ilo.email == email.strip().lower()))
    if ilo is None:
        known = ", ".join(sorted(session.scalars(select(Ilo.email))))
        raise LookupError(f"no ILO with address {email!r} in organisations.yaml (known: {known or 'none'})")
    if config.settings.ilo_scope == "network":
        return None
    return frozenset(ilo.organisations or [])
