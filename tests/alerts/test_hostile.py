"""Scraped text is hostile: markup is escaped, header injection is impossible, huge text is bounded."""

from __future__ import annotations

from datetime import timedelta

from alerts.digest import run_digests
from alerts.message import address, build_message, header_text
from alerts.notify import run_ilo_notifications
from tests.alerts.support import NOW, company, notice, set_companies, store

SCRIPT = "<script>alert('x')</script>"


def test_hostile_titles_are_escaped_and_bounded(engine, smtp_config, smtp):
    recorder, _ = smtp
    set_companies(engine, smtp_config, [
        company("evil", name="Evil\r\nBcc: victim@example.com\r\nX-Injected: yes", areas=["vacuum"]),
        company("unicode", name="Ørsted Ünïcødé B.V. 株式会社", areas=["vacuum"]),
    ])
    huge = "leak " * 20_000  # 100 kB
    store(engine, smtp_config, [
        notice("h1", f"{SCRIPT} vacuum chamber\r\nBcc: victim@example.com " + "x" * 100_000, areas=["vacuum"],
               description=huge, url="javascript:alert(1)", now=NOW - timedelta(hours=2)),
        notice("h2", "Vacuum pumps <b onmouseover=alert(1)>bold</b> & co", areas=["vacuum"],
               now=NOW - timedelta(hours=2)),
    ], now=NOW - timedelta(hours=2))
    report = run_digests(engine, smtp_config, now=NOW)
    assert report.sent == 2
    for received in recorder.received:
        msg = received.message
        assert received.rcpt_tos in (["evil@example.nl"], ["unicode@example.nl"])  # no Bcc smuggled in
        assert "Bcc" not in msg and "X-Injected" not in msg
        assert len(received.raw) < 60_000, "a 100 kB title and description must not make a 100 kB mail"
        html = msg.get_body(preferencelist=("html",)).get_content()
        assert SCRIPT not in html and "&lt;script&gt;" in html
        assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;" in html
        assert 'href="javascript:' not in html
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert "x" * 400 not in text and "…" in text  # the title is cut at 300 characters
    (evil,) = recorder.to("evil@example.nl")
    assert "Evil Bcc: victim@example.com X-Injected: yes" in str(evil["Subject"])
    (uni,) = recorder.to("unicode@example.nl")
    assert "Ørsted Ünïcødé B.V. 株式会社" in str(uni["Subject"])
    assert uni["To"].addresses[0].display_name == "Ørsted Ünïcødé B.V. 株式会社"
    raw_headers = recorder.received[0].raw.split(b"\r\n\r\n", 1)[0]
    assert all(b < 128 for b in raw_headers), "headers go out RFC 2047-encoded, never raw 8-bit"


def test_ilo_notification_escapes_hostile_titles(engine, smtp_config, smtp):
    recorder, _ = smtp
    store(engine, smtp_config, [notice("h3", f"{SCRIPT} magnet", areas=["magnets"], now=NOW)], now=NOW)
    run_ilo_notifications(engine, smtp_config, now=NOW + timedelta(minutes=5))
    (msg,) = recorder.to("ilo-cern@example.nl")
    assert msg["X-Tenderwatch-Kind"] == "ilo-notification"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert SCRIPT not in html and "&lt;script&gt;" in html


def test_header_values_are_single_lines():
    assert header_text("a\r\nBcc: x@y\u2028z\x00") == "a Bcc: x@y z"
    assert len(header_text("y" * 5000)) == 200
    msg = build_message(kind="health", from_address="Tenderwatch <tw@example.org>",
                        to=[address("Admin\nBcc: x@y", "admin@example.org")], subject="s\r\nX-Evil: 1", text="t")
    assert "X-Evil" not in msg and msg["X-Tenderwatch-Kind"] == "health"
    for bad in ("a@b.c\r\nBcc: x@y", "a@b.c, x@y", "<a@b.c>"):
        try:
            address("n", bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted as an address")
