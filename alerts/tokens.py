"""Signed, expiring tokens for the preferences and one-click unsubscribe links.

Signed with the secret from the environment variable named by ``settings.secret_key_env``
(itsdangerous, HMAC-SHA256; signature compared in constant time by itsdangerous). A token names
the company and its purpose; a forged, altered or expired token is refused with ``TokenError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tenderwatch.config import Settings

Purpose = Literal["preferences", "unsubscribe"]
DEMO_SECRET = "tenderwatch-demo-secret-not-for-production"


class TokenError(ValueError):
    """The token is forged, altered, expired or for another purpose."""


@dataclass(frozen=True)
class TokenClaims:
    company_key: str
    purpose: Purpose


def _secret(settings: Settings, allow_demo: bool) -> str:
    secret = settings.secret_key()
    if secret:
        return secret
    if allow_demo:
        return DEMO_SECRET
    raise TokenError(f"no secret key: set the environment variable {settings.secret_key_env}")


def _serializer(settings: Settings, allow_demo: bool) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings, allow_demo), salt="tenderwatch-company-link")


def make_token(settings: Settings, company_key: str, purpose: Purpose, *, allow_demo: bool = False) -> str:
    return _serializer(settings, allow_demo).dumps({"c": company_key, "p": purpose})


def read_token(settings: Settings, token: str, purpose: Purpose, *, allow_demo: bool = False,
               max_age_seconds: int | None = None) -> TokenClaims:
    max_age = max_age_seconds if max_age_seconds is not None else settings.token_max_age_days * 86400
    try:
        data = _serializer(settings, allow_demo).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("the link has expired") from exc
    except BadSignature as exc:
        raise TokenError("the link is not valid") from exc
    if not isinstance(data, dict) or data.get("p") not in ("preferences", "unsubscribe") or \
            not isinstance(data.get("c"), str):
        raise TokenError("the link is not valid")
    if purpose == "preferences" and data["p"] != "preferences":
        raise TokenError("the link is not valid for this page")
    # A preferences link may also unsubscribe (the page has the button); an unsubscribe link only unsubscribes.
    return TokenClaims(company_key=data["c"], purpose=data["p"])
