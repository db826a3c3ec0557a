"""Alert test support: a real SMTP server (aiosmtpd) on a loopback port chosen by the OS, a config
that sends through it, and helpers that store companies and notices through the real paths."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, delete

from pipeline.ingest import Ingestor
from pipeline.records import AreaScore, Money, NoticeRecord
from tenderwatch.config import CompanyConfig, Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.sync import sync_config

NOW = datetime(2025, 6, 4, 8, 0, tzinfo=UTC)
"""A Wednesday in ISO week 2025-W23."""
SECRET = "test-secret-" + "x" * 20


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Recorder:
    """aiosmtpd handler: keeps what it received; can refuse recipients or fail after N messages."""

    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    fail_after: int | None = None
    """From this many accepted messages on, answer MAIL FROM with ``fail_reply``."""
    fail_reply: str = "421 4.3.2 service shutting down"
    on_fail: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.fail_after is not None and len(self.received) >= self.fail_after:
            if self.on_fail is not None:
                self.on_fail()
            return self.fail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, raw))  # type: ignore[arg-type]
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


class LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: reads back the port the OS chose before its readiness probe."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, LoopbackController]]:
    recorder = Recorder()
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    yield recorder, controller
    controller.stop()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TENDERWATCH_SECRET_KEY", SECRET)
    return SECRET


@pytest.fixture
def smtp_config(config: Config, smtp: tuple[Recorder, LoopbackController], secret: str) -> Config:
    """The test config, sending through the loopback SMTP server (plain, no login)."""
    _recorder, controller = smtp
    mail = config.settings.mail
    mail.backend = "smtp"
    mail.smtp.host, mail.smtp.port, mail.smtp.security = "127.0.0.1", controller.port, "none"
    mail.smtp.timeout_seconds = 5
    return config


def company(key: str, **kw: Any) -> CompanyConfig:
    data: dict[str, Any] = {"name": key.replace("-", " ").title(), "recipients": [f"{key}@example.nl"],
                            "country": "NL", "language": "en"}
    data.update(kw)
    return CompanyConfig(key=key, **data)


def set_companies(engine: Engine, config: Config, companies: list[CompanyConfig]) -> None:
    """Replace the config's companies (and the database's: the shipped sample companies go)."""
    config.companies = companies
    with session_scope(engine) as s:
        s.execute(delete(Company).where(Company.key.not_in([c.key for c in companies])))
        sync_config(s, config)


def notice(external_id: str, title: str, *, organisation: str = "CERN", days: float = 20,
           eligible: list[str] | None = None, cpv: list[str] | None = None, value: str | None = None,
           currency: str = "EUR", description: str | None = None, url: str | None = None,
           notice_type: str = "invitation_to_tender", status: str = "open", deadline: datetime | None = None,
           areas: list[str] | None = None, now: datetime = NOW) -> NoticeRecord:
    """A notice record; ``areas`` given explicitly so tests do not depend on the classifier's rules."""
    return NoticeRecord(
        organisation=organisation, source=f"test-{organisation.lower()}", external_id=external_id,
        reference=f"REF-{external_id}", notice_type=notice_type, title=title, description=description,
        url=url if url is not None else f"https://example.org/calls/{external_id}",
        deadline_at=deadline or (now + timedelta(days=days)), cpv_codes=cpv or [],
        estimated_value=Money(amount=Decimal(value), currency=currency) if value else None,
        eligible_countries=eligible, status=status,
        technology_areas=None if areas is None else [
            AreaScore(id=a, score=0.9, evidence=[f"title:{title.split(maxsplit=1)[0].lower()}"]) for a in areas],
    )


def store(engine: Engine, config: Config, records: list[NoticeRecord], now: datetime = NOW) -> None:
    with Ingestor(engine, config, now=now) as ing:
        for rec in records:
            ing.add(rec)


OBSOLETE_ATTRIBUTES = {"width", "height", "cellpadding", "cellspacing", "bgcolor", "align", "valign", "border",
                       "color", "face", "size"}
"""Presentational attributes HTML5 made obsolete in favour of CSS (the vnu checker reports each)."""


class HtmlTags(HTMLParser):
    """The tags, attributes and links of an HTML mail part (what a strict checker would look at first)."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name) for name, _value in attrs]
        self.links += [value or "" for name, value in attrs if name == "href"]

    @classmethod
    def of(cls, html: str) -> HtmlTags:
        tags = cls()
        tags.feed(html)
        tags.close()
        return tags

    def obsolete(self) -> list[tuple[str, str]]:
        return [(tag, name) for tag, name in self.attributes if name in OBSOLETE_ATTRIBUTES]

