"""Which companies an ILO may see: the one rule, for every ILO page, CSV and later board.

``settings.ilo_scope`` (``config/settings.yaml``) decides it:

- ``organisations`` (the default): a user bound to an ILO address (``tenderwatch users add NAME
  --ilo EMAIL``, or the administration page) sees the companies matched to calls of the organisations
  that address covers in ``organisations.yaml``, and nothing of other organisations' calls. A user
  bound to no address is a network account and sees every company (as the ILO's first page shows it
  every organisation): bind an account to restrict it; the administration page lists each binding.
- ``network``: every ILO of the network sees every company (one shared team), bound or not.

Administrators always see everything. Callers ask ``ilo_scope(request)`` (a cached per-request
answer) and then ``scope.sees_organisation(code)`` for a call, ``scope.sees_company(company)`` for a
company listed outside a call; ``scope.refuse()`` raises the 403 that explains the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Ilo
from tenderwatch.web.sessions import SignedIn

_STATE_KEY = "tw_ilo_scope"


@dataclass(frozen=True)
class IloScope:
    organisations: frozenset[str] | None
    """Organisation codes whose calls' companies may be shown; None = all."""

    @property
    def everything(self) -> bool:
        return self.organisations is None

    def sees_organisation(self, code: str | None) -> bool:
        return self.organisations is None or (code is not None and code in self.organisations)

    def sees_company(self, company_organisations: Iterable[str] | None) -> bool:
        """A company follows the organisations it lists (none listed: all of them)."""
        if self.organisations is None:
            return True
        wanted = set(company_organisations or [])
        return bool(self.organisations) and (not wanted or bool(wanted & self.organisations))

    def refuse(self, code: str | None) -> HTTPException:
        return HTTPException(403, (
            f"This call is from {code or 'an organisation no ILO covers'}; your ILO address covers "
            f"{', '.join(sorted(self.organisations or [])) or 'no organisation'}, so its companies are not shown."))


def scope_for(user: SignedIn, rule: str, ilo_organisations: list[str] | None) -> IloScope:
    """The rule itself, without the web: ``rule`` is ``settings.ilo_scope``; ``ilo_organisations`` the
    organisation codes of the user's ILO address (None when the user is bound to none)."""
    if user.role == "admin" or rule == "network" or ilo_organisations is None:
        return IloScope(None)
    return IloScope(frozenset(ilo_organisations))


def ilo_scope(request: Request) -> IloScope:
    """The signed-in user's scope (computed once per request). Only for pages behind ``require_role``."""
    known = getattr(request.state, _STATE_KEY, None)
    if known is not None:
        return known
    from tenderwatch.web.pages import state
    from tenderwatch.web.security import current_user

    web = state(request)
    user = current_user(request)
    if user is None:
        raise HTTPException(403)
    organisations = None
    if user.ilo_id is not None and user.role != "admin" and web.config.settings.ilo_scope != "network":
        with session_scope(web.engine) as session:
            organisations = list(session.scalar(select(Ilo.organisations).where(Ilo.id == user.ilo_id)) or [])
    scope = scope_for(user, web.config.settings.ilo_scope, organisations)
    setattr(request.state, _STATE_KEY, scope)
    return scope
