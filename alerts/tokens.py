"""Signed, expiring tokens for the preferences, one-click unsubscribe and answer links.

Signed with the secret from the environment variable named by ``settings.secret_key_env``
(itsdangerous, HMAC with its default SHA-1; signature compared in constant time by itsdangerous).
A token names the company and its purpose; a forged, altered or expired token is refused with
``TokenError``.

The company's calendar link (``calendar_url``: ``/calendar/company/{token}.ics``, served by the web
site, linked from digests and the preferences page) has a token that does not expire (a calendar
subscription must keep working for months), signed with its own salt; it is revoked for one
company by raising its ``calendar_version``, for all by rotating the secret key.

Answer links ("Interested" / "Not for us" under a call in a digest or a targeted mail) are signed
with their own salt and name the company, the call and the answer: one cannot be turned into
another's, another call's, the other answer's or a preferences link, and clicking it again gives
the same answer (``tenderwatch.followup.records`` makes a repeated answer change nothing).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes

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


Answer = Literal["interested", "not_interested"]
ANSWERS: tuple[Answer, ...] = ("interested", "not_interested")


@dataclass(frozen=True)
class AnswerClaims:
    company_key: str
    call_uid: str
    answer: Answer
    signed_at: datetime | None = None
    """When the link was signed (the answer pages refuse a link used before whose answer has changed since)."""


_SHORT = {"interested": "i", "not_interested": "n"}
_LONG = {v: k for k, v in _SHORT.items()}


class _RunSigner(TimestampSigner):
    """itsdangerous' ``TimestampSigner`` for the many answer links one run signs (two per call per company
    in a digest): the signing key is derived once and the time read once, when the signer is made, and
    each signature is one call of ``hmac.digest`` (the C one-shot HMAC, a fifth of the time of the
    ``hmac.new`` object the library makes per signature) with the library's own key and digest. The
    tokens are byte for byte the library's (HMAC-SHA1 over value and time stamp) and are verified by it."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret, salt="tenderwatch-answer-link")
        self._key = super().derive_key()
        self._stamp = want_bytes(self.sep) + base64_encode(int_to_bytes(self.get_timestamp()))
        self._sep = want_bytes(self.sep)
        self._digest = self.digest_method().name  # what the library's HMACAlgorithm uses (sha1)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)

    def sign(self, value: str | bytes) -> bytes:
        value = want_bytes(value) + self._stamp
        return value + self._sep + base64_encode(hmac.digest(self._key, value, self._digest))


class AnswerSigner:
    """Makes answer tokens: ``<answer>.<call>.<company>.<time>.<signature>`` (itsdangerous'
    ``TimestampSigner``, no JSON and no compression: a digest run signs two per call per company)."""

    def __init__(self, settings: Settings, *, allow_demo: bool = False) -> None:
        self._signer = _RunSigner(_secret(settings, allow_demo))

    def token(self, company_key: str, call_uid: str, answer: Answer) -> str:
        if answer not in _SHORT:
            raise ValueError(f"unknown answer {answer!r}")
        if "." in call_uid:
            raise ValueError(f"a call id has no dots: {call_uid!r}")
        return self._signer.sign(f"{_SHORT[answer]}.{call_uid}.{company_key}").decode("ascii")

    def read(self, token: str, max_age_seconds: int) -> AnswerClaims:
        try:
            raw, signed_at = self._signer.unsign(token, max_age=max_age_seconds, return_timestamp=True)
            value = raw.decode("utf-8")
        except SignatureExpired as exc:
            raise TokenError("the link has expired") from exc
        except (BadSignature, UnicodeDecodeError) as exc:
            raise TokenError("the link is not valid") from exc
        short, _, rest = value.partition(".")
        call_uid, _, company_key = rest.partition(".")
        if short not in _LONG or not call_uid or not company_key:
            raise TokenError("the link is not valid")
        return AnswerClaims(company_key=company_key, call_uid=call_uid, answer=_LONG[short],  # type: ignore[arg-type]
                            signed_at=signed_at)


def make_answer_token(settings: Settings, company_key: str, call_uid: str, answer: Answer, *,
                      allow_demo: bool = False) -> str:
    return AnswerSigner(settings, allow_demo=allow_demo).token(company_key, call_uid, answer)


def read_answer_token(settings: Settings, token: str, *, allow_demo: bool = False) -> AnswerClaims:
    """The company, call and answer an answer link was signed for; ``TokenError`` for anything else."""
    return AnswerSigner(settings, allow_demo=allow_demo).read(token, settings.token_max_age_days * 86400)


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")
"""What ``quote(..., safe='')`` leaves as it is: a token made of such characters needs no quoting."""


def answer_urls(base_url: str, signer: AnswerSigner, company_key: str, call_uid: str) -> dict[str, str]:
    """The two one-click answer links of a call for a company, under ``base_url`` (the site's
    ``/answer/<token>``): what digests and targeted mails put under a call. A token is quoted only
    when it holds a character a URL path must escape (a company key's or call id's; the rest of a
    token is URL-safe base64)."""
    out = {}
    for answer in ANSWERS:
        token = signer.token(company_key, call_uid, answer)
        out[answer] = f"{base_url}/answer/{token if _URL_SAFE.fullmatch(token) else quote(token, safe='')}"
    return out


CALENDAR_SALT = "tenderwatch-company-calendar"


def _calendar_signer(secret: str) -> Signer:
    return Signer(secret, salt=CALENDAR_SALT)


def calendar_token(secret: str, company_key: str, version: int = 0) -> str:
    """Version 0 signs the key alone (the links made before rotation existed stay valid until rotated)."""
    payload = company_key if not version else f"{company_key}:{version}"
    return _calendar_signer(secret).sign(payload.encode()).decode()


def read_calendar_token(secret: str, token: str) -> tuple[str, int] | None:
    """(company key, version), or None for a forged token (itsdangerous compares in constant time)."""
    try:
        payload = _calendar_signer(secret).unsign(token.encode()).decode()
    except (BadSignature, UnicodeError):
        return None
    key, _, version = payload.partition(":")
    if version and not version.isdigit():
        return None
    return key, int(version or 0)


def calendar_url(site_url: str, secret: str, company_key: str, version: int) -> str:
    return f"{site_url}/calendar/company/{calendar_token(secret, company_key, version)}.ics"
