"""Issue 18 findings 6 (headers on error responses), 7 (tokens out of the access log, company
calendars not cached and rotatable), 8 (the Host header is not trusted) and 9 (headers built by a
library that quotes; hostile call ids)."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from alerts.tokens import make_token
from pipeline.importers import read_jsonl
from pipeline.ingest import Ingestor
from tenderwatch.web.links import calendar_token
from tenderwatch.web.security import CSP
from tests.web.test_site import _csrf, _login

ROOT = Path(__file__).resolve().parents[2]


def _has_security_headers(response: httpx.Response) -> None:
    assert response.headers.get("content-security-policy") == CSP, response.status_code
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("referrer-policy") == "same-origin"


def test_error_responses_carry_the_security_headers(web_app, seeded, monkeypatch, figures) -> None:
    from tenderwatch.web import queries

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    with TestClient(web_app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        not_found = client.get("/no/such/page")
        wrong_method = client.post("/calls")
        bad_host = client.get("/calls", headers={"host": "evil.example"})
        static_missing = client.get("/static/nothing.css")
        monkeypatch.setattr(queries, "calls_statement", broken)
        server_error = client.get("/calls")
    responses = (not_found, wrong_method, bad_host, static_missing, server_error)
    figures.attack("headers: 404, 405, refused host, missing static file, 500",
                   stopped=all(r.headers.get("content-security-policy") == CSP for r in responses),
                   detail=" ".join(f"{r.status_code}:{'CSP' if r.headers.get('content-security-policy') else 'none'}"
                                   for r in responses))
    assert [r.status_code for r in responses] == [404, 405, 400, 404, 500]
    for response in (not_found, wrong_method, bad_host, static_missing, server_error):
        _has_security_headers(response)
    assert "database went away" not in server_error.text and "Traceback" not in server_error.text


def test_the_host_header_is_not_trusted(client, seeded, engine, config, figures) -> None:
    evil = client.get("/calls", headers={"host": "evil.example"})
    figures.attack("Host: evil.example (links and redirects built from it)", stopped=evil.status_code == 400
                   and "evil.example" not in evil.text, detail=f"-> {evil.status_code}")
    assert evil.status_code == 400
    page = client.get("/calls").text
    assert "evil.example" not in page and "http://127.0.0.1" not in page  # links are site-relative
    assert 'href="/calls?lang=nl"' in page  # the language switch too
    token = make_token(config.settings, "cryovac-delft", "preferences")
    prefs = client.get(f"/preferences/{token}")
    saved = client.post(f"/preferences/{token}", data={"csrf_token": _csrf(prefs.text), "areas": ["cryogenics"],
                                                       "frequency": "weekly", "language": "en"},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/preferences/")


def test_company_tokens_never_reach_the_access_log(config_dir: Path, db_url: str, engine, config, secret_env: str,
                                                   figures) -> None:
    """``tenderwatch serve`` on loopback, for real: the access log shows ``[token]`` in place of tokens."""
    token = make_token(config.settings, "cryovac-delft", "preferences")
    unsubscribe = make_token(config.settings, "cryovac-delft", "unsubscribe")
    calendar = calendar_token(secret_env, "cryovac-delft")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "TENDERWATCH_CONFIG_DIR": str(config_dir), "TENDERWATCH_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "tenderwatch", "--config", str(config_dir), "--database",
                             db_url, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            assert c.get(f"/preferences/{token}").status_code == 200
            assert c.get(f"/u/{unsubscribe}").status_code == 200
            ics = c.get(f"/calendar/company/{calendar}.ics")
            assert ics.status_code == 200 and ics.headers["cache-control"] == "no-store"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    leaked = [s for s in (token, unsubscribe, calendar, calendar.split(".")[-1]) if s in output]
    figures.attack("company tokens in the access log of 'tenderwatch serve' (preferences, unsubscribe, calendar)",
                   stopped=not leaked, detail=f"{len(leaked)} of 3 tokens in the log; calendar Cache-Control: "
                                              f"{ics.headers.get('cache-control')}")
    assert "/preferences/[token]" in output and "/calendar/company/[token].ics" in output, output
    assert not leaked


def test_a_company_calendar_link_can_be_rotated(client, seeded, config, secret_env) -> None:
    old = client.get(f"/calendar/company/{calendar_token(secret_env, 'cryovac-delft')}.ics")
    assert old.status_code == 200 and old.headers["cache-control"] == "no-store"
    token = make_token(config.settings, "cryovac-delft", "preferences")
    prefs = client.get(f"/preferences/{token}").text
    assert client.post(f"/preferences/{token}", data={"csrf_token": _csrf(prefs), "action": "new_calendar_link"},
                       follow_redirects=False).status_code == 303
    assert client.get(f"/calendar/company/{calendar_token(secret_env, 'cryovac-delft')}.ics").status_code == 404
    new = re.search(r'href="[^"]*(/calendar/company/[^"]+\.ics)"', client.get(f"/preferences/{token}").text)
    assert new and client.get(new.group(1)).status_code == 200


@pytest.mark.parametrize("name", ['matching-companies-x";filename="evil.exe.csv', "a\r\nSet-Cookie: x=1.csv",
                                  "réglement ünïcode.csv"])
def test_content_disposition_is_quoted(name: str) -> None:
    from tenderwatch.web.security import attachment

    header = attachment(name)
    msg = Message()
    msg["content-disposition"] = header
    assert "\r" not in header and "\n" not in header
    assert header.count("filename=") == 1 and header.count("filename*=") == 1
    assert msg.get_param("filename", header="content-disposition") == re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")


def test_a_hostile_call_id_cannot_inject_a_header_or_break_its_page(client, seeded, engine, config,
                                                                    figures) -> None:
    line = json.dumps({"id": "tw-000000000000hostile", "source": "import-test", "organisation": "CERN",
                       "title": "Helium cryostat for tests", "status": "open",
                       "call_id": 'x";filename="evil.exe', "deadline_at": "2099-01-01T00:00:00+00:00"})
    with Ingestor(engine, config) as ing:
        for item in read_jsonl(io.StringIO(line + "\n"), "t.jsonl"):
            ing.add(item)
    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Notice

    with session_scope(engine) as s:
        call = s.scalar(select(Notice.call_uid).where(Notice.uid == "tw-000000000000hostile"))
    assert _login(client, username="root-admin").status_code == 303
    assert client.get(f"/calls/{call}").status_code == 200
    csv = client.get(f"/ilo/calls/{call}/companies.csv")
    assert csv.status_code == 200
    disposition = csv.headers["content-disposition"]
    page = client.get(f"/calls/{call}").status_code
    figures.attack("import: call_id 'x\";filename=\"evil.exe' (Content-Disposition, call page)",
                   stopped=disposition.count("filename=") == 1 and "evil" not in disposition and page == 200,
                   detail=f"call page {page}; {disposition}")
    assert disposition.count("filename=") == 1 and "evil" not in disposition
