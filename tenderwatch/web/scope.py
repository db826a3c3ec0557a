"""Which companies an ILO may see: the one rule, for every ILO page, CSV and later board.

``settings.ilo_scope`` (``config/settings.yaml``) decides it:

- ``organisations`` (the default): a signed-in ILO sees the companies matched to calls of the
  organisations its ILO address covers (``organisations.yaml``: the ILO listed under an
  organisation; the user is bound to that address with ``tenderwatch users add NAME --ilo EMAIL``).
  A user bound to no ILO address sees no company at all, and is told why.
- ``network``: every ILO of the network sees every company (one shared team).

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
    why_not: str = ""
    """Said to the user when something is refused."""

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
        return HTTPException(403, self.why_not or (
            f"This call is from {code or 'an organisation no ILO covers'}; your ILO address covers "
            f"{', '.join(sorted(self.organisations or [])) or 'no organisation'}, so its companies are not shown."))


def scope_for(user: SignedIn, rule: str, ilo_organisations: list[str] | None) -> IloScope:
    """The rule itself, without the web: ``rule`` is ``settings.ilo_scope``; ``ilo_organisations`` the
    organisation codes of the user's ILO address (None when the user is bound to none)."""
    if user.role == "admin" or rule == "network":
        return IloScope(None)
    if ilo_organisations is None:
        return IloScope(frozenset(), why_not=(
            "Your account is not bound to an ILO address, so no company is shown. An administrator binds it "
            "with: tenderwatch users add YOUR-NAME --reset-password --ilo YOUR-ILO-EMAIL"))
    return IloScope(frozenset(ilo_organisations))


def ilo_scope(request: Request) -> IloScope:
    """The signed-in user's scope (computed once per request). Only for pages behind ``require_role``."""
    known = getattr(request.state, _STATE_KEY, None)
    if known is not None:
        return known
    from tenderwatch.web.app import state
    from tenderwatch.web.security import current_user

    web = state(request)
    user = current_user(request)
    if user is None:
        raise HTTPException(403)
    organisations = None
    if user.ilo_id is not None and user.role != "admin" and web.config.settings.ilo_scope != "network":
        with session_scope(web.engine) as session:
            organisations = session.scalar(select(Ilo.organisations).where(Ilo.id == user.ilo_id))
            organisations = list(organisations or [])
    scope = scope_for(user, web.config.settings.ilo_scope, organisations)
    setattr(request.state, _STATE_KEY, scope)
    return scope
