"""Fixtures of the reliability suite: the figures recorder, and fast Scrapy settings for fault tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.support import secret, smtp, smtp_config  # noqa: F401  (fixtures)
from tests.reliability.figures import Figures


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    yield Figures(request.node.nodeid)
