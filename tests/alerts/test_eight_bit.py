"""Mails in 8bit: bodies go as UTF-8 text when their lines allow (fewer lines and bytes for the receiving
server), quoted-printable when they do not, and a server that does not advertise 8BITMIME gets the same
mail converted to quoted-printable. Through real aiosmtpd servers on loopback."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from alerts.digest import run_digests
from alerts.ledger import unpack
from alerts.message import address, build_message, parse, serialise, serialise_with_generator
from alerts.outgoing import send_once
from alerts.transport import dot_stuffed, seven_bit
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Delivery
from tests.alerts.support import NOW, LoopbackController, Recorder, company, notice, set_companies, store

TITLE = "Cryostat für 4 K · “quoted” = é"


def _mail(text: str, html: str | None = None) -> EmailMessage:
    return build_message(kind="digest", from_address="Tenderwatch <tw@example.nl>",
                         to=[address("Café B.V.", "a@example.nl")], subject="Week 23 · é", text=text, html=html)


def _cte(msg: EmailMessage) -> list[str]:
    return [str(p["Content-Transfer-Encoding"]) for p in msg.walk() if not p.is_multipart()]


def _lines(wire: bytes) -> list[bytes]:
    assert wire.endswith(b"\r\n") and b"\n" not in wire.replace(b"\r\n", b"")  # CRLF only, no bare CR or LF
    return wire[:-2].split(b"\r\n")


def test_bodies_go_8bit_when_their_lines_allow_and_quoted_printable_when_not() -> None:
    text = f"* {TITLE}\n  https://example.org/{'x' * 300}\n"
    msg = _mail(text, f"<p>{TITLE}</p>\n")
    wire = serialise(msg)
    assert wire == serialise_with_generator(msg)  # the fast path writes what email.generator writes
    raw = wire.encode("ascii", "surrogateescape")
    assert _cte(msg) == ["8bit", "8bit"] and TITLE.encode() in raw  # the UTF-8 text as it is
    assert max(len(line) for line in _lines(raw)) <= 998
    back = BytesParser(policy=policy.default).parsebytes(raw)
    assert back.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n") == text
    assert back["Subject"] == "Week 23 · é"

    long = "y" * 999  # one octet over RFC 5322's limit: not 8bit
    for body in (f"{TITLE}\n{long}\n", f"{TITLE}\rcarriage\n", "nul \x00 byte\n"):
        msg = _mail(body, f"<p>{TITLE}</p>\n")
        wire = serialise(msg)
        assert _cte(msg) == ["quoted-printable", "8bit"], body[-20:]
        assert wire == serialise_with_generator(msg)
        assert max(len(line) for line in _lines(wire.encode("ascii", "surrogateescape"))) <= 998
        plain = parse(wire).get_body(preferencelist=("plain",)).get_content()
        assert plain.replace("\r\n", "\n").replace("\r", "\n") == body.replace("\r", "\n")


def test_seven_bit_turns_8bit_parts_into_quoted_printable_and_keeps_everything_else() -> None:
    msg = _mail(f"* {TITLE}\nplain line\n", f"<p>{TITLE}</p>\n")
    wire = serialise(msg)
    converted = seven_bit(wire)
    assert converted.isascii() and "8bit" not in converted
    assert all(len(line) <= 76 for line in converted.split("\r\n\r\n", 1)[1].split("\r\n"))
    before, after = parse(wire), parse(converted)
    assert before.items() == after.items()  # the message's headers, as they were
    for a, b in zip(before.walk(), after.walk(), strict=True):
        assert a.get_content_type() == b.get_content_type()
        if not a.is_multipart():
            assert b["Content-Transfer-Encoding"] == "quoted-printable"
            assert a.get_content() == b.get_content()
    assert seven_bit(converted) == converted  # nothing 8bit left: unchanged


@pytest.fixture
def world(engine: Engine, smtp_config: Config) -> Config:
    set_companies(engine, smtp_config, [company(f"cryo-{i}", areas=["cryogenics"]) for i in range(3)])
    seen = NOW - timedelta(days=1)
    store(engine, smtp_config, [notice(f"E-{i}", f"{TITLE} {i}", areas=["cryogenics"], now=seen) for i in range(4)],
          now=seen)
    return smtp_config


def _stored(engine: Engine) -> dict[str, str]:
    """The ledger's message per recipient."""
    with session_scope(engine) as s:
        return {r: unpack(m) for r, m in s.execute(select(Delivery.recipient, Delivery.message))}


