"""Abuse: hostile scraped text in pages and mails, links outside the allow-list, path traversal
in the outbox, forged or expired tokens, secrets in output, spiders leaving their domains, and
XML that tries to reach the file system or the network."""

from __future__ import annotations

import inspect
import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import itsdangerous.signer
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alerts.digest import run_digests
from alerts.ledger import Outgoing
from alerts.tokens import TokenError, make_token, read_token
from alerts.transport import OutboxTransport
from pipeline.ingest import Ingestor
from pipeline.records import AreaScore, Money, NoticeRecord
from pipeline.ted.parse import parse_notice
from pipeline.ted.safexml import BadXmlError, UnsafeXmlError
from spiders.kinds.preview import preview
from spiders.runner import crawl_async
from tenderwatch.cli import app, load_commands
from tenderwatch.config import load_config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company, Notice
from tenderwatch.loopback import FixtureServer
from tests.alerts.support import NOW, company, set_companies
from tests.conftest import deferred_test
from tests.reliability.figures import Figures
from tests.reliability.sites import FAST, notices_of, write_sources
from tests.reliability.test_fuzz import FUZZ_SOURCES
from tests.web.conftest import client, secret_env, seeded, web_app  # noqa: F401  (fixtures)

SCRIPT = "<script>alert('x')</script>"
RLO = "\u202e"
HOMOGRAPH = "https://аррӏе.com/tender"  # Cyrillic letters that look like "apple"
HOSTILE_TITLE = f"{SCRIPT}Cryostat <img src=x onerror=alert(1)> {RLO}fdp.exe\r\nBcc: victim@example.com"


def hostile(uid: str) -> NoticeRecord:
    return NoticeRecord(
        id=uid, source="hostile", external_id=uid, organisation="CERN", reference=f"H-{uid}",
        notice_type="invitation_to_tender", title=HOSTILE_TITLE, description="<b onmouseover=alert(1)>x</b> " * 50_000,
        url="javascript:alert(document.cookie)", documents_url=HOMOGRAPH,
        deadline_at=NOW + timedelta(days=20), estimated_value=Money(amount=Decimal(1), currency="EUR"),
        technology_areas=[AreaScore(id="cryogenics", score=0.9, evidence=["test"])])


# --------------------------------------------------------------------------- hostile text


def test_hostile_text_in_web_pages(client, engine, config, seeded, figures: Figures) -> None:  # noqa: F811
    with Ingestor(engine, config) as ing:
        ing.add(hostile("tw-hostile-web"))
    with session_scope(engine) as s:
        call = s.scalar(select(Notice.call_uid).where(Notice.uid == "tw-hostile-web"))
    with figures.fault("abuse: hostile text", "script, handlers, javascript:, RLO, CR/LF, 1 MB, homograph: web"):
        for path in ("/calls", f"/calls/{call}", "/calls?q=Cryostat", "/feeds/area/cryogenics.atom",
                     "/calendar/area/cryogenics.ics"):  # /calls.csv is data, not markup
            response = client.get(path)
            assert response.status_code == 200, path
            body = response.text
            assert SCRIPT not in body and "<img src=x" not in body and "<b onmouseover" not in body, path
            assert 'href="javascript:' not in body and "href='javascript:" not in body, path
            assert RLO not in body, f"{path}: a right-to-left override reaches the page"
            assert len(body) < 600_000, f"{path}: a 1 MB description is not bounded"
        page = client.get(f"/calls/{call}").text
        assert f'href="{HOMOGRAPH}"' not in page, "a homograph link is shown as its punycode host, not a look-alike"


def test_hostile_text_in_mails(engine, smtp_config, smtp, figures: Figures) -> None:
    recorder, _ = smtp
    set_companies(engine, smtp_config, [company("victim", areas=["cryogenics"])])
    with Ingestor(engine, smtp_config, now=NOW - timedelta(hours=2)) as ing:
        ing.add(hostile("tw-hostile-mail"))
    with figures.fault("abuse: hostile text", "script, handlers, javascript:, RLO, CR/LF, 1 MB, homograph: mail"):
        assert run_digests(engine, smtp_config, now=NOW).sent == 1
        (received,) = recorder.received
        msg = received.message
        assert received.rcpt_tos == ["victim@example.nl"] and "Bcc" not in msg
        assert len(received.raw) < 200_000
        html = msg.get_body(preferencelist=("html",)).get_content()
        text = msg.get_body(preferencelist=("plain",)).get_content()
        for part in (html, text, str(msg["Subject"])):
            assert RLO not in part, "a right-to-left override reaches the mail"
        assert SCRIPT not in html and "<img src=x" not in html and 'href="javascript:' not in html
        assert f'href="{HOMOGRAPH}"' not in html


