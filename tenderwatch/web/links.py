"""The company links a digest carries, built in one place (the alerts engineer uses the same paths).

- ``/preferences/{token}``: the preferences page (signed, expiring token, purpose "preferences").
- ``/u/{token}``: RFC 8058 one-click unsubscribe (purpose "unsubscribe"); the ``List-Unsubscribe``
  header points here and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` goes with it.
- ``/calendar/company/{token}.ics``: the company's deadline calendar. A calendar subscription must
  keep working for months, so this token does not expire; it is signed with its own salt, only
  reveals which open calls match the profile, and is revoked for one company by raising its
  ``calendar_version`` (the "new calendar link" button of the preferences page, or
  ``tenderwatch links COMPANY --rotate-calendar``), for all by rotating the secret key. The
  response is ``Cache-Control: no-store`` and the access log shows ``/calendar/company/[token].ics``.
"""

from __future__ import annotations

from itsdangerous import BadSignature, Signer

from alerts.tokens import make_token
from tenderwatch.config import Settings

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


def company_links(settings: Settings, secret: str, company_key: str, calendar_version: int = 0) -> dict[str, str]:
    """Absolute URLs for one company: preferences, one-click unsubscribe, calendar."""
    base = settings.site_base_url
    return {
        "preferences": f"{base}/preferences/{make_token(settings, company_key, 'preferences')}",
        "unsubscribe": f"{base}/u/{make_token(settings, company_key, 'unsubscribe')}",
        "calendar": calendar_url(base, secret, company_key, calendar_version),
    }


def calendar_url(site_url: str, secret: str, company_key: str, version: int) -> str:
    return f"{site_url}/calendar/company/{calendar_token(secret, company_key, version)}.ics"
