"""Fixtures of the security tests: the web fixtures (seeded database, app, test client, live uvicorn)."""

from tests.web.conftest import client, live_url, secret_env, seeded, web_app  # noqa: F401  (fixtures)
