"""Helpers for the scheduler tests: a config folder edited per test, an ``Operations`` on the test database."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from scheduling.jobs import Operations
from tenderwatch.config import Config, load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.sync import sync_config


def deep_update(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def listing_source(name: str, path: str, **extra: Any) -> dict[str, Any]:
    """A real ``html_list`` source reading the synthetic page tests/fixtures/example.org/list.html."""
    return {"name": name, "kind": "html_list", "organisation": "CERN",
            "start_urls": [f"https://example.org/{path}"],
            "options": {"rows": "li", "fields": {"title": "a::text", "reference": "span::text",
                                                 "url": "a::attr(href)"}}, **extra}


@pytest.fixture
def configure(config_dir: Path, engine: Engine, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Callable[..., Config]:
    """Rewrite the test's config folder (sources, settings changes), reload it and sync it into the database.

    Mail goes to an outbox in the test's folder; the secret key for signed links is set.
    """
    monkeypatch.setenv("TENDERWATCH_SECRET_KEY", "scheduler-tests-secret-key-0123456789")

    def apply(*, sources: list[dict[str, Any]] | None = None, settings: dict[str, Any] | None = None) -> Config:
        path = config_dir / "settings.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        deep_update(data, {"mail": {"backend": "outbox", "outbox": str(tmp_path / "outbox")},
                           "crawl": {"politeness_floor_seconds": 0}})
        deep_update(data, settings or {})
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        if sources is not None:
            (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
        cfg = load_config(config_dir)
        with session_scope(engine) as session:
            sync_config(session, cfg)
        return cfg

    return apply


@pytest.fixture
def make_ops(engine: Engine, db_url: str) -> Callable[..., Operations]:
    def build(config: Config, **kwargs: Any) -> Operations:
        return Operations(config, engine, db_url, **kwargs)

    return build


REFUSED = "Connection was refused by other side: 111: Connection refused."
"""How a refused connection reads in a crawl run's problems."""


def refuse_everything() -> dict[str, str]:
    """A URL rewrite sending every request to a loopback port nothing listens on: each is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return {"https://": f"http://127.0.0.1:{port}/https/", "http://": f"http://127.0.0.1:{port}/http/"}


def health_mails(outbox: Path) -> list[email.message.EmailMessage]:
    """The administrator's health mails in an outbox folder, oldest first."""
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in sorted(outbox.rglob("*.eml"))]
    return [m for m in mails if m["X-Tenderwatch-Kind"] == "health"]  # type: ignore[misc]


def body_of(mail: email.message.EmailMessage) -> str:
    """A text mail's body with plain newlines (the outbox keeps the wire's CRLF)."""
    return str(mail.get_content()).replace("\r\n", "\n")


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll until ``condition`` holds (a bounded wait for another thread or process, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
