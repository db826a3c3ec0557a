"""Web users (ILOs and administrators) in the database, passwords hashed with argon2.

Changing a password or a role, or deleting a user, ends every session of that user
(``tenderwatch.web.sessions``): what a cookie was allowed yesterday it is not allowed today."""

from __future__ import annotations

import re

from sqlalchemy import Engine, select

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Ilo, User
from tenderwatch.web.security import hash_password, verify_password
from tenderwatch.web.sessions import end_user_sessions

ROLES = ("ilo", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@+-]{3,200}$")


class UserError(ValueError):
    """A user that cannot be created or changed, with the reason."""


def add_user(engine: Engine, username: str, password: str, role: str = "ilo", *, ilo_email: str | None = None,
             replace_password: bool = False) -> User:
    """Create a user (or, with ``replace_password``, set a new password for an existing one)."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (use {' or '.join(ROLES)})")
    if not USERNAME_RE.match(username):
        raise UserError("a user name has 3 to 200 letters, digits or . _ @ + -")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and not replace_password:
            raise UserError(f"user {username!r} exists")
        ilo_id = None
        if ilo_email:
            ilo_id = session.scalar(select(Ilo.id).where(Ilo.email == ilo_email))
            if ilo_id is None:
                raise UserError(f"no ILO with e-mail {ilo_email!r} in config/organisations.yaml")
        if user is None:
            user = User(username=username, password_hash=hashed, role=role, ilo_id=ilo_id)
            session.add(user)
        else:
            user.password_hash, user.role = hashed, role
            user.ilo_id = ilo_id or user.ilo_id
            end_user_sessions(session, user.id)  # a new password (or role) ends every open session
        session.flush()
        session.expunge(user)
        return user


def set_role(engine: Engine, username: str, role: str) -> None:
    """Change a user's role; every open session of the user ends (a demoted admin's cookie opens nothing)."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (use {' or '.join(ROLES)})")
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UserError(f"no user {username!r}")
        if user.role != role:
            user.role = role
            end_user_sessions(session, user.id)


def delete_user(engine: Engine, username: str) -> None:
    """Remove a user and, with it, every open session."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UserError(f"no user {username!r}")
        end_user_sessions(session, user.id)
        session.delete(user)


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if not verify_password(user.password_hash if user else None, password):
            return None
        assert user is not None
        session.expunge(user)
        return user


def list_users(engine: Engine) -> list[User]:
    with session_scope(engine) as session:
        found = list(session.scalars(select(User).order_by(User.username)))
        session.expunge_all()
        return found
