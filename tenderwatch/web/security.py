"""Security in one place: response headers (CSP without inline scripts), CSRF, passwords, sign-in.

- Every response carries a Content-Security-Policy that allows no script at all and no inline
  style, so injected markup cannot run even if escaping failed somewhere.
- Every form carries a per-session CSRF token checked in constant time (``read_form``). The one
  exception is the RFC 8058 one-click unsubscribe endpoint, whose signed URL token is the credential
  (mail providers POST to it without any page).
- Passwords are hashed with argon2 (argon2-cffi); a failed sign-in takes as long as a good one.
- Repeated failed sign-ins for one user name are refused for a while (``LoginThrottle``).
"""

from __future__ import annotations

import hmac
import inspect
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "interest-cohort=()",
}
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("tenderwatch-timing-equaliser")


class SecurityHeaders:
    """Pure ASGI middleware adding ``SECURITY_HEADERS`` (and no-store for signed-in pages)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith(("/ilo", "/admin", "/preferences", "/u/", "/login"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode().lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if private:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------- CSRF


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (templates call this for every form)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def read_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token; 403 when missing or wrong, 413 when huge."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        raise HTTPException(413, "form too large")
    form = await request.form(max_files=0, max_fields=200)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or \
            not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "The form has expired or did not come from this site (CSRF check). Reload the page.")
    return form


# --------------------------------------------------------------------------- passwords


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: an unknown user still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class LoginThrottle:
    """At most ``limit`` failed sign-ins per user name in ``window`` seconds (per process)."""

    def __init__(self, limit: int = 5, window: float = 900) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, username: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(username.casefold(), []) if now - t < self.window]
            self._failures[username.casefold()] = recent
            return len(recent) >= self.limit

    def failed(self, username: str) -> None:
        with self._lock:
            self._failures.setdefault(username.casefold(), []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.casefold(), None)


# --------------------------------------------------------------------------- sign-in


def current_user(request: Request) -> dict[str, Any] | None:
    user = request.session.get("user")
    return user if isinstance(user, dict) and "id" in user and "role" in user else None


def require_role(*roles: str) -> Callable[[Callable[[Request], Any]], Callable[[Request], Awaitable[Any]]]:
    """Decorate an endpoint (sync or async): anonymous visitors go to sign-in, other roles get 403."""

    def wrap(endpoint: Callable[[Request], Any]) -> Callable[[Request], Awaitable[Any]]:
        async def guarded(request: Request) -> Any:
            from starlette.concurrency import run_in_threadpool
            from starlette.responses import RedirectResponse

            user = current_user(request)
            if user is None:
                return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
            if user["role"] not in roles:
                raise HTTPException(403, "Your account may not open this page.")
            if inspect.iscoroutinefunction(endpoint):
                return await endpoint(request)
            return await run_in_threadpool(endpoint, request)

        guarded.__name__ = endpoint.__name__
        guarded.__doc__ = endpoint.__doc__
        return guarded

    return wrap


def safe_next(target: str | None) -> str:
    """Only local paths may be a post-sign-in destination (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ilo/"
    return target
