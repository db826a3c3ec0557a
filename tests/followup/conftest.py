"""The follow-up tests use the alert tests' real SMTP server on loopback and their secret, the web tests' site
and their Chromium."""

from tests.alerts.support import secret, smtp, smtp_config  # noqa: F401
from tests.web.conftest import client, live_url, secret_env, seeded, web_app  # noqa: F401
from tests.web.test_browser import drive  # noqa: F401  (Chromium on a thread of its own)
