"""The words of the mails in English and Dutch, and locale-aware formatting (Babel).

One dictionary per language keeps the templates single (one .txt.j2/.html.j2 pair per mail, not
one per language) and makes a missing Dutch string a test failure (``test_i18n_complete``)
instead of a silent English fallback. Times, dates and days left come from ``tenderwatch.formats``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, format_decimal

from tenderwatch.formats import LOCALES

LANGUAGES = ("en", "nl")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "digest_subject": "Tenderwatch {period}: {count} call(s) for {company}",
        "digest_intro": "Calls of Big Science organisations matching the profile of {company}, {period}.",
        "digest_none": "No new calls matched your profile this period.",
        "closing_soon": "Closing soon",
        "closing_soon_intro": "Matched calls whose deadline falls within the next {days} days.",
        "new": "new",
        "changed": "changed",
        "deadline_moved": "deadline moved from {old}",
        "corrigendum": "corrigendum published",
        "field_changed": "{field} changed",
        "organisation": "Organisation",
        "reference": "Reference",
        "type": "Type",
        "deadline": "Deadline",
        "no_deadline": "not given",
        "value": "Value",
        "why": "Why",
        "link": "Link",
        "more": "and {count} more matching call(s) not listed here",
        "area_label": "area {label}",
        "keyword_label": "keyword “{value}”",
        "cpv_label": "CPV {value}… ({detail})",
        "cpv_label_plain": "CPV {value}…",
        "other_area": "Other matches",
        "footer_why": "You receive this because {company} subscribed to Tenderwatch alerts through the ILO network.",
        "preferences": "Change your profile or unsubscribe",
        "unsubscribe": "Unsubscribe",
        "link_expires": "These links expire on {date}.",
        "calendar_note": "The attached calendar file holds the deadlines.",
        "ilo_subject": "Tenderwatch: {count} new or changed call(s) for {organisations}",
        "ilo_intro": "New and changed calls of the organisations you cover, found by the latest crawl.",
        "event_new": "New call",
        "event_deadline": "Deadline changed",
        "event_cancelled": "Cancelled",
        "areas": "Technology areas",
        "companies": "Matching companies",
        "no_companies": "No registered company matches this call.",
        "unhealthy_sources": "Sources currently failing (calls may be missing from them):",
        "contact": "contact",
        "health_subject": "Tenderwatch: {count} source(s) need attention",
        "health_intro": "These sources failed or returned nothing unusually.",
        "notice_types.forthcoming": "forthcoming",
        "notice_types.prior_information": "prior information",
        "notice_types.market_survey": "market survey",
        "notice_types.invitation_to_tender": "invitation to tender",
        "notice_types.price_enquiry": "price enquiry",
        "notice_types.expression_of_interest": "expression of interest",
        "notice_types.contract_award": "contract award",
        "notice_types.corrigendum": "corrigendum",
        "notice_types.other": "other",
    },
    "nl": {
        "digest_subject": "Tenderwatch {period}: {count} oproep(en) voor {company}",
        "digest_intro": ("Aanbestedingen van Big Science-organisaties die passen bij het profiel van "
                         "{company}, {period}."),
        "digest_none": "Deze periode passen geen nieuwe aanbestedingen bij uw profiel.",
        "closing_soon": "Sluit binnenkort",
        "closing_soon_intro": "Passende aanbestedingen waarvan de deadline binnen {days} dagen valt.",
        "new": "nieuw",
        "changed": "gewijzigd",
        "deadline_moved": "deadline verschoven van {old}",
        "corrigendum": "rectificatie gepubliceerd",
        "field_changed": "{field} gewijzigd",
        "organisation": "Organisatie",
        "reference": "Referentie",
        "type": "Soort",
        "deadline": "Deadline",
        "no_deadline": "niet vermeld",
        "value": "Waarde",
        "why": "Waarom",
        "link": "Link",
        "more": "en nog {count} passende aanbesteding(en) die hier niet staan",
        "area_label": "gebied {label}",
        "keyword_label": "trefwoord “{value}”",
        "cpv_label": "CPV {value}… ({detail})",
        "cpv_label_plain": "CPV {value}…",
        "other_area": "Overige",
        "footer_why": ("U ontvangt dit bericht omdat {company} zich via het ILO-netwerk heeft aangemeld "
                       "voor Tenderwatch."),
        "preferences": "Profiel wijzigen of afmelden",
        "unsubscribe": "Afmelden",
        "link_expires": "Deze links verlopen op {date}.",
        "calendar_note": "Het bijgevoegde agendabestand bevat de deadlines.",
        "ilo_subject": "Tenderwatch: {count} nieuwe of gewijzigde oproep(en) voor {organisations}",
        "ilo_intro": "Nieuwe en gewijzigde aanbestedingen van uw organisaties, gevonden bij de laatste crawl.",
        "event_new": "Nieuwe aanbesteding",
        "event_deadline": "Deadline gewijzigd",
        "event_cancelled": "Geannuleerd",
        "areas": "Technologiegebieden",
        "companies": "Passende bedrijven",
        "no_companies": "Geen geregistreerd bedrijf past bij deze aanbesteding.",
        "unhealthy_sources": "Bronnen die nu niet goed werken (daar kunnen aanbestedingen ontbreken):",
        "contact": "contact",
        "health_subject": "Tenderwatch: {count} bron(nen) vragen aandacht",
        "health_intro": "Deze bronnen faalden of leverden ongewoon niets op.",
        "notice_types.forthcoming": "aangekondigd",
        "notice_types.prior_information": "vooraankondiging",
        "notice_types.market_survey": "marktverkenning",
        "notice_types.invitation_to_tender": "uitnodiging tot inschrijving",
        "notice_types.price_enquiry": "prijsaanvraag",
        "notice_types.expression_of_interest": "belangstellingsregistratie",
        "notice_types.contract_award": "gunning",
        "notice_types.corrigendum": "rectificatie",
        "notice_types.other": "overig",
    },
}


class Texts:
    """``t.closing_soon`` / ``t("closing_soon_intro", days=3)`` in templates, for one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in TEXTS else "en"
        self._table = TEXTS[self.language]

    def __getattr__(self, key: str) -> str:
        try:
            return self._table[key]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **values: object) -> str:
        return self._table[key].format(**values)

    def notice_type(self, value: str) -> str:
        return self._table.get(f"notice_types.{value}", value.replace("_", " "))


@lru_cache(maxsize=50_000)
def format_money(amount: Decimal, currency: str | None, language: str) -> str:
    if currency:
        try:
            return format_currency(amount, currency, locale=LOCALES[language], format_type="standard")
        except (ValueError, KeyError):
            pass
    return f"{format_decimal(amount, locale=LOCALES[language])} {currency or ''}".strip()
