"""ESA's esa-star Publication through its JSON API: both endpoints, offset paging in the path to
``skip >= total``, status codes, local times, price ranges and primes; and the upgrade from the old
``esa-itt``/``esa-intended`` sources (their calls keep their ids or are linked to the new notices).

Real Scrapy engine, loopback server, fixture answers in the API's real shape
(tests/fixtures/esastar-publication-ext.sso.esa.int/README.md names the evidence)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from pipeline.ingest import Ingestor
from pipeline.records import NoticeRecord
from spiders.runner import crawl_async
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice, NoticeSource, Source
from tenderwatch.loopback import FixtureServer
from tenderwatch.sync import sync_config
from tests.conftest import deferred_test
from tests.spiders.conftest import FAST, hosts_of, last_run, notices_by_reference

HOST = "esastar-publication-ext.sso.esa.int"
ESA = ("esa-tenders", "esa-nonesa-tenders")


async def crawl_esa(config: Config, engine: Engine, server: FixtureServer) -> dict[str, dict[str, Any]]:
    src = config.source("esa-tenders")
    assert src is not None
    crawlers = await crawl_async(config, engine, list(ESA), url_rewrite=server.rewrite_for(*hosts_of(src)),
                                 extra_settings=FAST)
    return {name: crawlers[name].stats.get_stats() for name in ESA}


@deferred_test
async def test_both_endpoints_paged_by_offset_in_the_path_until_skip_reaches_total(
        config: Config, engine: Engine, server: FixtureServer) -> None:
    stats = await crawl_esa(config, engine, server)
    asked = sorted(path for method, path, _, _ in server.log if method == "GET" and "/api/" in path)
    assert asked == [
        f"/{HOST}/api/nonESATA/filter/10/0?tType=5&isF=false&isA=false&sortBy=LastUpdateTime&sortDir=1",
        f"/{HOST}/api/nonESATA/filter/10/10?tType=5&isF=false&isA=false&sortBy=LastUpdateTime&sortDir=1",
        f"/{HOST}/api/tenderAction/filter/10/0?all=true&sortBy=FirstPublicationDate&sortDir=1",
        f"/{HOST}/api/tenderAction/filter/10/10?all=true&sortBy=FirstPublicationDate&sortDir=1",
    ]  # two pages each; the third offset (12, 11) reaches 'total' and is never asked for
    assert all(headers.get("Accept") == "application/json" for _, path, headers, _ in server.log if "/api/" in path)
    for name, count in (("esa-tenders", 12), ("esa-nonesa-tenders", 11)):
        run = last_run(engine, name)
        assert (run.status, run.notices_found, run.problems) == ("ok", count, [])
        assert stats[name]["tenderwatch/notices"] == count


@deferred_test
async def test_intended_and_issued_esa_items(config: Config, engine: Engine, server: FixtureServer) -> None:
    await crawl_esa(config, engine, server)
    found = notices_by_reference(engine)
    intended = found["1-13892"]
    assert intended.notice_type == "prior_information"
    assert intended.title == "CRYOGENIC SORPTION COOLER FOR FUTURE SCIENCE MISSIONS - EXPRO+"
    assert intended.url == f"https://{HOST}/ESATenderActions/details/194211"
    # the API's "2026-11-24T10:12:45" is Paris local time (CET in November): 09:12:45 UTC
    assert intended.published_at == datetime(2026, 11, 24, 9, 12, 45, tzinfo=UTC)
    assert intended.deadline_at is None and intended.status == "open"
    # HTML paragraphs of the description become plain text
    assert intended.description is not None and "<p>" not in intended.description
    assert intended.description.startswith("Objective: to design and test a breadboard of a sorption cooler")
    assert intended.buyer_name == "European Space Agency" and intended.buyer_country == "FR"
    assert intended.raw["fields"]["status"] == '{"id": 1}' and intended.raw["fields"]["tenderType"] == '{"id": 5}'

    issued = found["1-13887"]
    assert issued.notice_type == "invitation_to_tender"
    assert issued.published_at == datetime(2026, 9, 15, 12, 5, 31, tzinfo=UTC)  # CEST in September
    assert issued.deadline_at == datetime(2027, 5, 20, 11, 0, tzinfo=UTC)
    assert issued.url == f"https://{HOST}/ESATenderActions/details/194102"
    assert issued.value_amount is None  # ESA's own items carry no price range
    call = found["1-13876"]
    assert call.notice_type == "invitation_to_tender" and call.raw["fields"]["tenderType"] == '{"id": 7}'
    assert found["1-13815"].status == "cancelled"  # isCancelled


@deferred_test
async def test_non_esa_item_has_its_prime_and_price_range(config: Config, engine: Engine,
                                                          server: FixtureServer) -> None:
    await crawl_esa(config, engine, server)
    found = notices_by_reference(engine)
    item = found["26.ADSU.004"]
    assert item.organisation_id is not None and item.notice_type == "invitation_to_tender"
    assert item.buyer_name == "AIRBUS DEFENCE AND SPACE LIMITED"
    assert item.buyer_country is None  # the prime is not ESA: ESA's country is not lent to it
    assert (item.value_amount, item.value_currency, item.value_note) == (500000, "EUR", "> 500 KEURO")
    assert item.url == f"https://{HOST}/nonEsaTenderActions/details/2411"
    assert item.description is not None and item.description.startswith("Airbus Defence and Space Ltd invites")
    assert item.deadline_at == datetime(2027, 2, 19, 12, 0, tzinfo=UTC)
    assert item.raw["fields"]["contractNumber"] == "4000146211"
    assert (found["26.CSGK.011"].buyer_name, found["26.CSGK.011"].value_note) == ("CNES CSG", "200-500 KEURO")
    intended = found["26.OHBS.007"]
    assert (intended.notice_type, intended.buyer_name, intended.deadline_at) == (
        "prior_information", "OHB SYSTEM AG", None)
    assert found["26.QIQS.002"].value_amount is None  # an empty range, "KEURO", gives no figure
    emits = found["16.BAES.001"]
    assert emits.status == "closed" and emits.raw["fields"]["updateReason"] == "Imported FROM EMITS."


@deferred_test
async def test_status_codes_without_agreed_meaning_are_stored_as_they_come_and_counted(
        config: Config, engine: Engine, server: FixtureServer) -> None:
    stats = await crawl_esa(config, engine, server)
    esa, non_esa = stats["esa-tenders"], stats["esa-nonesa-tenders"]
    assert esa["tenderwatch/unmapped_notice_type"] == 3
    assert {k: v for k, v in esa.items() if k.startswith("tenderwatch/unmapped_notice_type/")} == {
        "tenderwatch/unmapped_notice_type/3": 1, "tenderwatch/unmapped_notice_type/5": 1,
        "tenderwatch/unmapped_notice_type/7": 1}
    assert non_esa["tenderwatch/unmapped_notice_type"] == 2
    found = notices_by_reference(engine)
    for ref, code in (("1-13858", "3"), ("1-13790", "5"), ("1-13560", "7"), ("26.GMVA.005", "3")):
        assert found[ref].raw["notice_type"] == code  # the code as it came
        assert found[ref].notice_type == "invitation_to_tender"  # the source's default, not a guess
        assert found[ref].status == "closed"  # their closing dates have passed
    run = last_run(engine, "esa-tenders")
    assert run.stats["tenderwatch/unmapped_notice_type/5"] == 1  # kept in the run for the administrator


def _old(source: str, reference: str, notice_type: str, title: str) -> NoticeRecord:
    return NoticeRecord(organisation="ESA", source=source, external_id=reference, reference=reference,
                        notice_type=notice_type, title=title, url=f"https://esastar-publication.sso.esa.int/tenders/"
                        f"{reference}.html", published_at=datetime(2026, 9, 1, tzinfo=UTC))


@deferred_test
async def test_calls_of_the_removed_esa_sources_keep_their_ids_or_are_linked(
        config: Config, engine: Engine, server: FixtureServer) -> None:
    # a database from before the upgrade: notices stored by the HTML 'esa-itt' and the invented 'esa-intended'
    with session_scope(engine) as s:
        s.add_all([Source(name="esa-itt", kind="html_list", organisation_code="ESA", state={}),
                   Source(name="esa-intended", kind="json", organisation_code="ESA", state={})])
    with Ingestor(engine, config) as ing:
        ing.add(_old("esa-itt", "1-13887", "invitation_to_tender",
                     "On-board anomaly detection with machine learning for platform subsystems"))
        ing.add(_old("esa-intended", "1-13880", "prior_information",
                     "High-power Ka-band travelling wave tube amplifier"))
    before = notices_by_reference(engine)
    with session_scope(engine) as s:  # what every command does first: config mirrored into the database
        sync_config(s, config)

    await crawl_esa(config, engine, server)

    after = notices_by_reference(engine)
    kept = after["1-13887"]
    assert kept.uid == before["1-13887"].uid  # the same notice: its id, page and history stay
    with session_scope(engine) as s:
        seen_on = sorted(s.scalars(select(NoticeSource.source_name).where(NoticeSource.notice_id == kept.id)))
        old_sources = {src.name: src.enabled for src in s.scalars(select(Source).where(
            Source.name.in_(["esa-itt", "esa-intended"])))}
        itt_stages = s.scalars(select(Notice).where(Notice.reference == "1-13880")).all()
        stages = sorted((n.notice_type, n.call_uid, n.uid) for n in itt_stages)
    assert seen_on == ["esa-itt", "esa-tenders"]
    assert old_sources == {"esa-itt": False, "esa-intended": False}  # kept for their history, no longer crawled
    # the intended stage stored by 'esa-intended' and the issued ITT now read from the API: one call
    assert [t for t, _, _ in stages] == ["invitation_to_tender", "prior_information"]
    assert stages[0][1] == stages[1][1] == before["1-13880"].call_uid
    assert before["1-13880"].uid in {uid for _, _, uid in stages}
