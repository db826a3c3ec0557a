"""Server-side sessions: signing out, a new password, a new role or deletion ends them at once.

The session cookie (Starlette's signed cookie) carries only a random token and the CSRF token; the
database keeps the token's SHA-256 with the user and an expiry (``WebSession``). Every request that
carries a token looks it up and reads the user's *current* name, role and ILO binding from ``users``,
so nothing a cookie once said outlives a change: a copied cookie stops working at sign-out, and a
demoted user's old cookie no longer opens ``/admin/``. A stolen database holds no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import User, WebSession

SESSION_LIFETIME = timedelta(hours=8)
"""A session ends this long after sign-in, whatever happens (and the cookie expires with it)."""
TOKEN_FIELD = "sid"
_STATE_KEY = "tw_user"
_UNSET = object()


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user as the database says now (never as the cookie said)."""

    id: int
    name: str
    role: str
    ilo_id: int | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(request: Request, engine: Engine, user_id: int, now: datetime | None = None) -> None:
    """A fresh session for ``user_id`` (a new token, a new cookie: no fixation); expired rows are purged."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(WebSession(token_hash=_hash(token), user_id=user_id, created_at=now, expires_at=now + SESSION_LIFETIME))
    request.session.clear()
    request.session[TOKEN_FIELD] = token


def end_session(request: Request, engine: Engine) -> None:
    """Sign out: the row goes, so the cookie (or any copy of it) opens nothing any more."""
    token = request.session.get(TOKEN_FIELD)
    if isinstance(token, str):
        with session_scope(engine) as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))
    request.session.clear()
    setattr(request.state, _STATE_KEY, None)


def end_user_sessions(session: Session, user_id: int) -> None:
    """Every session of one user (password or role changed, user deleted), in the caller's transaction."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def signed_in(request: Request, engine: Engine, now: datetime | None = None) -> SignedIn | None:
    """The request's user, read from the database once per request; None without a live session."""
    known = getattr(request.state, _STATE_KEY, _UNSET)
    if known is not _UNSET:
        return known
    user: SignedIn | None = None
    token = request.session.get(TOKEN_FIELD) if "session" in request.scope else None
    if isinstance(token, str) and len(token) < 200:
        now = now or datetime.now(UTC)
        with session_scope(engine) as s:
            row = s.execute(select(User.id, User.username, User.role, User.ilo_id)
                            .join(WebSession, WebSession.user_id == User.id)
                            .where(WebSession.token_hash == _hash(token), WebSession.expires_at > now)).first()
        if row is not None:
            user = SignedIn(id=row.id, name=row.username, role=row.role, ilo_id=row.ilo_id)
    setattr(request.state, _STATE_KEY, user)
    return user
