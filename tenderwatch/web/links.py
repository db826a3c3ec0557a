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
  Its token is made in ``alerts.tokens`` (a digest may link the calendar: ``digest.calendar: link``).
"""

from __future__ import annotations

from alerts.tokens import CALENDAR_SALT, calendar_token, calendar_url, make_token, read_calendar_token
from tenderwatch.config import Settings

__all__ = ["CALENDAR_SALT", "calendar_token", "calendar_url", "company_links", "read_calendar_token"]


def company_links(settings: Settings, secret: str, company_key: str, calendar_version: int = 0) -> dict[str, str]:
    """Absolute URLs for one company: preferences, one-click unsubscribe, calendar."""
    base = settings.site_base_url
    return {
        "preferences": f"{base}/preferences/{make_token(settings, company_key, 'preferences')}",
        "unsubscribe": f"{base}/u/{make_token(settings, company_key, 'unsubscribe')}",
        "calendar": calendar_url(base, secret, company_key, calendar_version),
    }

