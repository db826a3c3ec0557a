"""The sign-in throttle: attempts counted in the database *before* the password is checked.

Two counters per attempt, in ``sign_in_throttle``: the client address (an IPv6 client's /64, which
one machine typically owns whole) and the account (the case-folded user name, known or not). Each
attempt takes both rows' locks, counts itself, and is refused at once (HTTP 429, no password hash
computed) while either row is still blocked. The count happens in one short transaction before the
~0.1 s argon2 verification, so 60 parallel requests cannot all slip in before the first failure is
recorded; the rows are shared by every worker process and survive restarts.

Delays, not lock-outs: after a few free failures each further one blocks the counter for twice as
long as the one before, up to a cap. The address cap is long (an attacker's own address pays); the
account cap is short (``ACCOUNT.cap``), so someone who types a user name over and over can slow its
owner down by at most that much per attempt, never lock them out. A counter forgets its failures
after a quiet period, and a successful sign-in clears the account's and takes back the address's
pre-counted attempt.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import SignInThrottle


@dataclass(frozen=True)
class Rule:
    free: int
    """Failures allowed without any delay."""
    first_delay: float
    """Seconds of the first delay; each further failure doubles it."""
    cap: float
    """The longest delay, in seconds."""
    forget_after: timedelta
    """A counter quiet this long starts again from zero."""

    def delay(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        return min(self.cap, self.first_delay * 2 ** min(failures - self.free - 1, 30))

    def most_checked(self, seconds: float) -> int:
        """How many attempts at most get their password checked in ``seconds`` under this rule alone."""
        checked, elapsed = self.free + 1, self.delay(self.free + 1)
        while elapsed <= seconds:
            checked += 1
            elapsed += self.delay(checked)
        return checked


ADDRESS = Rule(free=10, first_delay=2, cap=15 * 60, forget_after=timedelta(hours=1))
ACCOUNT = Rule(free=5, first_delay=2, cap=60, forget_after=timedelta(minutes=15))
PURGE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int
    """Seconds until an attempt may be made again (0 when allowed)."""


def address_key(host: str | None) -> str:
    """``address:`` + the IPv4 address or the IPv6 /64 network (or the host as given, if not an address)."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return f"address:{(host or 'unknown')[:200]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"address:{ip.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"address:{ip}"


def account_key(username: str) -> str:
    return f"account:{username.casefold()[:200]}"


def _locked_row(session: Session, key: str, now: datetime) -> SignInThrottle:
    """The counter's row, created if missing, locked for this transaction (``FOR UPDATE``; SQLite's
    write transaction is taken by the caller)."""
    row = session.scalars(select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(SignInThrottle(key=key, failures=0, updated_at=now))
        except IntegrityError:
            pass  # another attempt created it first
        row = session.scalars(select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()).one()
    return row


def _begin_write(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")


def attempt(engine: Engine, address: str, account: str, now: datetime | None = None) -> Verdict:
    """Count one sign-in attempt against both counters, or refuse it (counting nothing) while blocked."""
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        _begin_write(session)
        rows = [(_locked_row(session, key, now), rule)
                for key, rule in sorted(((address, ADDRESS), (account, ACCOUNT)), key=lambda kr: kr[0])]
        waits = [(row.blocked_until - now).total_seconds() for row, _ in rows
                 if row.blocked_until is not None and row.blocked_until > now]
        if waits:
            return Verdict(False, max(1, int(max(waits) + 0.999)))
        for row, rule in rows:
            if now - row.updated_at > rule.forget_after:
                row.failures = 0
            row.failures += 1
            row.updated_at = now
            wait = rule.delay(row.failures)
            row.blocked_until = now + timedelta(seconds=wait) if wait else None
        return Verdict(True, 0)


def succeeded(engine: Engine, address: str, account: str, now: datetime | None = None) -> None:
    """A good password: the account's failures are forgiven; the address gets its pre-counted attempt back."""
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        _begin_write(session)
        session.execute(delete(SignInThrottle).where(SignInThrottle.key == account))
        row = session.scalars(select(SignInThrottle).where(SignInThrottle.key == address).with_for_update()).first()
        if row is not None:
            row.failures = max(0, row.failures - 1)
            if ADDRESS.delay(row.failures) == 0:
                row.blocked_until = None
        session.execute(delete(SignInThrottle).where(SignInThrottle.updated_at < now - PURGE_AFTER))
