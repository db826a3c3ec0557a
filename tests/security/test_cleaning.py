"""Issue 18 findings 4, 9 and 10: every field of every path in is cleaned and bounded in one step
(``pipeline.cleaning.clean_record``, called by the store), only http(s) URLs are stored or
published, hosts mixing scripts are shown in punycode, and ids the project did not make are
replaced when they are unsafe in a URL or a header."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from pipeline.importers import read_jsonl
from pipeline.ingest import Ingestor
from pipeline.ocds import export_ocds
from pipeline.ted.parse import parse_notice
from tenderwatch.atom import atom_feed
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeSource

TED = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"
FUTURE = (datetime.now(UTC) + timedelta(days=30)).isoformat()
RLO, LRM, ZWSP = "\u202e", "\u200e", "\u200b"


def _line(**fields: object) -> str:
    base: dict[str, object] = {"id": "tw-0000000000aa0000000000000001", "source": "import-test",
                               "title": "Cryostat", "status": "open", "deadline_at": FUTURE}
    base.update(fields)
    return json.dumps(base)


def _import(engine, config, *lines: str) -> list[Notice]:
    with Ingestor(engine, config) as ing:
        for item in read_jsonl(io.StringIO("\n".join(lines) + "\n"), "test.jsonl"):
            assert not hasattr(item, "reason"), item
            ing.add(item)
    with session_scope(engine) as s:
        notices = list(s.scalars(select(Notice).order_by(Notice.id)))
        s.expunge_all()
        return notices


def test_every_json_lines_field_is_cleaned_and_bounded(engine, config, figures) -> None:
    (n,) = _import(engine, config, _line(
        title=f"Cryo{ZWSP}stat {LRM}for {RLO}magnets\x1b]0;pwned\x07",
        reference="REF-1\r\nX-Injected: yes" + "x" * 2_000_000,
        buyer={"name": f"CERN {RLO}evil", "country": "c" * 100_000},
        estimated_value={"amount": 100, "currency": "E" * 100_000},
        languages=["en", "x" * 10_000], cpv_codes=["42123000", "9" * 50_000],
        eligible_countries=["NL", "<script>"], warnings=["w\x1b[8m" * 3]))
    figures.attack("import: 2 MB reference with CR/LF, U+202E in buyer, 100 kB currency and country codes, "
                   "zero-width and ESC in title", stopped=n.title == "Cryostat for magnets]0;pwned"
                   and len(n.reference or "") <= 200 and n.buyer_name == "CERN evil" and n.value_currency is None,
                   detail=f"title {n.title!r}, reference {len(n.reference or '')} chars, currency {n.value_currency}")
    assert n.title == "Cryostat for magnets]0;pwned"
    assert n.reference is not None and len(n.reference) <= 200 and "\r" not in n.reference and "\n" not in n.reference
    assert n.buyer_name == "CERN evil"
    assert n.buyer_country is None and n.value_amount is None and n.value_currency is None
    assert n.languages == ["en"] and n.cpv_codes == ["42123000"] and n.eligible_countries == ["NL"]
    assert all("\x1b" not in w for w in n.warnings)
    assert any("estimated value dropped" in w for w in n.warnings)


def test_only_http_urls_are_stored_and_published(engine, config, figures) -> None:
    lines = [_line(id=f"tw-00000000000{i}", title=f"Call {i}", url=url, documents_url=url,
                   sources=[{"name": "import-test", "url": url, "external_id": f"E-{i}"}])
             for i, url in enumerate(["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)",
                                      "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)",
                                      "//evil.example/x", "https://ok.example/notice?id=1"])]
    notices = _import(engine, config, *lines)
    assert [n.url for n in notices] == [None] * 5 + ["https://ok.example/notice?id=1"]
    assert [n.documents_url for n in notices][:5] == [None] * 5
    with session_scope(engine) as s:
        assert set(s.scalars(select(NoticeSource.url))) <= {None, "https://ok.example/notice?id=1"}
        stored = list(s.scalars(select(Notice)))
        atom = atom_feed(stored, feed_id="urn:x", title="t", self_url="https://s/x", site_url="https://s",
                         area_labels={}, timezone="UTC").decode()
    ocds = io.StringIO()
    export_ocds(engine, config, ocds)
    leaks = sum(published.lower().count(scheme) for published in (atom, ocds.getvalue())
                for scheme in ("javascript:", "data:", "vbscript:", "//evil"))
    figures.attack("URLs: javascript:, data:, vbscript:, //host in JSON lines url, documents_url, sources",
                   stopped=leaks == 0 and [n.url for n in notices][:5] == [None] * 5,
                   detail=f"{sum(n.url is not None for n in notices[:5])} stored, {leaks} published in Atom/OCDS")
    assert leaks == 0


def test_ted_uri_doc_javascript_is_not_stored(engine, config) -> None:
    data = (TED / "legacy-f02-fair.xml").read_bytes().replace(
        b"https://ted.europa.eu/udl?uri=TED:NOTICE:12345-2021:TEXT:DE:HTML", b"javascript:alert(1)")
    record = parse_notice(data, "x.xml")
    with Ingestor(engine, config) as ing:
        ing.add(record)
    with session_scope(engine) as s:
        assert s.scalar(select(Notice.url)) is None


def test_look_alike_hosts_in_punycode(engine, config) -> None:
    notices = _import(engine, config,
                      _line(id="tw-0000000000000a1", title="A", url="https://аррӏе.com/tender"),
                      _line(id="tw-0000000000000a2", title="B", url="https://münchen.de/ausschreibung"))
    assert notices[0].url == "https://xn--80ak6aa92e.com/tender"
    assert notices[1].url == "https://münchen.de/ausschreibung"  # one script: readable
    with session_scope(engine) as s:  # the sightings (a crawl's links) too
        assert "https://аррӏе.com/tender" not in set(s.scalars(select(NoticeSource.url)))


def test_unsafe_ids_from_imports_are_replaced(engine, config, client, seeded) -> None:
    _import(engine, config,
            _line(id="tw-../../admin?x=1#", call_id='a"b/c?d#e', title="Hostile ids", external_id="H-1"))
    with session_scope(engine) as s:
        n = s.scalars(select(Notice).where(Notice.title == "Hostile ids")).one()
        uid, call = n.uid, n.call_uid
        assert any("replaced" in w for w in n.warnings)
    for value in (uid, call):
        assert not set(value) & set('/?#"\'% ')
    assert client.get(f"/calls/{call}").status_code == 200
