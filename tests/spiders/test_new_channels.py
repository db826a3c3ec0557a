"""The channels added on known real formats: ECMWF's ITT table, the EU Funding & Tenders search API
(a multipart POST) and FAIR's calls on DTVP, crawled through the real Scrapy engine on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Organisation
from tenderwatch.loopback import FixtureServer
from tests.conftest import deferred_test
from tests.spiders.conftest import FAST, hosts_of, last_run, notices_by_reference


async def crawl(config: Config, engine: Engine, server: FixtureServer, name: str, *, clean: bool = True) -> dict:
    src = config.source(name)
    assert src is not None
    crawlers = await crawl_async(config, engine, [name], url_rewrite=server.rewrite_for(*hosts_of(src)),
                                 extra_settings=FAST)
    run = last_run(engine, name)
    assert run.status == "ok" and (run.problems == [] or not clean), run.problems
    return crawlers[name].stats.get_stats()


@deferred_test
async def test_ecmwf_change_notice_joins_its_itt(config: Config, engine: Engine, server: FixtureServer) -> None:
    await crawl(config, engine, server, "ecmwf-copernicus-itts")
    found = notices_by_reference(engine)
    itt = found["CAMS2_91"]  # the change row is no notice of its own: it changes its call
    assert "CAMS2_91 Change Notice" not in found
    assert itt.notice_type == "invitation_to_tender"
    assert sorted(x.external_id for x in itt.sightings) == ["CAMS2_91", "CAMS2_91 Change Notice"]
    changes = {c.field: (c.new_value, c.notice_ref) for c in itt.changes}
    rev1 = "https://www.ecmwf.int/sites/default/files/2026-11/CAMS2_91_Volume_II_rev1.pdf"
    assert changes["documents_url"] == (rev1, "CAMS2_91 Change Notice")
    assert changes["deadline_at"] == ("2027-02-08T14:00:00+00:00", "CAMS2_91 Change Notice")
    assert itt.documents_url == rev1
    # "15 January 2027, 14:00 (UK time)": the parenthesis dropped, 14:00 in London
    assert found["C3S2_524"].deadline_at == datetime(2027, 1, 15, 14, 0, tzinfo=UTC)
    assert found["C3S2_517a"].status == "closed"
    assert found["C3S2_524"].title == "Climate Data Store: evolution of the data access services"  # no file names


@deferred_test
async def test_eu_funding_and_tenders_search_is_a_multipart_post(config: Config, engine: Engine,
                                                                 server: FixtureServer) -> None:
    await crawl(config, engine, server, "eu-ft-tenders")
    posts = [(path, headers, body) for method, path, headers, body in server.log if method == "POST"]
    assert len(posts) == 1  # 3 results of totalResults 3: no second page asked for
    path, headers, body = posts[0]
    query = parse_qs(urlsplit(path).query)
    assert query == {"apiKey": ["SEDIA"], "text": ["***"], "pageSize": ["50"], "pageNumber": ["1"]}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
    assert message.get_content_type() == "multipart/form-data"
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert parts["query"].get_content_type() == "application/json"
    must = json.loads(parts["query"].get_content())["bool"]["must"]
    assert {"terms": {"type": ["0"]}} in must
    assert {"terms": {"status": ["31094501", "31094502"]}} in must  # open and forthcoming, whichever is which
    assert json.loads(parts["languages"].get_content()) == ["en"]

    found = notices_by_reference(engine)
    jrc = found["JRC/PTT/2026/OP/0412"]
    assert jrc.buyer_name == "European Commission, Joint Research Centre"
    assert (jrc.value_amount, jrc.value_currency) == (1450000, "EUR")
    defis = found["DEFIS/2026/OP/0021"]
    assert defis.buyer_name.startswith("EU institutions")  # no caName: the organisation is the buyer
    assert defis.deadline_at == datetime(2027, 2, 3, 16, 0, tzinfo=UTC)
    assert found["JRC/KRU/2026/OP/0388"].notice_type == "forthcoming"  # 31094501, as configured


@deferred_test
async def test_dtvp_keeps_fair_and_gsi_rows_and_reads_their_procedure_pages(config: Config, engine: Engine,
                                                                             server: FixtureServer) -> None:
    stats = await crawl(config, engine, server, "dtvp-fair")
    assert stats["tenderwatch/rows_not_kept"] == 2  # a city's and a road authority's calls on the same listing
    details = sorted(p for p in server.requests if "/processdata/eforms" in p)
    assert [p.split("/")[6] for p in details] == ["CXS0YYEYT9K3W5LM", "CXS0YYEYTQ81M2KD", "CXS0YYEYTSD05BHL",
                                                  "CXS0YYEYTZ4R7H9B"]
    found = notices_by_reference(engine)
    assert set(found) == {"CXS0YYEYTQ81M2KD", "CXS0YYEYTZ4R7H9B", "CXS0YYEYTSD05BHL", "CXS0YYEYT9K3W5LM"}
    gsi = found["CXS0YYEYTZ4R7H9B"]
    assert gsi.buyer_name == "GSI Helmholtzzentrum für Schwerionenforschung GmbH"
    assert gsi.buyer_country == "DE"  # one of FAIR's official names: the organisation itself buys
    assert gsi.deadline_at == datetime(2027, 1, 8, 9, 0, tzinfo=UTC)  # 10:00 in Darmstadt
    assert gsi.cpv_codes == ["42122000"] and gsi.description.startswith("Lieferung von sechs")
    real = found["CXS0YYEYTSD05BHL"]
    assert real.title == "Exhaust air measurement system for FAIR" and real.status == "closed"
    assert real.cpv_codes == ["31643000"]
    award = found["CXS0YYEYT9K3W5LM"]
    assert (award.notice_type, award.status) == ("contract_award", "awarded")


@deferred_test
async def test_big_science_sweden_detail_pages_give_dates_type_and_facility(config: Config, engine: Engine,
                                                                            server: FixtureServer) -> None:
    """The detail page's real labels ("Opening date", "Closing date", "Type", "Research Facility") are read
    even when the listing's cards (whose markup nobody has seen) show nothing but the title."""
    listing = "/www.bigsciencesweden.se/business-opportunities/procurement-tenders/respond-to-procurements/"
    bare = ('<html><body><div class="procurement-item"><h2><a href="25-24-lifetime-impact-study-of-ill">'
            "[25-24] LIFETIME IMPACT STUDY OF ILL</a></h2></div></body></html>")
    server.override(listing, body=bare.encode())
    await crawl(config, engine, server, "bss-procurement", clean=False)
    assert sorted(p.split("'")[1] for p in last_run(engine, "bss-procurement").problems) == [
        "deadline", "notice_type", "organisation", "published"]  # the listing's labels, reported as missing
    (notice,) = notices_by_reference(engine).values()
    assert notice.notice_type == "market_survey"  # "Propose suppliers"
    assert notice.published_at == datetime(2025, 5, 21, 22, 0, tzinfo=UTC)  # May 22, 2025 in Lund (Stockholm time)
    assert notice.deadline_at == datetime(2025, 6, 13, 21, 59, tzinfo=UTC)  # a date only: the end of that day
    with session_scope(engine) as s:
        org = s.get(Organisation, notice.organisation_id)
        assert org is not None and org.code == "ILL"
