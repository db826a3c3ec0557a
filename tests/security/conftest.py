"""Fixtures of the security tests: the web fixtures (seeded database, app, test client, live uvicorn) and
the reliability figures, to which each attack reports what it tried and whether it was stopped
(``make reliability`` prints them as the attacks table)."""

from tests.reliability.conftest import figures  # noqa: F401  (fixture)
from tests.web.conftest import client, live_url, secret_env, seeded, web_app  # noqa: F401  (fixtures)
