"""TED parsers: our own fixtures for each subtype and form, and every official sample in ../shared/ted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.ted import TedParseError, parse_notice
from pipeline.ted.buyers import OrganisationMatcher
from pipeline.ted.codelists import country_alpha2, publication_number
from pipeline.ted.common import Extracted, build_record
from tenderwatch.config import Config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api.ted.europa.eu" / "notices"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def parse(name: str):
    return parse_notice((FIXTURES / name).read_bytes(), name, now=NOW)


def test_eforms_contract_notice() -> None:
    rec = parse("eforms-cn-f4e.xml")
    assert rec.external_id == "100001-2025"  # zero padding dropped: one number per notice
    assert rec.source == "ted" and rec.url == "https://ted.europa.eu/en/notice/100001-2025/html"
    assert rec.notice_type == "invitation_to_tender" and rec.status == "open"
    assert rec.title == "High-voltage power supplies for gyrotrons"  # the notice language (ENG), not FRA
    assert rec.reference == "F4E-OMF-1234"
    assert rec.buyer_country == "ES" and rec.buyer_name.startswith("The European Joint Undertaking")
    assert rec.languages == ["en", "fr"]
    # earliest lot deadline, with the offset the notice gives
    assert rec.deadline_at == datetime(2035, 3, 13, 17, 0, tzinfo=UTC) + timedelta(hours=-1)
    assert rec.extra["deadline_local"] == "2035-03-13T17:00:00+01:00"
    assert rec.estimated_value is not None and rec.estimated_value.amount == Decimal("12500000")
    assert rec.cpv_codes == ["31643000", "31682000", "38000000"]  # procedure first, then lots'
    assert [(lot.lot_number, lot.cpv_codes, lot.value.amount) for lot in rec.lots] == [
        ("LOT-0001", ["31682000"], Decimal("10000000")), ("LOT-0002", ["31643000", "38000000"], Decimal("2500000"))]
    assert rec.published_at == datetime(2025, 1, 15, tzinfo=UTC)
    assert rec.raw["publication_number"] == "100001-2025" and "<" not in str(rec.raw)  # compact, not the XML


def test_eforms_change_notice_links_previous() -> None:
    rec = parse("eforms-change-f4e.xml")
    assert rec.notice_type == "corrigendum"
    assert rec.previous_notice == "0b3a1f9e-1111-4c2e-9a55-000000000001-01"
    assert rec.deadline_at is not None and rec.deadline_at.date().isoformat() == "2035-04-10"


def test_eforms_award_winners_and_groups() -> None:
    rec = parse("eforms-can-ess.xml")
    assert rec.notice_type == "contract_award" and rec.status == "awarded"
    got = [(a.winner_name, a.winner_country, a.lot_number, a.value.amount if a.value else None,
            a.value.currency if a.value else None) for a in rec.awards]
    assert got == [
        ("Cryo Techniek Delft B.V.", "NL", "LOT-0001", Decimal("1850000"), "EUR"),
        ("Vacuum Systems Eindhoven B.V.", "NL", "LOT-0002", Decimal("4200000"), "SEK"),  # group leader first
        ("Hochvakuum Dresden GmbH", "DE", "LOT-0002", None, None),  # member: value not counted twice
    ]
    assert rec.awards[0].awarded_at is not None and rec.awards[0].awarded_at.date().isoformat() == "2025-02-03"
    assert len(rec.lots) == 3  # the lot closed without winner is a lot, not an award


def test_eforms_pin() -> None:
    rec = parse("eforms-pin-xfel.xml")
    assert rec.notice_type == "prior_information" and rec.languages == ["de"]
    assert rec.buyer_country == "DE" and rec.lots[0].lot_number == "PAR-0001"


def test_legacy_original_language_wins_over_translation() -> None:
    rec = parse("legacy-f02-fair.xml")
    assert rec.title == "Supraleitende Magnete für den SIS100-Ring"  # <P> paragraphs joined
    assert rec.buyer_name == "FAIR - Facility for Antiproton and Ion Research in Europe GmbH"
    assert rec.languages == ["de", "en"]
    # local time in the buyer country's zone: 16:00 in Darmstadt in March is 15:00 UTC
    assert rec.deadline_at == datetime(2021, 3, 10, 15, 0, tzinfo=UTC)
    assert rec.previous_notice == "487001-2020"
    assert [lot.lot_number for lot in rec.lots] == ["1", "2"]
    assert rec.status == "closed"


def test_legacy_award_and_corrigendum() -> None:
    award = parse("legacy-f03-ill.xml")
    assert award.notice_type == "contract_award"
    assert [(a.winner_name, a.winner_country, a.lot_number) for a in award.awards] == [
        ("Neutron Optics Groningen B.V.", "NL", "1"), ("Detector Works Ltd", "GB", "2")]  # TED's UK -> GB
    corr = parse("legacy-f14-fair.xml")
    assert corr.notice_type == "corrigendum" and corr.previous_notice == "12345-2021"
    assert corr.deadline_at == datetime(2021, 4, 7, 14, 0, tzinfo=UTC)  # moved deadline, CEST


def test_not_a_ted_notice_and_missing_title() -> None:
    with pytest.raises(TedParseError, match="not a TED notice"):
        parse_notice(b"<html><body>hi</body></html>", "page.html")
    data = (FIXTURES / "legacy-f14-fair.xml").read_bytes().replace(
        b"<TITLE><P>Supraleitende Magnete f\xc3\xbcr den SIS100-Ring</P></TITLE>", b"")
    with pytest.raises(TedParseError, match="no title"):
        parse_notice(data, "x.xml")


def test_a_notice_without_title_or_identity_is_named_by_its_file_only() -> None:
    # the eForms SDK's deliberately invalid examples ("just the elements required by the schema") are such
    # notices: the reason said "eforms notice None: no title"
    bare = Extracted(format="eforms", publication_number=None, notice_id=None, notice_type="other", type_code=None,
                     title="  ")
    with pytest.raises(TedParseError) as raised:
        build_record(bare)
    assert str(raised.value) == "eforms notice without a title, publication number or notice identifier"
    with pytest.raises(TedParseError, match=r"^eforms notice 123-2024: no title$"):
        build_record(Extracted(format="eforms", publication_number="123-2024", notice_id=None, notice_type="other",
                               type_code=None, title=None))


def test_hostile_text_is_cleaned() -> None:
    data = (FIXTURES / "eforms-pin-xfel.xml").read_bytes().replace(
        "Undulatorsegmente für".encode(), "Undulator\u202esegmente\x85 für".encode())
    rec = parse_notice(data, "x.xml")
    assert rec.title == "Undulatorsegmente für die SASE-Beamlines"


def test_codelists() -> None:
    assert country_alpha2("NLD") == "NL" and country_alpha2("UK") == "GB" and country_alpha2("EL") == "GR"
    assert country_alpha2("XXX") is None
    assert publication_number("00522031-2023") == "522031-2023"
    assert publication_number("2019/S 109-267097") == "267097-2019"


def test_buyer_matching_by_official_name_not_acronym(config: Config) -> None:
    match = OrganisationMatcher(config).match
    assert match("European Spallation Source ERIC") == "ESS"
    assert match("ESS ERIC") is None  # also the European Social Survey
    assert match("European Social Survey ERIC") is None
    assert match("the european joint undertaking for ITER and the development of fusion energy (‘Fusion for Energy’)") \
        == "F4E"
    assert match("F4E") is None and match("CERN") is None  # codes alone identify nobody


def test_buyer_names_fold_alike_ascii_or_not() -> None:
    from pipeline.ted.buyers import fold_name

    assert fold_name("The  Européenne-Spallation,  Source.") == fold_name("the europeenne spallation source")
    assert fold_name("Straße ﬁnance") == "strasse finance"  # casefold makes them ASCII: nothing else to do
    assert fold_name("Ａｎｇｓｔｒöm\u212b") == "angstroma"  # full-width letters, the Angstrom sign decomposed
    assert fold_name("the the") == "the" and fold_name("The\u00a0SKA") == "ska"


COUNTS = (26, 19, 11, 39, 9)
"""Samples with a deadline (tenders, or requests to participate), an estimated value, winners, a
buyer reference and a previous-notice link, as read from the files."""
CONTRACT_FIELDS = ("notice_type", "title", "published_at", "buyer_name", "buyer_country", "cpv_codes", "languages")


def test_every_official_sample_parses_with_contract_fields(shared_dir: Path) -> None:
    files = sorted((shared_dir / "ted").rglob("*.xml"))
    assert len(files) >= 49
    with_deadline = with_value = with_awards = with_reference = with_previous = 0
    for path in files:
        rec = parse_notice(path.read_bytes(), path.name, now=NOW)
        for field in CONTRACT_FIELDS:
            if field == "cpv_codes" and rec.extra.get("ted_form") == "F14":
                continue  # a legacy corrigendum gives only the CPV codes it changes
            assert getattr(rec, field), f"{path.name}: {field} empty"
        assert len(rec.buyer_country) == 2 and all(len(c) == 8 for c in rec.cpv_codes), path.name
        assert rec.external_id and (rec.extra["ted_publication_number"] or rec.extra["ted_notice_id"])
        with_deadline += rec.deadline_at is not None
        with_value += rec.estimated_value is not None
        with_awards += bool(rec.awards)
        with_reference += rec.reference is not None
        with_previous += rec.previous_notice is not None
        if rec.notice_type == "contract_award":
            assert rec.status == "awarded"
    # how many samples carry each optional field (a drop means a parser regression)
    assert (with_deadline, with_value, with_awards, with_reference, with_previous) == COUNTS


def test_published_samples_match_their_ted_numbers(shared_dir: Path) -> None:
    for path in sorted((shared_dir / "ted" / "eforms").glob("20*-OJS*.xml")):
        rec = parse_notice(path.read_bytes(), path.name)
        number = path.stem.split("-")[-1]
        assert rec.external_id == f"{int(number)}-{path.stem[:4]}", path.name
        assert rec.published_at is not None and rec.published_at.year == int(path.stem[:4])
    rec = parse_notice((shared_dir / "ted" / "legacy" / "21-077815-001-EXP.xml").read_bytes())
    assert rec.external_id == "89010-2021" and rec.title.startswith("Joint Procurement for Electron Cyclotron")
    assert rec.buyer_name == "Fusion for Energy Joint Undertaking (‘Fusion for Energy’)"  # the ORIGINAL (EN) form
    assert len(rec.languages) == 24 and rec.languages[0] == "en"


@pytest.mark.parametrize(("name", "buyer"), [
    ("2023-OJS165-00522031.xml", "European Commission, Joint Research Centre (JRC)"),  # English notice, German first
    ("cn_24_multilingual.xml", "Publications Office of the European Union"),  # English notice, Bulgarian first
    ("2024-OJS198-00612681.xml", "FOD Justitie"),  # Dutch notice, French first
    ("can_25_ITA.xml", "Rete Ferroviaria italiana"),
])
def test_the_buyer_is_named_in_the_notices_own_language(shared_dir: Path, name: str, buyer: str) -> None:
    rec = parse_notice((shared_dir / "ted" / "eforms" / name).read_bytes(), name)
    assert rec.buyer_name == buyer


def test_a_group_of_lots_is_not_a_lot(shared_dir: Path) -> None:
    rec = parse_notice((shared_dir / "ted" / "eforms" / "cn_24_maximal.xml").read_bytes(), "cn_24_maximal.xml")
    assert [lot.lot_number for lot in rec.lots] == ["LOT-0001", "LOT-0002"]  # not GLO-0001, the group of both
    for path in sorted((shared_dir / "ted").rglob("*.xml")):
        assert not [lot for lot in parse_notice(path.read_bytes(), path.name).lots
                    if lot.lot_number.upper().startswith("GLO-")], path.name


@pytest.mark.parametrize("currency", ["BGN", "HRK", "LTL"])
def test_historic_currencies_keep_their_values(currency: str) -> None:
    """Codes ISO 4217 has withdrawn (pycountry no longer lists them), still in national notices of their time."""
    for name in ("eforms-cn-f4e.xml", "legacy-f02-fair.xml"):
        data = (FIXTURES / name).read_bytes().replace(b'currencyID="EUR"', f'currencyID="{currency}"'.encode())
        data = data.replace(b'CURRENCY="EUR"', f'CURRENCY="{currency}"'.encode())
        rec = parse_notice(data, name, now=NOW)
        assert rec.estimated_value is not None and rec.estimated_value.currency == currency, name
        assert all(lot.value is None or lot.value.currency == currency for lot in rec.lots)
    assert parse_notice((FIXTURES / "eforms-cn-f4e.xml").read_bytes().replace(
        b'currencyID="EUR"', b'currencyID="XQZ"'), "x.xml").estimated_value is None  # not a currency at all