# --------------------------------------------------------------------------- the outbox


@pytest.mark.parametrize("kind,recipient", [
    ("digest", "../../../../tmp/evil@example.org"),
    ("../../escape", "a@example.org"),
    ("/etc", "a@example.org"),
    ("digest", "..\\..\\x@example.org"),
])
def test_outbox_names_cannot_escape(tmp_path: Path, kind: str, recipient: str, figures: Figures) -> None:
    outbox = tmp_path / "outbox"
    with figures.fault("abuse: outbox", f"kind {kind!r}, recipient {recipient!r}"):
        item = Outgoing(recipient=recipient, kind=kind, period_key="2025-W23", data="Subject: x\r\n\r\nbody\r\n",
                        id=7, created_at=datetime(2025, 6, 4, tzinfo=UTC))
        where = outbox / OutboxTransport(outbox).send(item, sender="tw@example.org").removeprefix("outbox:")
        assert outbox.resolve() in where.resolve().parents
        assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == [where, where.with_suffix(".html")]


# --------------------------------------------------------------------------- tokens


def test_tokens_forged_expired_or_misused_change_nothing(client, engine, config, seeded, figures: Figures) -> None:  # noqa: F811
    settings = config.settings
    key = "groningen-rf"

    def subscribed() -> bool:
        with session_scope(engine) as s:
            return s.scalar(select(Company.unsubscribed_at).where(Company.key == key)) is None

    good = make_token(settings, key, "unsubscribe")
    forged = [good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"), good.replace(".", "", 1),
              make_token(settings, "other-company", "unsubscribe")[:-8] + good[-8:], "", "a" * 5000]
    with figures.fault("abuse: tokens", "forged, expired and wrong-purpose links"):
        for token in forged:
            with pytest.raises(TokenError):
                read_token(settings, token, "unsubscribe")
            if token:
                r = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
                assert r.status_code in (403, 404), token
        with pytest.raises(TokenError, match="expired"):
            read_token(settings, good, "unsubscribe", max_age_seconds=-1)
        with pytest.raises(TokenError):  # an unsubscribe link does not open the preferences page
            read_token(settings, good, "preferences")
        assert client.get(f"/preferences/{good}").status_code in (403, 404)
        assert subscribed()
        # itsdangerous compares signatures with hmac.compare_digest (constant time)
        assert "compare_digest" in inspect.getsource(itsdangerous.signer.SigningAlgorithm.verify_signature)
        assert client.post(f"/u/{good}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert not subscribed()


# --------------------------------------------------------------------------- secrets


def test_secrets_never_in_output_logs_or_errors(tmp_path: Path, config_dir: Path, db_url: str, monkeypatch,
                                                smtp, caplog, figures: Figures) -> None:
    _recorder, controller = smtp
    smtp_password, secret_key = "smtp-PASSWORD-8e1f2a", "secret-KEY-77c0d9e4b1a2"
    monkeypatch.setenv("TENDERWATCH_SMTP_PASSWORD", smtp_password)
    monkeypatch.setenv("TENDERWATCH_SECRET_KEY", secret_key)
    monkeypatch.setenv("TENDERWATCH_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("TENDERWATCH_DATABASE_URL", db_url)
    import yaml

    settings = yaml.safe_load((config_dir / "settings.yaml").read_text())
    settings["mail"].update(backend="smtp", smtp={"host": "127.0.0.1", "port": controller.port, "security": "none",
                                                  "username": "tenderwatch", "timeout_seconds": 5})
    (config_dir / "settings.yaml").write_text(yaml.safe_dump(settings))
    load_commands()
    runner = CliRunner()
    outputs = []
    with figures.fault("abuse: secrets", "SMTP password and secret key in env; config check, digest, deliver"), \
            caplog.at_level(logging.DEBUG):
        for args in (["config", "check"], ["db", "upgrade"], ["sources", "list"], ["digest"], ["deliver"],
                     ["links", "acme"]):
            result = runner.invoke(app, args)
            outputs.append(result.output + (repr(result.exception) if result.exception else ""))
        with session_scope(__import__("tenderwatch.db.engine", fromlist=["make_engine"]).make_engine(db_url)) as s:
            from tenderwatch.db.models import Delivery, Source

            stored = " ".join(str(x) for x in s.scalars(select(Delivery.last_error))) + " ".join(
                str(x) for x in s.scalars(select(Source.last_error)))
        everything = "\n".join([*outputs, caplog.text, stored])
        assert smtp_password not in everything and secret_key not in everything


# --------------------------------------------------------------------------- spiders stay on their domains


@deferred_test
async def test_spider_follows_links_only_within_allowed_domains(config_dir: Path, engine, server: FixtureServer,
                                                                figures: Figures) -> None:
    listing = (Path(__file__).parents[1] / "fixtures" / "faults.example.org" / "list.html").read_text()
    listing = listing.replace('href="/d/2.html"', 'href="https://evil.example.net/d/2.html"')
    listing = listing.replace('href="/d/3.html"', 'href="javascript:alert(1)"')
    write_sources(config_dir)
    cfg = load_config(config_dir)
    with session_scope(engine) as s:
        from tenderwatch.sync import sync_config

        sync_config(s, cfg)
    with figures.fault("abuse: offsite", "detail links to another domain and to javascript:"):
        server.override("/faults.example.org/list.html", body=listing.encode())
        rewrite = server.rewrite_for("faults.example.org", "evil.example.net")  # evil would be answered locally
        await crawl_async(cfg, engine, ["faults"], url_rewrite=rewrite, extra_settings=FAST)
        assert server.requests["/evil.example.net/d/2.html"] == 0, "an offsite link was fetched"
        stored = notices_of(engine, "faults")
        assert set(stored) == {"FX-001", "FX-002", "FX-003"}
        assert stored["FX-002"].description is None and stored["FX-003"].url is None


# --------------------------------------------------------------------------- XML that reaches out


def _xml_attacks(base: str) -> dict[str, bytes]:
    return {
        "XXE file": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    b"<TED_EXPORT>&e;</TED_EXPORT>",
        "external DTD": f'<?xml version="1.0"?><!DOCTYPE x SYSTEM "{base}/net/evil.dtd"><TED_EXPORT/>'.encode(),
        "parameter entity": f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "{base}/net/p.dtd"> %p;]>'
                            f"<TED_EXPORT/>".encode(),
        "DTD after 8 kB of comments": (f'<?xml version="1.0"?><!--{"x" * 8192}-->'
                                       f'<!DOCTYPE x SYSTEM "{base}/net/late.dtd"><TED_EXPORT/>').encode(),
        "billion laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)) +
            b"]><TED_EXPORT>&j;</TED_EXPORT>",
    }


@pytest.mark.parametrize("attack", ["XXE file", "external DTD", "parameter entity", "DTD after 8 kB of comments",
                                    "billion laughs"])
def test_xml_parsers_stay_offline_and_bounded(attack: str, server: FixtureServer, config_dir: Path, engine,
                                              figures: Figures) -> None:
    data = _xml_attacks(server.base)[attack]
    with figures.fault("abuse: XML", attack):
        started = time.monotonic()
        with pytest.raises((UnsafeXmlError, BadXmlError)):  # refused before parsing, or by lxml's no_network
            parse_notice(data, "attack.xml")
        assert time.monotonic() - started < 2
        # the same document as an RSS feed, through the feed spider's parser
        feed = data.replace(b"<TED_EXPORT>", b"<rss><channel><item><title>").replace(
            b"</TED_EXPORT>", b"</title></item></channel></rss>").replace(b"<TED_EXPORT/>", b"<rss/>")
        write_sources(config_dir, FUZZ_SOURCES)
        cfg = load_config(config_dir)
        result = preview(cfg.source("fz-feed"), cfg, engine,
                         "https://fuzz.example.org/calls.rss", feed, "application/rss+xml")
        assert all("root:" not in str(n.get("title")) for n in result.notices)
        assert all(len(str(n.get("title") or "")) < 10_000 for n in result.notices)
        assert not [p for p in server.requests if p.startswith("/net/")], "an XML parser went to the network"
