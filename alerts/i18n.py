"""The words of the mails in English and Dutch; every formatted value comes from ``tenderwatch.formats``.

One dictionary per language keeps the templates single (one .txt.j2/.html.j2 pair per mail, not
one per language), and ``tests/alerts/test_i18n.py`` fails on a key one language lacks instead of
showing a silent English fallback. A text that counts something is a dictionary of CLDR plural
forms (``{"one": "{n} call", "other": "{n} calls"}``): ``t("n_new", n=3)`` picks the form the
language's plural rules give 3 and writes 3 in the language's digits (Babel), so no mail says
"call(s)" or "dag(en)" or shows 1,234 on a Dutch page.
"""

from __future__ import annotations

from collections.abc import Mapping

from tenderwatch.formats import format_count

LANGUAGES = ("en", "nl")

Entry = str | Mapping[str, str]

TEXTS: dict[str, dict[str, Entry]] = {
    "en": {
        "digest_subject": "Tenderwatch {period}: {summary} for {company}",
        "digest_subject_none": "Tenderwatch {period}: no new calls for {company}",
        "digest_intro": "Calls of Big Science organisations matching the profile of {company}, {period}.",
        "digest_none": "No new calls matched your profile this period.",
        "n_new": {"one": "{n} new call", "other": "{n} new calls"},
        "n_changed_first": {"one": "{n} changed call", "other": "{n} changed calls"},
        "n_changed": {"other": "{n} changed"},
        "n_closing_first": {"one": "{n} call closing soon", "other": "{n} calls closing soon"},
        "n_closing": {"other": "{n} closing soon"},
        "closing_soon": "Closing soon",
        "closing_soon_intro": {"one": "Matched calls whose deadline falls within the next day.",
                               "other": "Matched calls whose deadline falls within the next {n} days."},
        "new": "new",
        "changed": "changed",
        "organisation": "Organisation",
        "reference": "Reference",
        "type": "Type",
        "deadline": "Deadline",
        "no_deadline": "not given",
        "value": "Value",
        "why": "Why",
        "more_reasons": {"other": "{n} more"},
        "link": "Link",
        "more": {"one": "and {n} more matching call not listed here",
                 "other": "and {n} more matching calls not listed here"},
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
        "calendar_link": "Your deadlines calendar (subscribe to it once: it stays up to date)",
        "ilo_subject": "Tenderwatch {organisations}: {summary}",
        "n_event_new": {"one": "{n} new call", "other": "{n} new calls"},
        "n_event_deadline": {"one": "{n} deadline changed", "other": "{n} deadlines changed"},
        "n_event_cancelled": {"other": "{n} cancelled"},
        "n_event_reminder": {"one": "{n} interested company without a bid",
                             "other": "{n} interested companies without a bid"},
        "reminders_title": "Interested, no bid recorded, closing within a week",
        "reminders_intro": "These companies said they are interested; record their bid when they send it.",
        "follow_up_board": "Follow-up board",
        "ilo_intro": "New and changed calls of the organisations you cover, found by the latest crawl.",
        "ilo_more": {"one": "{n} more new or changed call follows in the next notification.",
                     "other": "{n} more new or changed calls follow in the next notification."},
        "event_new": "New call",
        "event_deadline": "Deadline changed",
        "event_cancelled": "Cancelled",
        "areas": "Technology areas",
        "call_page": "Call page",
        "companies": "Matching companies",
        "companies_count": {"one": "{n} matching company", "other": "{n} matching companies"},
        "companies_more": {"one": "and {n} more company: see all matching companies",
                           "other": "and {n} more companies: see all matching companies"},
        "all_companies": "All matching companies",
        "no_companies": "No registered company matches this call.",
        "unhealthy_sources": "Sources currently failing (calls may be missing from them):",
        "contact": "contact",
        "ilo_footer": "You receive this as the ILO for {organisations} in Tenderwatch.",
        "ilo_site": "Your page on the site",
        "sources_page": "Source health",
        "targeted_subject": "Call for tender for {company}: {title}",
        "targeted_greeting": "Dear colleagues at {company},",
        "targeted_intro": "{ilo} of the ILO network points you to this call for tender:",
        "targeted_why": "Why it fits {company}",
        "documents": "Tender documents",
        "answer_question": "Is this call for you? One click tells the ILO network:",
        "answer_short": "For you?",
        "answer_interested": "Interested",
        "answer_not_interested": "Not for us",
        "answer_note": "Each link opens a page where you confirm; you can change your answer later.",
        "targeted_reply": "Reply to this mail to reach {ilo} ({email}).",
        "targeted_footer": ("{ilo} sent you this through Tenderwatch, the ILO network's tender service, because "
                            "{company} is registered with it."),
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
        "digest_subject": "Tenderwatch {period}: {summary} voor {company}",
        "digest_subject_none": "Tenderwatch {period}: geen nieuwe aanbestedingen voor {company}",
        "digest_intro": ("Aanbestedingen van Big Science-organisaties die passen bij het profiel van "
                         "{company}, {period}."),
        "digest_none": "Deze periode passen geen nieuwe aanbestedingen bij uw profiel.",
        "n_new": {"one": "{n} nieuwe aanbesteding", "other": "{n} nieuwe aanbestedingen"},
        "n_changed_first": {"one": "{n} gewijzigde aanbesteding", "other": "{n} gewijzigde aanbestedingen"},
        "n_changed": {"other": "{n} gewijzigd"},
        "n_closing_first": {"one": "{n} aanbesteding sluit binnenkort",
                            "other": "{n} aanbestedingen sluiten binnenkort"},
        "n_closing": {"one": "{n} sluit binnenkort", "other": "{n} sluiten binnenkort"},
        "closing_soon": "Sluit binnenkort",
        "closing_soon_intro": {"one": "Passende aanbestedingen waarvan de deadline binnen {n} dag valt.",
                               "other": "Passende aanbestedingen waarvan de deadline binnen {n} dagen valt."},
        "new": "nieuw",
        "changed": "gewijzigd",
        "organisation": "Organisatie",
        "reference": "Referentie",
        "type": "Soort",
        "deadline": "Deadline",
        "no_deadline": "niet vermeld",
        "value": "Waarde",
        "why": "Waarom",
        "more_reasons": {"other": "nog {n}"},
        "link": "Link",
        "more": {"one": "en nog {n} passende aanbesteding die hier niet staat",
                 "other": "en nog {n} passende aanbestedingen die hier niet staan"},
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
        "calendar_link": "Uw agenda met de deadlines (abonneer u er eenmaal op: hij blijft bij)",
        "ilo_subject": "Tenderwatch {organisations}: {summary}",
        "n_event_new": {"one": "{n} nieuwe aanbesteding", "other": "{n} nieuwe aanbestedingen"},
        "n_event_deadline": {"one": "{n} deadline gewijzigd", "other": "{n} deadlines gewijzigd"},
        "n_event_cancelled": {"other": "{n} geannuleerd"},
        "n_event_reminder": {"one": "{n} bedrijf met interesse zonder inschrijving",
                             "other": "{n} bedrijven met interesse zonder inschrijving"},
        "reminders_title": "Interesse, geen inschrijving vastgelegd, sluit binnen een week",
        "reminders_intro": ("Deze bedrijven gaven aan interesse te hebben; leg hun inschrijving vast zodra ze "
                            "inschrijven."),
        "follow_up_board": "Opvolgingsbord",
        "ilo_intro": "Nieuwe en gewijzigde aanbestedingen van uw organisaties, gevonden bij de laatste crawl.",
        "ilo_more": {"one": "Nog {n} nieuwe of gewijzigde aanbesteding volgt in het volgende bericht.",
                     "other": "Nog {n} nieuwe of gewijzigde aanbestedingen volgen in het volgende bericht."},
        "event_new": "Nieuwe aanbesteding",
        "event_deadline": "Deadline gewijzigd",
        "event_cancelled": "Geannuleerd",
        "areas": "Technologiegebieden",
        "call_page": "Pagina van de aanbesteding",
        "companies": "Passende bedrijven",
        "companies_count": {"one": "{n} passend bedrijf", "other": "{n} passende bedrijven"},
        "companies_more": {"one": "en nog {n} bedrijf: zie alle passende bedrijven",
                           "other": "en nog {n} bedrijven: zie alle passende bedrijven"},
        "all_companies": "Alle passende bedrijven",
        "no_companies": "Geen geregistreerd bedrijf past bij deze aanbesteding.",
        "unhealthy_sources": "Bronnen die nu niet goed werken (daar kunnen aanbestedingen ontbreken):",
        "contact": "contact",
        "ilo_footer": "U ontvangt dit bericht als ILO voor {organisations} in Tenderwatch.",
        "ilo_site": "Uw pagina op de site",
        "sources_page": "Stand van de bronnen",
        "targeted_subject": "Aanbesteding voor {company}: {title}",
        "targeted_greeting": "Beste collega's van {company},",
        "targeted_intro": "{ilo} van het ILO-netwerk wijst u op deze aanbesteding:",
        "targeted_why": "Waarom dit bij {company} past",
        "documents": "Aanbestedingsdocumenten",
        "answer_question": "Is deze aanbesteding iets voor u? Eén klik laat het ILO-netwerk het weten:",
        "answer_short": "Iets voor u?",
        "answer_interested": "Interesse",
        "answer_not_interested": "Niet voor ons",
        "answer_note": "Elke link opent een pagina waar u bevestigt; u kunt uw antwoord later wijzigen.",
        "targeted_reply": "Beantwoord deze mail om {ilo} ({email}) te bereiken.",
        "targeted_footer": ("{ilo} stuurde u dit via Tenderwatch, de aanbestedingsdienst van het ILO-netwerk, omdat "
                            "{company} daarbij is aangemeld."),
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
    """``t.closing_soon`` / ``t("more", n=3)`` in templates and code, for one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in TEXTS else "en"
        self._table = TEXTS[self.language]

    def __getattr__(self, key: str) -> str:
        try:
            entry = self._table[key]
        except KeyError:
            raise AttributeError(key) from None
        if not isinstance(entry, str):
            raise AttributeError(f"{key} counts something: use t({key!r}, n=...)")
        return entry

    def __call__(self, key: str, **values: object) -> str:
        entry = self._table[key]
        if isinstance(entry, str):
            return entry.format(**values)
        count = values.pop("n")
        if not isinstance(count, int):
            raise TypeError(f"{key}: n must be an int, not {count!r}")
        return format_count(count, entry, self.language, **values)

    def notice_type(self, value: str) -> str:
        entry = self._table.get(f"notice_types.{value}")
        return entry if isinstance(entry, str) else value.replace("_", " ")

    def summary(self, *counts: tuple[str, int]) -> str:
        """'3 new calls, 1 changed, 2 closing soon': each non-zero count in order, the first one naming
        what is counted (``key_first`` when the key has such a form), joined with commas."""
        parts: list[str] = []
        for key, count in counts:
            if count:
                first = f"{key}_first"
                parts.append(self(first if not parts and first in self._table else key, n=count))
        return ", ".join(parts)
