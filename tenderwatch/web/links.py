"""The company links a digest carries, built in one place (the alerts engineer uses the same paths).

- ``/preferences/{token}``: the preferences page (signed, expiring token, purpose "preferences").
- ``/u/{token}``: RFC 8058 one-click unsubscribe (purpose "unsubscribe"); the ``List-Unsubscribe``
  header points here and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` goes with it.
- ``/calendar/company/{token}.ics``: the company's deadline calendar. A calendar subscription must
  keep working for months, so this token does not expire; it is signed with its own salt, only
  reveals which open calls match the profile, and is revoked by rotating the secret key.
"""

from __future__ import annotations

from itsdangerous import BadSignature, Signer

from alerts.tokens import make_token
from tenderwatch.config import Settings

CALENDAR_SALT = "tenderwatch-company-calendar"


def _calendar_signer(secret: str) -> Signer:
    return Signer(secret, salt=CALENDAR_SALT)


def calendar_token(secret: str, company_key: str) -> str:
    return _calendar_signer(secret).sign(company_key.encode()).decode()


def read_calendar_token(secret: str, token: str) -> str | None:
    """The company key, or None for a forged token (itsdangerous compares in constant time)."""
    try:
        return _calendar_signer(secret).unsign(token.encode()).decode()
    except (BadSignature, UnicodeError):
        return None


def company_links(settings: Settings, secret: str, company_key: str) -> dict[str, str]:
    """Absolute URLs for one company: preferences, one-click unsubscribe, calendar."""
    base = settings.site_base_url
    return {
        "preferences": f"{base}/preferences/{make_token(settings, company_key, 'preferences')}",
        "unsubscribe": f"{base}/u/{make_token(settings, company_key, 'unsubscribe')}",
        "calendar": f"{base}/calendar/company/{calendar_token(secret, company_key)}.ics",
    }
