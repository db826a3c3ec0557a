"""Property-based fuzzing (hypothesis) of every parser that reads input Tenderwatch does not control.

HTML listings, RSS/Atom feeds, JSON APIs and CSV documents go through the configured generic
spiders (their real ``parse``, as ``tenderwatch sources test`` runs it) and then ``normalise``;
TED XML goes through ``pipeline.ted.parse_notice``; JSON lines through the importer; YAML through
the config loader. Inputs are generated from scratch (random structure, hostile text) and by
mutating the real fixture files. The property: nothing but the documented refusal
(``ValueError`` for a record that cannot be a notice, ``ConfigError`` for a bad config) ever
escapes, extracted text stays bounded, and a refused import line is kept with its raw text.
``TENDERWATCH_FUZZ_EXAMPLES`` raises the example count for a soak run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from pipeline.import_base import Problem
from pipeline.importers import read_jsonl
from pipeline.normalise import normalise
from pipeline.records import MAX_TEXT, NoticeRecord, RawNotice
from pipeline.ted.parse import parse_notice
from spiders.kinds.preview import preview
from tenderwatch.config import Config, ConfigError, load_config
from tenderwatch.loopback import FIXTURES
from tests.reliability.figures import Figures, Tally, examples
from tests.reliability.sites import SOURCES, write_sources

FUZZ = settings(max_examples=examples(60), deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

HOSTILE = st.sampled_from([
    "<script>alert(1)</script>", "\u202eevil\u202c", "\r\nBcc: x@example.com", "\x00\x07\x1b", "javascript:alert(1)",
    "&amp;&lt;&#0;&#x110000;&bogus;", "\ud7ff\ufeff\ufffe", "𝕮𝖗𝖞𝖔", "аррӏе.com", "31/02/2025", "99.99.9999",
    "-1e309 EUR", "1" * 400, "x" * 5000, "", " ", "]]>", "<!--", "<![CDATA[",
])
TEXT = st.one_of(st.text(max_size=200), HOSTILE, st.text(alphabet=st.characters(codec="utf-8"), max_size=50))

FUZZ_SOURCES = [
    *SOURCES,
    {"name": "fz-feed", "kind": "feed", "organisation": "CERN", "start_urls": ["https://fuzz.example.org/calls.rss"]},
    {"name": "fz-json", "kind": "json", "organisation": "ESA", "start_urls": ["https://fuzz.example.org/calls.json"],
     "options": {"items": "items", "fields": {"title": "title", "reference": "ref", "url": "link",
                                               "deadline": "closes", "value": "value"}}},
    {"name": "fz-list", "kind": "html_list", "organisation": "ESO", "start_urls": ["https://fuzz.example.org/l"],
     "options": {"rows": "div.card", "fields": {"title": "h3::text", "url": "a::attr(href)"},
                 "labels": {"Deadline": "deadline", "Reference": "reference", "Value": "value"}}},
    {"name": "fz-csv", "kind": "document", "organisation": "ITER", "start_urls": ["https://fuzz.example.org/c.csv"],
     "options": {"format": "csv", "columns": {"Reference": "reference", "Title": "title", "Deadline": "deadline"}}},
]


@pytest.fixture
def fuzz_config(config_dir: Path, engine: Engine) -> Config:
    write_sources(config_dir, FUZZ_SOURCES)
    return load_config(config_dir)


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    """Splice random bytes into a real document at random places (cut, insert, replace)."""
    out = bytearray(data)
    for where, length, insert in cuts:
        pos = where % max(len(out), 1)
        out[pos:pos + length] = insert
    return bytes(out)


CUTS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=32)), max_size=6)


def run_spider(cfg: Config, engine: Engine, name: str, url: str, body: bytes, ctype: str, tally: Tally) -> None:
    """The property for one page: parse never raises; each notice is bounded and normalises or is refused."""
    source = cfg.source(name)
    assert source is not None
    result = tally.run(lambda: preview(source, cfg, engine, url, body, ctype))
    assert result is not None
    for item in result.notices:
        raw = RawNotice.model_validate(item)
        for value in item.values():
            assert not isinstance(value, str) or len(value) <= MAX_TEXT
        record = Tally(expected=(ValueError,)).run(lambda raw=raw: normalise(raw, cfg))
        if record is not None:
            assert "\u202e" not in record.title and "\r" not in record.title and len(record.title) <= 1000


# --------------------------------------------------------------------------- HTML


@st.composite
def html_tables(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=8))
    header = draw(st.sampled_from(["<tr><th>Reference</th><th>Title</th><th>Deadline</th></tr>", "", "<tr><th>"]))
    cells = "".join(f"<tr><td>{a}</td><td><a href='{b}'>{c}</a></td><td>{d}</td></tr>" for a, b, c, d in rows)
    tail = draw(st.sampled_from(["</tbody></table>", "", "</td></div>", "<table><tbody>" * 50]))
    return f"<html><table id='calls'><thead>{header}</thead><tbody>{cells}{tail}".encode(
        draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")


def test_fuzz_html_table(fuzz_config: Config, engine: Engine, figures: Figures) -> None:
    tally = Tally()
    listing = (FIXTURES / "faults.example.org" / "list.html").read_bytes()

    @FUZZ
    @given(st.one_of(html_tables(), CUTS.map(lambda c: mutate(listing, c)), st.binary(max_size=2000)),
           st.sampled_from(["text/html", "text/html; charset=utf-8", "text/html; charset=bogus", ""]))
    def check(body: bytes, ctype: str) -> None:
        run_spider(fuzz_config, engine, "faults", "https://faults.example.org/list.html", body, ctype, tally)

    try:
        check()
    finally:
        figures.fuzz("HTML listing (html_table) -> normalise", tally)


def test_fuzz_html_list(fuzz_config: Config, engine: Engine, figures: Figures) -> None:
    tally = Tally()

    @FUZZ
    @given(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), max_size=6))
    def check(cards: list[tuple[str, ...]]) -> None:
        body = "".join(f"<div class='card'><h3>{t}</h3><a href='{u}'>x</a><p>Deadline: {d}</p>"
                       f"<p>Reference: {r}</p><p>Value: {v}</p></div>" for t, u, d, r, v in cards)
        run_spider(fuzz_config, engine, "fz-list", "https://fuzz.example.org/l", body.encode(), "text/html", tally)

    try:
        check()
    finally:
        figures.fuzz("HTML cards (html_list) -> normalise", tally)


# --------------------------------------------------------------------------- feeds, JSON, CSV


@st.composite
def rss(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=5))
    body = "".join(f"<item><title>{t}</title><link>{u}</link><description>{d}</description>"
                   f"<pubDate>{p}</pubDate></item>" for t, u, d, p in items)
    head = draw(st.sampled_from(["<?xml version='1.0'?>", "", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"]))
    return f"{head}<rss version='2.0'><channel><title>x</title>{body}</channel></rss>".encode()


def test_fuzz_feed(fuzz_config: Config, engine: Engine, figures: Figures) -> None:
    tally = Tally()
    real = [(FIXTURES / "example.org" / "kinds" / n).read_bytes() for n in ("calls.rss", "calls.atom")]

    @FUZZ
    @given(st.one_of(rss(), st.tuples(st.sampled_from(real), CUTS).map(lambda t: mutate(*t)), st.binary(max_size=1000)))
    def check(body: bytes) -> None:
        run_spider(fuzz_config, engine, "fz-feed", "https://fuzz.example.org/calls.rss", body,
                   "application/rss+xml", tally)

    try:
        check()
    finally:
        figures.fuzz("RSS/Atom feed -> normalise", tally)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4),
                           max_leaves=20)
ITEM = st.fixed_dictionaries({}, optional={"title": JSON_VALUES, "ref": JSON_VALUES, "link": JSON_VALUES,
                                           "closes": JSON_VALUES, "value": JSON_VALUES})


def test_fuzz_json_api(fuzz_config: Config, engine: Engine, figures: Figures) -> None:
    tally = Tally()

    @FUZZ
    @given(st.one_of(st.fixed_dictionaries({"items": st.lists(ITEM, max_size=5)}).map(json.dumps),
                     JSON_VALUES.map(json.dumps), st.text(max_size=300)))
    def check(body: str) -> None:
        run_spider(fuzz_config, engine, "fz-json", "https://fuzz.example.org/calls.json",
                   body.encode("utf-8", "surrogatepass"), "application/json", tally)

    try:
        check()
    finally:
        figures.fuzz("JSON API -> normalise", tally)


def test_fuzz_csv_document(fuzz_config: Config, engine: Engine, figures: Figures) -> None:
    tally = Tally()
    real = (FIXTURES / "example.org" / "kinds" / "calls.csv").read_bytes()

    @FUZZ
    @given(st.one_of(st.lists(st.lists(TEXT, max_size=5), max_size=6).map(
        lambda rows: "Reference,Title,Deadline\n" + "\n".join(",".join(json.dumps(c) for c in r) for r in rows)
    ).map(str.encode), CUTS.map(lambda c: mutate(real, c)), st.binary(max_size=500)))
    def check(body: bytes) -> None:
        run_spider(fuzz_config, engine, "fz-csv", "https://fuzz.example.org/c.csv", body, "text/csv", tally)

    try:
        check()
    finally:
        figures.fuzz("CSV document -> normalise", tally)


# --------------------------------------------------------------------------- TED XML, JSON lines, config


TED = sorted((FIXTURES / "api.ted.europa.eu" / "notices").glob("*.xml"))


def test_fuzz_ted_xml(figures: Figures) -> None:
    tally = Tally(expected=(ValueError,))
    real = [p.read_bytes() for p in TED]

    @FUZZ
    @given(st.one_of(st.tuples(st.sampled_from(real), CUTS).map(lambda t: mutate(*t)),
                     st.binary(max_size=2000),
                     st.text(max_size=200).map(lambda t: f"<TED_EXPORT><X>{t}</X></TED_EXPORT>".encode())))
    def check(data: bytes) -> None:
        record = tally.run(lambda: parse_notice(data, "fuzz.xml"))
        assert record is None or isinstance(record, NoticeRecord)

    try:
        check()
    finally:
        figures.fuzz("TED XML (eForms, legacy)", tally)


def test_fuzz_jsonl_import(figures: Figures) -> None:
    tally = Tally()
    valid = {"id": "tw-fuzz", "source": "fuzz", "title": "A call", "deadline_at": "2026-01-01T00:00:00+00:00",
             "estimated_value": {"amount": 1, "currency": "EUR"}, "technology_areas": []}

    @FUZZ
    @given(st.one_of(
        st.dictionaries(st.sampled_from([*sorted(valid), "lots", "awards", "sources", "buyer", "notice_type"]),
                        JSON_VALUES, max_size=8).map(lambda d: json.dumps({**valid, **d})),
        JSON_VALUES.map(json.dumps), st.text(max_size=300).filter(lambda t: "\n" not in t and "\r" not in t)))
    def check(line: str) -> None:
        items = tally.run(lambda: list(read_jsonl([line + "\n"], "fuzz.jsonl")))  # type: ignore[arg-type]
        for item in items or []:
            if isinstance(item, Problem):
                assert item.raw == line + "\n" and item.location == "fuzz.jsonl:1" and item.reason
            else:
                assert isinstance(item, NoticeRecord)

    try:
        check()
    finally:
        figures.fuzz("JSON-lines import", tally)


YAML_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(TEXT, kids, max_size=3),
                           max_leaves=12)


def test_fuzz_config_loader(config_dir: Path, figures: Figures) -> None:
    tally = Tally(expected=(ConfigError,))
    good = SOURCES[0]

    def entries(extra: dict[str, Any]) -> str:
        return yaml.safe_dump({"sources": [{**good, **extra}]})

    @FUZZ
    @given(st.sampled_from(["sources.yaml", "settings.yaml", "companies.yaml", "organisations.yaml"]),
           st.one_of(st.dictionaries(st.sampled_from(["kind", "options", "start_urls", "name", "schedule",
                                                      "notice_types", "timezone", "organisation"]),
                                     YAML_VALUES, max_size=3).map(entries),
                     YAML_VALUES.map(yaml.safe_dump), st.text(max_size=300),
                     st.just("a: &a [*a]\n"), st.just("x: !!python/object/apply:os.system ['true']\n")))
    def check(name: str, text: str) -> None:
        target = config_dir / name
        before = target.read_bytes()
        try:
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
            tally.run(lambda: load_config(config_dir))
        finally:
            target.write_bytes(before)

    try:
        check()
    finally:
        figures.fuzz("config loader (YAML)", tally)
