"""Security in one place: response headers (CSP without inline scripts), CSRF, passwords, sign-in.

- Every response carries a Content-Security-Policy that allows no script at all and no inline
  style, so injected markup cannot run even if escaping failed somewhere.
- Every form carries a per-session CSRF token checked in constant time (``read_form``). The one
  exception is the RFC 8058 one-click unsubscribe endpoint, whose signed URL token is the credential
  (mail providers POST to it without any page).
- Passwords are hashed with argon2 (argon2-cffi); a failed sign-in takes as long as a good one.
- Sign-in attempts are counted before the password is checked, per address and per account, in the
  database (``tenderwatch.web.throttle``); sessions live in the database (``tenderwatch.web.sessions``).
- Every response carries the headers, error pages (404, 405, 500, refused hosts) included: the
  middleware wraps the whole application (``SecureSite``), outside Starlette's error handling.
"""

from __future__ import annotations

import hmac
import inspect
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenderwatch.web.sessions import SignedIn, signed_in

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
PRIVATE_PATHS = ("/ilo", "/admin", "/preferences", "/u/", "/answer/", "/login", "/calendar/company/")
"""Responses never stored by a browser or proxy cache (``Cache-Control: no-store``): signed-in pages and
pages or feeds reached by a company's secret link."""
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
        private = scope["path"].startswith(PRIVATE_PATHS)

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


class SecureSite(Starlette):
    """The Starlette application with ``SecurityHeaders`` and the trusted-hosts check *outside* its error
    handling, so a 500 page, a 404, a 405 and a refused ``Host`` carry the same headers as every page."""

    def __init__(self, *args: Any, hsts: bool = False, allowed_hosts: list[str] | None = None, **kwargs: Any) -> None:
        self._hsts = hsts
        self._allowed_hosts = allowed_hosts or ["*"]
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        inner = TrustedHostMiddleware(super().build_middleware_stack(), allowed_hosts=self._allowed_hosts,
                                      www_redirect=False)
        return SecurityHeaders(inner, hsts=self._hsts)


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for a download (RFC 6266), whatever the name holds.

    ``filename`` keeps letters, digits, ``.``, ``_`` and ``-`` (anything else becomes ``-``) and is quoted
    by the standard library; ``filename*`` carries the full name percent-encoded (RFC 8187). A name built
    from imported data (``a";filename="evil.exe``) can neither close the quotes nor add a parameter."""
    from email.utils import quote as quote_param
    from urllib.parse import quote as percent_encode

    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.") or "download"
    return f"attachment; filename=\"{quote_param(plain)}\"; filename*=UTF-8''{percent_encode(filename, safe='')}"


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


# --------------------------------------------------------------------------- sign-in


def current_user(request: Request) -> SignedIn | None:
    """The signed-in user as the database says now (``tenderwatch.web.sessions``), or None."""
    return signed_in(request, request.app.state.web.engine)


def require_role(*roles: str) -> Callable[[Callable[[Request], Any]], Callable[[Request], Awaitable[Any]]]:
    """Decorate an endpoint (sync or async): anonymous visitors go to sign-in, other roles get 403."""

    def wrap(endpoint: Callable[[Request], Any]) -> Callable[[Request], Awaitable[Any]]:
        async def guarded(request: Request) -> Any:
            from starlette.concurrency import run_in_threadpool
            from starlette.responses import RedirectResponse

            user = await run_in_threadpool(current_user, request)  # a database read: off the event loop
            if user is None:
                return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
            if user.role not in roles:
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
