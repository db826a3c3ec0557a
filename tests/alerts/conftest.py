"""Fixtures of the alert tests live in ``support.py`` (helpers are imported by the tests too)."""

from tests.alerts.support import secret, smtp, smtp_config  # noqa: F401
