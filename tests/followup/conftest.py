"""The follow-up tests use the alert tests' real SMTP server on loopback and their secret."""

from tests.alerts.support import secret, smtp, smtp_config  # noqa: F401
from tests.web.conftest import client, secret_env, seeded, web_app  # noqa: F401
