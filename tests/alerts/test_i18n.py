"""The mails' words: complete in both languages, counted with each language's plurals, numbers and
value bands in the reader's style (Babel), cost-range codes that config knows read as bands."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from alerts.facts import NoticeFacts
from alerts.i18n import TEXTS, Texts
from alerts.periods import period_for
from alerts.views import value_text
from pipeline.values import ValueBands
from tenderwatch.formats import format_count, format_money, format_number, format_value_band


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _forms(entry: object) -> dict[str, str]:
    return {"": entry} if isinstance(entry, str) else dict(entry)  # type: ignore[call-overload]


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert set(TEXTS["en"]) == set(TEXTS["nl"])
    for key, en in TEXTS["en"].items():
        nl = TEXTS["nl"][key]
        assert isinstance(en, str) == isinstance(nl, str), key
        en_fields = {f for text in _forms(en).values() for f in _fields(text)}
        for lang, entry in (("en", en), ("nl", nl)):
            forms = _forms(entry)
            if not isinstance(entry, str):
                assert "other" in forms, f"{lang} {key}: no 'other' plural form"
            for text in forms.values():
                assert _fields(text) <= en_fields | {"n"}, f"{lang} {key}"
                assert "(s)" not in text and "(en)" not in text, f"{lang} {key}: a plural by brackets"


@pytest.mark.parametrize(("n", "en", "nl"), [
    (1, "1 new call", "1 nieuwe aanbesteding"),
    (2, "2 new calls", "2 nieuwe aanbestedingen"),
    (1234, "1,234 new calls", "1.234 nieuwe aanbestedingen"),
])
def test_counts_pick_the_plural_form_and_write_the_number_in_the_readers_style(n: int, en: str, nl: str) -> None:
    assert Texts("en")("n_new", n=n) == en
    assert Texts("nl")("n_new", n=n) == nl


def test_a_summary_names_what_it_counts_once_and_leaves_out_zeros() -> None:
    en, nl = Texts("en"), Texts("nl")
    assert en.summary(("n_new", 3), ("n_changed", 1), ("n_closing", 2)) == "3 new calls, 1 changed, 2 closing soon"
    assert en.summary(("n_new", 0), ("n_changed", 0), ("n_closing", 1)) == "1 call closing soon"
    assert nl.summary(("n_new", 0), ("n_changed", 2), ("n_closing", 1)) == (
        "2 gewijzigde aanbestedingen, 1 sluit binnenkort")
    assert nl.summary(("n_new", 1), ("n_changed", 0), ("n_closing", 3)) == "1 nieuwe aanbesteding, 3 sluiten binnenkort"
    assert en.summary(("n_new", 0)) == ""


def test_a_count_is_not_an_attribute() -> None:
    with pytest.raises(AttributeError, match="counts something"):
        _ = Texts("en").more


def test_numbers_money_and_bands_follow_the_readers_language() -> None:
    assert format_number(12345, "en") == "12,345" and format_number(12345, "nl") == "12.345"
    assert format_count(3, {"one": "{n} dag", "other": "{n} dagen"}, "nl") == "3 dagen"
    assert format_money(Decimal("1250000"), "EUR", "nl") == "€\xa01.250.000,00"
    assert format_money(Decimal("10"), "BGN", "nl") == "BGN\xa010,00"  # a historic currency keeps its value
    assert format_value_band(Decimal(5_000_000), Decimal(10_000_000), "CHF", "en") == "CHF5m–CHF10m"
    assert format_value_band(Decimal(5_000_000), Decimal(10_000_000), "CHF", "nl") == (
        "CHF\xa05\xa0mln. – CHF\xa010\xa0mln.")
    assert format_value_band(Decimal(1_500_000), None, "EUR", "en") == "over €1.5m"
    assert format_value_band(None, Decimal(750_000), "CHF", "nl") == "minder dan CHF\xa0750K"
    assert format_value_band(None, None, "CHF", "nl") is None


def _notice(organisation: str, note: str | None, amount: str | None = None) -> NoticeFacts:
    now = datetime(2025, 6, 4, tzinfo=UTC)
    return NoticeFacts(
        id=1, uid="tw-1", call_uid="tw-1", organisation=organisation, organisation_name=None,
        organisation_timezone="UTC", reference=None, notice_type="market_survey", title="x", url=None,
        deadline_at=None, published_at=None, first_seen_at=now, last_changed_at=now, status="open",
        value_amount=Decimal(amount) if amount else None, value_currency="EUR", value_note=note, cpv_codes=[],
        eligible_countries=None, areas=[])


def test_cost_range_codes_config_knows_read_as_bands_in_the_readers_language(config) -> None:
    bands = ValueBands(config.sources)
    cern_c = _notice("CERN", "Cost range C: 5 - 10 MCHF")
    assert value_text(cern_c, "en", bands) == "CHF5m–CHF10m (Cost range C)"
    assert value_text(cern_c, "nl", bands) == "CHF\xa05\xa0mln. – CHF\xa010\xa0mln. (Cost range C)"
    esa = _notice("ESA", "> 500 KEURO")
    assert value_text(esa, "en", bands) == "over €500k"
    assert value_text(esa, "nl", bands) == "meer dan €\xa0500K"
    # a note no config knows is shown in the organisation's words; an amount alone as money
    assert value_text(_notice("ESO", "between 1 and 2 MEUR"), "nl", bands) == "between 1 and 2 MEUR"
    assert value_text(_notice("ESO", None, "2500"), "nl", bands) == "€\xa02.500,00"
    # esa-star's empty range "KEURO" states no value: nothing is shown, not "Value: KEURO"
    assert value_text(_notice("ESA", "KEURO"), "en", bands) == ""
    assert value_text(_notice("ESA", "KEURO", "2500"), "en", bands) == "€2,500.00"
    # CERN's letter means nothing at ESO
    assert value_text(_notice("ESO", "Cost range C: 5 - 10 MCHF"), "en", bands) == "Cost range C: 5 - 10 MCHF"


def test_period_labels_in_the_readers_language() -> None:
    now = datetime(2025, 6, 4, 8, tzinfo=UTC)
    week = period_for("weekly", now=now, timezone="Europe/Amsterdam")
    assert week.label("en") == "week 23, 2025" and week.label("nl") == "week 23 van 2025"
    day = period_for("daily", now=now, timezone="Europe/Amsterdam")
    assert day.label("en") == "Wed 4 Jun 2025" and day.label("nl") == "wo 4 jun 2025"
