"""Build the Starlette application: middleware, the view modules' routes, error pages, its state.

What pages need (``WebState``, ``state``, ``render``) is ``tenderwatch.web.pages``.

Database work runs in Starlette's thread pool (sync endpoints, or ``run_in_threadpool`` after an
async form read) so a slow query never blocks the event loop; templates render while the session
is open, because they walk relationships (stages, areas, changes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tenderwatch.config import Config
from tenderwatch.web import (
    views_answers,
    views_company,
    views_directory,
    views_feeds,
    views_followup,
    views_georeturn,
    views_private,
    views_public,
)
from tenderwatch.web.pages import HERE, WebState, make_templates, render
from tenderwatch.web.security import SecureSite

SESSION_MAX_AGE = 8 * 3600
"""The session cookie's lifetime; the session itself ends earlier when its row goes (``sessions``)."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class NoSecretKeyError(RuntimeError):
    """Raised when the site would start without a secret key (sessions and links need one)."""


def allowed_hosts(config: Config) -> list[str]:
    """The host names the site answers to: the public address's, ``settings.trusted_hosts`` and loopback."""
    from urllib.parse import urlsplit

    public = urlsplit(config.settings.site_base_url).hostname or ""
    return sorted({public, *config.settings.trusted_hosts, *LOOPBACK_HOSTS} - {""})


async def _error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Something went wrong"
    if code == 404:
        detail = "Page not found."
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import PlainTextResponse

    headers = getattr(exc, "headers", None)
    try:
        return await run_in_threadpool(render, request, "message.html",
                                       {"title": str(code), "message": str(detail), "tone": "error"}, code, headers)
    except Exception:  # the error page itself failed (database gone...): a plain page, never a traceback
        return PlainTextResponse(f"{code}: {detail}", status_code=code, headers=headers)


def routes() -> list[Route | Mount]:
    return [
        *views_public.ROUTES,
        *views_georeturn.ROUTES,
        *views_directory.ROUTES,
        *views_private.ROUTES,
        *views_company.ROUTES,
        *views_followup.ROUTES,
        *views_answers.ROUTES,
        *views_feeds.ROUTES,
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(config: Config, engine: Engine, *, secret: str | None = None, https_only: bool | None = None,
               clock: Any = None) -> SecureSite:
    """The site. ``secret`` defaults to the environment variable named by ``settings.secret_key_env``;
    without one the site refuses to start (``NoSecretKeyError``). Cookies are Secure when the public
    base URL is https, unless ``https_only`` says otherwise."""
    settings = config.settings
    secret = secret or settings.secret_key()
    if not secret:
        raise NoSecretKeyError(
            f"no secret key: set the environment variable {settings.secret_key_env} to a long random value "
            f"(for example: export {settings.secret_key_env}="
            "$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'))"
        )
    if len(secret) < 16:
        raise NoSecretKeyError(f"the secret key in {settings.secret_key_env} is too short: use at least 16 characters")
    secure = settings.site_base_url.startswith("https://") if https_only is None else https_only
    app = SecureSite(
        hsts=secure,
        allowed_hosts=allowed_hosts(config),
        routes=routes(),
        middleware=[
            Middleware(SessionMiddleware, secret_key=secret, session_cookie="tw_session", max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=secure),
        ],
        exception_handlers={HTTPException: _error, Exception: _error},
    )
    app.state.web = WebState(config=config, engine=engine, secret=secret, templates=make_templates(), clock=clock)
    return app
