"""Each generic kind on its own fixtures, through the spider's own ``parse`` (layer 1), plus the
problems a broken page must report and the config errors a bad entry must give."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import Engine

from spiders.kinds.preview import Preview, preview
from tenderwatch.config import Config, ConfigError, SourceConfig, load_config
from tenderwatch.loopback import FIXTURES

KINDS = FIXTURES / "example.org" / "kinds"


def _source(config: Config, **entry: Any) -> SourceConfig:
    """Validate an entry exactly as config/sources.yaml would (options through the kind's model)."""
    from spiders.kind_options import options_model

    src = SourceConfig.model_validate({"name": "probe", "organisation": "CERN", **entry})
    src.options = options_model(src.kind).model_validate(src.options).model_dump()
    config.sources.append(src)
    return src


def run(config: Config, engine: Engine, url: str, body: bytes, ctype: str = "", **entry: Any) -> Preview:
    return preview(_source(config, **entry), config, engine, url, body, ctype)


def test_html_list_reads_cern_blocks_of_labelled_lines(config: Config, engine: Engine) -> None:
    page = FIXTURES / "found.cern.ch/java-ext/found/CFTSingleSearch-blocks.html"
    res = run(config, engine, "https://found.cern.ch/java-ext/found/CFTSingleSearch.do", page.read_bytes(),
              "text/html", kind="html_list", options={
                  "rows": "div.cft-entry",
                  "labels": {"Reference": "reference", "Title": "title", "Cost Range": "value", "Date": "published",
                             "Remarks": "eligibility"},
                  "fields": {"is_new": "span.new", "reference": {"label": "Reference", "regex": r"^(\S+)"}},
                  "listing_url_as_url": True})
    assert [n["reference"] for n in res.notices] == ["MS-4512/EN", "IT-3398/TE/HL-LHC"]
    first, second = res.notices
    assert first["is_new"] is True and second["is_new"] is False
    assert (first["value"], first["published"]) == ("C", "03.11.2026")
    assert second["eligibility"] == "Open also to firms in the United States (HL-LHC collaboration)"
    assert first["fields"]["cost range"] == "C"  # every labelled line kept verbatim
    assert res.problems == []


def test_html_table_reports_empty_selectors_and_missing_fields(config: Config, engine: Engine) -> None:
    page = FIXTURES / "found.cern.ch/java-ext/found/CFTSingleSearch.do"
    res = run(config, engine, "https://found.cern.ch/x.do", page.read_bytes(), "text/html", kind="html_table",
              options={"rows": "table#cft tbody tr", "fields": {"title": "td:nth-child(3)", "deadline": "td.closing"},
                       "columns": {"Reference": "reference", "Budget": "value"}})
    assert len(res.notices) == 7
    assert any("no column headed 'Budget'" in p for p in res.problems)
    assert any("'deadline' matched nothing on any row" in p for p in res.problems)
    assert {f for _, f in res.missing} == {"url"}  # required by default, absent on this listing


def test_html_rows_selector_matching_nothing_is_a_problem(config: Config, engine: Engine) -> None:
    res = run(config, engine, "https://found.cern.ch/x.do", b"<html><body><p>Maintenance</p></body></html>",
              "text/html", kind="html_table", options={"rows": "table#cft tbody tr", "fields": {"title": "td"}})
    assert res.notices == []
    assert res.problems == ["https://found.cern.ch/x.do: selector 'table#cft tbody tr' matched nothing"]


def test_feed_rss_with_labels_and_regex(config: Config, engine: Engine) -> None:
    res = run(config, engine, "https://example.org/calls.rss", (KINDS / "calls.rss").read_bytes(),
              "application/rss+xml", kind="feed", options={
                  "fields": {"title": {"path": "title", "regex": r"^\[\d{2}-\d+\]\s*(.+)$"}, "url": "link",
                             "reference": {"path": "title", "regex": r"^\[(\d{2}-\d+)\]"},
                             "notice_type": "tags[0].term", "published": "published", "description": "summary"},
                  "labels": {"Closing date": "deadline"}})
    assert [(n["reference"], n["title"]) for n in res.notices] == [
        ("26-12", "Cryogenic valve boxes"), ("26-13", "Vacuum gauges market survey")]
    first, second = res.notices
    assert first["deadline"] == "15/01/2027" and first["notice_type"] == "Call for tender"
    assert first["published"] == "Mon, 02 Nov 2026 09:00:00 +0100"
    assert second["url"] == "https://example.org/calls/26-13"  # relative link made absolute
    assert second["deadline"] is None  # no labelled line: absent, not invented


def test_feed_atom_follows_next_link(config: Config, engine: Engine) -> None:
    res = run(config, engine, "https://example.org/kinds/calls.atom", (KINDS / "calls.atom").read_bytes(),
              "application/atom+xml", kind="feed",
              options={"fields": {"title": "title", "url": "link", "reference": {"path": "summary",
                                                                                 "regex": r"Reference: ([\w-]+)"}}})
    assert [(n["reference"], n["url"]) for n in res.notices] == [("BPM-7", "https://example.org/calls/bpm-7")]
    assert res.follow == ["https://example.org/kinds/calls-2.atom"]


def test_json_paths_template_and_paging(config: Config, engine: Engine) -> None:
    body = b'{"data": {"items": [{"id": 7, "name": {"en": "Detector cooling"}, "cpv": [{"code": "42500000"}]}]}}'
    res = run(config, engine, "https://example.org/api?page=1", body, "application/json", kind="json",
              options={"items": "data.items", "page_param": "page", "first_page": 1,
                       "url_template": "https://example.org/calls/{id}",
                       "fields": {"reference": "id", "title": "name", "cpv_codes": {"path": "cpv[].code",
                                                                                    "many": True}}})
    assert [(n["reference"], n["title"], n["url"], n["cpv_codes"]) for n in res.notices] == [
        ("7", "Detector cooling", "https://example.org/calls/7", ["42500000"])]
    assert res.follow == ["https://example.org/api?page=2"]


def test_json_offset_paging_in_the_path_ends_at_total(config: Config, engine: Engine) -> None:
    options = {"items": "items", "total": "total", "offset": {"size": 2},
               "fields": {"reference": "tanumber", "title": "title"}}
    template = "https://example.org/api/filter/{take}/{skip}?sortDir=1"
    page = b'{"total": 5, "items": [{"tanumber": "1-1", "title": "A"}, {"tanumber": "1-2", "title": "B"}]}'
    res = run(config, engine, "https://example.org/api/filter/2/0?sortDir=1", page, "application/json",
              kind="json", start_urls=[template], options=options)
    assert [n["reference"] for n in res.notices] == ["1-1", "1-2"]
    assert res.follow == ["https://example.org/api/filter/2/2?sortDir=1"]  # the offset grows by the items received
    last = b'{"total": 5, "items": [{"tanumber": "1-5", "title": "E"}]}'
    config.sources.clear()
    res = run(config, engine, "https://example.org/api/filter/2/4?sortDir=1", last, "application/json",
              kind="json", start_urls=[template], options=options)
    assert res.follow == [] and res.problems == []  # 4 + 1 >= total: the end, no empty page asked for
    config.sources.clear()
    res = run(config, engine, "https://example.org/api/filter/2/0?sortDir=1", b'{"total": "many", "items": []}',
              "application/json", kind="json", start_urls=[template], options=options)
    assert any("total path 'total' is not a count" in p for p in res.problems)


def test_json_html_values_optional_fields_and_post_search(config: Config, engine: Engine) -> None:
    body = (b'{"results": [{"metadata": {"title": ["Lab <b>lasers</b>"], "status": ["31094502"],'
            b' "description": ["<p>First &amp; second.</p><p>Third<br>line</p>"]}}]}')
    res = run(config, engine, "https://example.org/search?pageNumber=1", body, "application/json", kind="json",
              notice_types={"31094502": "invitation_to_tender"},
              options={"items": "results", "method": "POST", "multipart": {"query": {"bool": {}}, "languages": ["en"]},
                       "page_param": "pageNumber", "first_page": 1,
                       "fields": {"title": {"path": "metadata.title[0]", "html": True},
                                  "description": {"path": "metadata.description[0]", "html": True},
                                  "notice_type": "metadata.status[0]",
                                  "status": {"path": "metadata.cancelled[0]", "optional": True}}})
    notice = res.notices[0]
    assert (notice["title"], notice["description"]) == ("Lab lasers", "First & second. Third line")
    assert res.problems == []  # 'status' is optional: absent on every row is no problem
    assert res.follow == ["https://example.org/search?pageNumber=2"]


def test_multipart_body_sends_mappings_as_json_parts() -> None:
    from email.parser import BytesParser
    from email.policy import HTTP

    from spiders.kinds.json_api import multipart_body

    body, ctype = multipart_body({"query": {"bool": {"must": [{"terms": {"type": ["0"]}}]}}, "text": "***"})
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["query"].get_content_type() == "application/json"
    assert json.loads(parts["query"].get_content()) == {"bool": {"must": [{"terms": {"type": ["0"]}}]}}
    assert parts["text"].get_content().strip() == "***"


def test_document_csv_finds_header_row(config: Config, engine: Engine) -> None:
    res = run(config, engine, "https://example.org/calls.csv", (KINDS / "calls.csv").read_bytes(), "text/csv",
              kind="document", options={"columns": {"Reference": "reference", "Title": "title", "Value": "value"}})
    assert [(n["reference"], n["title"], n.get("value")) for n in res.notices] == [
        ("X-1", "Magnet power supplies", "2 000 000 EUR"), ("X-2", "Cooling water skids", None)]
    assert res.notices[0]["fields"]["planned date"] == "01.03.2027"
    assert res.notices[0]["documents_url"] == "https://example.org/calls.csv"


def test_document_xlsx(config: Config, engine: Engine) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["CERN advance information"])
    sheet.append(["Reference", "Title", "Cost Range"])
    sheet.append(["IT-3410/EN", "Cryogenic transfer lines", "B"])
    buf = io.BytesIO()
    book.save(buf)
    res = run(config, engine, "https://example.org/advance.xlsx", buf.getvalue(), "", kind="document",
              options={"columns": {"Reference": "reference", "Title": "title", "Cost Range": "value"}})
    assert [(n["reference"], n["title"], n["value"]) for n in res.notices] == [
        ("IT-3410/EN", "Cryogenic transfer lines", "B")]