class _MailArguments(LoopbackController):
    """aiosmtpd as shipped, remembering each MAIL command's argument (it takes BODY= off before any hook)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mail_args: list[str] = []

    def factory(self) -> SMTP:
        controller = self

        class Remember(SMTP):
            async def smtp_MAIL(self, arg: str) -> None:  # aiosmtpd names its command methods so
                controller.mail_args.append(arg)
                await super().smtp_MAIL(arg)

        return Remember(self.handler, **self.SMTP_kwargs)


def test_a_server_with_8bitmime_gets_the_8bit_mail_as_stored(engine: Engine, world: Config) -> None:
    recorder = Recorder()
    controller = _MailArguments(recorder, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        world.settings.mail.smtp.port = controller.port
        assert run_digests(engine, world, now=NOW).sent == 3
    finally:
        controller.stop()
    stored = _stored(engine)
    assert len(controller.mail_args) == 3 and all(a.endswith(" BODY=8BITMIME") for a in controller.mail_args)
    for r in recorder.received:
        assert r.raw.replace(b"\r\n", b"\n") == stored[r.rcpt_tos[0]].encode("ascii", "surrogateescape").replace(
            b"\r\n", b"\n")  # byte for byte what the ledger holds (the server's line ends aside)
        assert _cte(r.message) == ["8bit", "8bit", "8bit"]  # text, HTML, calendar
        assert TITLE in r.raw.decode("utf-8")
        html = r.message.get_body(preferencelist=("html",)).get_content()
        # each call's row: its block on one line, then why, the answer links (HTML, not escaped) and the row's end
        rows = [line for line in html.splitlines() if line.startswith('<div class="why">')]
        assert len(rows) == 4 and all('</div><div class="ans">' in line and line.endswith("</td></tr>")
                                      and line.count('<a href="https://') == 2 for line in rows), rows
        assert "&lt;" not in html


@pytest.fixture
def seven_bit_smtp() -> Iterator[tuple[Recorder, LoopbackController]]:
    """aiosmtpd decoding DATA as ASCII: it does not advertise 8BITMIME and refuses 8bit data ('500 strict ASCII')."""
    recorder = Recorder()
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0, decode_data=True)
    controller.start()
    yield recorder, controller
    controller.stop()


def test_a_server_without_8bitmime_gets_quoted_printable(engine: Engine, world: Config,
                                                          seven_bit_smtp: tuple[Recorder, Any]) -> None:
    recorder, controller = seven_bit_smtp
    world.settings.mail.smtp.port = controller.port
    report = run_digests(engine, world, now=NOW)
    assert report.sent == 3 and report.failed == 0
    stored = _stored(engine)
    assert all(not data.isascii() for data in stored.values())  # the ledger keeps the 8bit mail
    for r in recorder.received:
        assert r.raw.isascii() and b"8bit" not in r.raw
        assert _cte(r.message) == ["quoted-printable"] * 3
        original = parse(stored[r.rcpt_tos[0]])
        assert r.message["Message-ID"] == original["Message-ID"]
        for a, b in zip(original.walk(), r.message.walk(), strict=True):
            if not a.is_multipart():
                assert a.get_content() == b.get_content()  # the same text
        assert TITLE in r.message.get_body(preferencelist=("plain",)).get_content()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b".", b"..", b". x", b"a.b", b"", b"\xc3\xa9.", b"x"]), max_size=12),
       st.sampled_from([b"\r\n", b"\n"]), st.booleans())
def test_dot_stuffing_is_what_smtplib_sends(lines: list[bytes], end: bytes, final: bool) -> None:
    data = end.join(lines) + (end if final else b"")
    expected = smtplib._quote_periods(data)  # smtplib.SMTP.data's own steps
    expected = (expected if expected.endswith(b"\r\n") else expected + b"\r\n") + b".\r\n"
    assert dot_stuffed(data) == expected


def test_lines_starting_with_a_dot_arrive_as_written(engine: Engine, smtp_config: Config,
                                                     smtp: tuple[Recorder, Any]) -> None:
    recorder, _ = smtp
    text = ".\n..\n. a line that starts with a dot\nthe end.\n."
    status = send_once(engine, smtp_config, recipient="dots@example.nl", kind="health", period_key="dots",
                       message=_mail(text, f"<p>{TITLE}</p>\n.\n"), now=NOW)
    assert status == "sent"
    (received,) = recorder.received
    assert received.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n") == text + "\n"
    assert received.message.get_body(preferencelist=("html",)).get_content().endswith("</p>\r\n.\r\n")