def test_document_pdf_fixture(config: Config, engine: Engine) -> None:
    pdf = FIXTURES / "www.eso.org/public/industry/advance-information.pdf"
    res = run(config, engine, "http://www.eso.org/public/industry/advance-information.pdf", pdf.read_bytes(),
              "application/pdf", kind="document", options={"columns": {"Title": "title", "Estimated Value": "value"}})
    assert len(res.notices) == 4
    assert res.notices[1]["title"] == "Maintenance of the Paranal power plant"
    assert res.notices[1]["value"] == "1 200 000 EUR"


def test_unreadable_document_is_reported(config: Config, engine: Engine) -> None:
    res = run(config, engine, "https://example.org/a.pdf", b"%PDF-1.4 garbage", "application/pdf",
              kind="document", options={"columns": {"Title": "title"}})
    assert res.notices == [] and res.problems and "not a readable PDF" in res.problems[0]


@pytest.mark.parametrize(("entry", "message"), [
    ({"kind": "html_grid", "options": {}}, "field 'kind': unknown kind 'html_grid'"),
    ({"kind": "html_table", "options": {"rows": "tr[", "fields": {"title": "td"}}}, "field 'options.rows': bad CSS"),
    ({"kind": "html_list", "options": {"rows": "li", "fields": {"title": "//a[@"}}}, "bad XPath"),
    ({"kind": "html_list", "options": {"rows": "li", "fields": {"titel": "a"}}}, "unknown field 'titel'"),
    ({"kind": "html_list", "options": {"rows": "li", "fieds": {"title": "a"}}}, "field 'options.fieds'"),
    ({"kind": "json", "options": {"items": "a..b", "fields": {"title": "t"}}}, "bad JMESPath"),
    ({"kind": "document", "options": {}}, "field 'options.columns': Field required"),
    ({"kind": "html_list", "start_urls": ["found.cern.ch/x"], "options": {"rows": "li", "fields": {"title": "a"}}},
     "field 'start_urls': bad URL"),
    ({"kind": "html_list", "notice_types": {"MS": "survey"}, "options": {"rows": "li", "fields": {"title": "a"}}},
     "field 'notice_types.MS'"),
    ({"kind": "json", "start_urls": ["https://x.org/api/filter/10"], "options": {"offset": {"size": 10},
                                                                                 "fields": {"title": "t"}}},
     "field 'start_urls': start URL 'https://x.org/api/filter/10' has no {skip}"),
    ({"kind": "json", "start_urls": ["https://x.org/api/{take}/{skip}"], "options": {"fields": {"title": "t"}}},
     "holds {take} and {skip} but the source has no 'offset' paging"),
    ({"kind": "json", "options": {"page_param": "p", "offset": {"size": 5}, "fields": {"title": "t"}}},
     "give one way of paging"),
    ({"kind": "json", "options": {"multipart": {"q": "x"}, "fields": {"title": "t"}}}, "sent with method: POST"),
    ({"kind": "html_list", "format": "guessed", "options": {"rows": "li", "fields": {"title": "a"}}},
     "field 'format'"),
])
def test_config_check_names_file_entry_and_field(config_dir: Path, entry: dict, message: str) -> None:
    path = config_dir / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"name": "broken", "organisation": "CERN", **entry}]}))
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    lines = [p for p in info.value.problems if "entry 'broken'" in p]
    assert lines and str(path) in lines[0]
    assert any(message in line for line in lines), lines


def test_page_facts_tell_a_shell_from_a_page_and_name_json_keys() -> None:
    from spiders.kinds.preview import page_facts

    shell = page_facts(b'<html><head><title>App</title></head><body><div id="root"></div>'
                       b'<script src="/static/main.js"></script></body></html>', "text/html")
    assert (shell.form, shell.title, shell.app_shell) == ("html", "App", True)
    page = FIXTURES / "found.cern.ch/java-ext/found/CFTSingleSearch.do"
    listing = page_facts(page.read_bytes().replace(b"</body>", b"<script src='/stats.js'></script></body>"), "")
    assert listing.form == "html" and not listing.app_shell and listing.text_chars > 300 and listing.scripts == 1
    assert page_facts(b'{"total": 0, "items": []}', "application/json").describe().endswith(
        "top-level keys: total, items")
    assert "a list of 2 item(s)" in page_facts(b"[1, 2]", "application/json").describe()
    assert page_facts(b"%PDF-1.4 ...", "application/pdf").form == "pdf"


def test_a_next_link_the_page_encoding_cannot_write_is_still_followed(config: Config, engine: Engine) -> None:
    """The link holds a character (here as an entity) the page's charset cannot encode into the query (a
    fuzzed feed found it): the link is followed in UTF-8 instead of aborting the page's callback."""
    page = (b'<html><body><table><tbody><tr><td><a href="/c/1">Cryostat</a></td></tr></tbody></table>'
            b'<a class="next" href="/list?q=&#20013;">next</a></body></html>')
    res = run(config, engine, "https://example.org/list", page, "text/html; charset=iso-8859-1", kind="html_table",
              options={"rows": "tbody tr", "fields": {"title": "td a::text"}, "next_page": "a.next::attr(href)"})
    assert [n["title"] for n in res.notices] == ["Cryostat"]
    assert res.follow == ["https://example.org/list?q=%E4%B8%AD"]


def test_every_kind_has_an_options_model_and_a_spider_class() -> None:
    from spiders.kind_options import KIND_OPTIONS, options_model
    from spiders.registry import SPIDERS, spider_class

    assert SPIDERS.keys() == KIND_OPTIONS.keys()
    for kind in SPIDERS:
        assert options_model(kind).model_fields is not None
        assert spider_class(kind).kind == kind
