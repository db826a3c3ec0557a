"""English and Dutch: the language a visitor reads, and the Dutch wording of every English text.

The English text is the key (templates call ``t("Open calls")``), so a missing Dutch entry shows
English rather than a bare key; ``tests/web/test_i18n.py`` checks every text used in a template
has its Dutch entry. The language comes from ``?lang=`` (remembered in a cookie), then the cookie,
then ``Accept-Language``.
"""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("en", "nl")
LANG_COOKIE = "lang"

NL: dict[str, str] = {
    "Open calls": "Open oproepen",
    "Calls": "Oproepen",
    "Georeturn": "Georendement",
    "Sign in": "Inloggen",
    "Sign out": "Uitloggen",
    "For ILOs": "Voor ILO's",
    "Administration": "Beheer",
    "Search title and description": "Zoek in titel en beschrijving",
    "Search": "Zoeken",
    "Organisation": "Organisatie",
    "Technology area": "Technologiegebied",
    "Notice type": "Soort aankondiging",
    "Deadline from": "Deadline vanaf",
    "Deadline until": "Deadline tot",
    "Open to firms from": "Open voor bedrijven uit",
    "Any": "Alle",
    "Include closed calls": "Ook gesloten oproepen",
    "Filter": "Filteren",
    "Reset": "Wissen",
    "Deadline": "Deadline",
    "Published": "Gepubliceerd",
    "Title": "Titel",
    "Reference": "Referentie",
    "Status": "Status",
    "No calls match these filters.": "Geen oproepen voldoen aan deze filters.",
    "No notices are stored in this database yet.": "Deze database bevat nog geen aankondigingen.",
    "Collect them with a crawl:": "Haal ze op met een crawl:",
    "To see the demo's calls instead:": "Om de oproepen van de demo te zien:",
    "then": "daarna",
    "No call is open right now.": "Er is op dit moment geen oproep open.",
    "Left out of the filter:": "Niet in het filter opgenomen:",
    "The search is not saved:": "De zoekopdracht is niet bewaard:",
    "{value} is not a date: use YYYY-MM-DD, e.g. 2026-03-31":
        "{value} is geen datum: gebruik JJJJ-MM-DD, bijvoorbeeld 2026-03-31",
    "{value} is out of range: use a date from {earliest} to {latest}":
        "{value} valt buiten het bereik: gebruik een datum van {earliest} tot {latest}",
    "{value} is not a week: use YYYY-Www, e.g. 2026-W07":
        "{value} is geen week: gebruik JJJJ-Www, bijvoorbeeld 2026-W07",
    "{value}: {year} has no week {week}": "{value}: {year} heeft geen week {week}",
    "{value} is not one of the choices": "{value} is geen van de keuzes",
    "{value} is not a country code: use two letters, e.g. NL":
        "{value} is geen landcode: gebruik twee letters, bijvoorbeeld NL",
    "Previous": "Vorige",
    "Next": "Volgende",
    "Page {page} of {pages}": "Pagina {page} van {pages}",
    "{count} calls": "{count} oproepen",
    "Stages": "Fasen",
    "Sources": "Bronnen",
    "Changes": "Wijzigingen",
    "No changes recorded.": "Geen wijzigingen vastgelegd.",
    "Technology areas": "Technologiegebieden",
    "Evidence": "Onderbouwing",
    "Score": "Score",
    "Documents": "Documenten",
    "Tender documents": "Aanbestedingsdocumenten",
    "Original notice": "Oorspronkelijke aankondiging",
    "Estimated value": "Geschatte waarde",
    "Eligible countries": "Toegelaten landen",
    "open to all": "open voor iedereen",
    "Buyer": "Aanbestedende dienst",
    "Description": "Beschrijving",
    "Awards": "Gunningen",
    "Winner": "Winnaar",
    "Country": "Land",
    "Value": "Waarde",
    "Lot": "Perceel",
    "Feeds": "Feeds",
    "Atom feed": "Atom-feed",
    "Calendar of deadlines": "Agenda met deadlines",
    "Matching companies": "Passende bedrijven",
    "Matching companies (CSV)": "Passende bedrijven (CSV)",
    "Company": "Bedrijf",
    "Reasons": "Redenen",
    "Contacts": "Contactpersonen",
    "No company matches this call.": "Geen bedrijf past bij deze oproep.",
    "Source health": "Status van de bronnen",
    "Source": "Bron",
    "Last run": "Laatste run",
    "Last success": "Laatste succes",
    "Last error": "Laatste fout",
    "Runs": "Runs",
    "Healthy": "Gezond",
    "yes": "ja",
    "no": "nee",
    "never": "nooit",
    "User name": "Gebruikersnaam",
    "Password": "Wachtwoord",
    "Wrong user name or password.": "Onjuiste gebruikersnaam of wachtwoord.",
    "Too many failed attempts; try again later.": "Te veel mislukte pogingen; probeer het later opnieuw.",
    "Too many attempts; try again in {seconds} s.": "Te veel pogingen; probeer het over {seconds} s opnieuw.",
    "Users": "Gebruikers",
    "Role": "Rol",
    "Add user": "Gebruiker toevoegen",
    "Created": "Aangemaakt",
    "Contracts awarded per winner country": "Gegunde opdrachten per land van de winnaar",
    "From": "Van",
    "Until": "Tot",
    "Contracts": "Opdrachten",
    "Total value": "Totale waarde",
    "Download CSV": "CSV downloaden",
    "No awards in this period.": "Geen gunningen in deze periode.",
    "No awards in the last 12 months; showing the 12 months up to the latest award stored ({date}).":
        ("Geen gunningen in de laatste 12 maanden; getoond worden de 12 maanden tot de laatste opgeslagen "
         "gunning ({date})."),
    "Winners": "Winnaars",
    "and {count} more": "en nog {count}",
    "Your alert preferences": "Uw attenderingsvoorkeuren",
    "Keywords (one per line)": "Trefwoorden (één per regel)",
    "Organisations (none ticked: all)": "Organisaties (niets aangevinkt: alle)",
    "Frequency": "Frequentie",
    "weekly": "wekelijks",
    "daily": "dagelijks",
    "Language": "Taal",
    "Save preferences": "Voorkeuren opslaan",
    "Your preferences are saved.": "Uw voorkeuren zijn opgeslagen.",
    "unknown choice: {choices}": "onbekende keuze: {choices}",
    "at most {count} keywords": "ten hoogste {count} trefwoorden",
    "frequency must be weekly or daily": "de frequentie is wekelijks of dagelijks",
    "language must be en or nl": "de taal is en of nl",
    "Unsubscribe": "Afmelden",
    "Subscribe again": "Opnieuw aanmelden",
    "Unsubscribe from all Tenderwatch mail": "Afmelden voor alle Tenderwatch-mail",
    "You are unsubscribed. No more digests will be sent.":
        "U bent afgemeld. Er worden geen overzichten meer verstuurd.",
    "Unsubscribe {name} from Tenderwatch digests?": "{name} afmelden voor Tenderwatch-overzichten?",
    "This link is not valid.": "Deze link is niet geldig.",
    "This link has expired. The next digest contains a fresh one.":
        "Deze link is verlopen. Het volgende overzicht bevat een nieuwe.",
    "Your calendar of matching deadlines": "Uw agenda met passende deadlines",
    "New calendar link (the old one stops working)": "Nieuwe agendalink (de oude werkt dan niet meer)",
    "ILO address": "ILO-adres",
    "Every ILO sees every company (ilo_scope: network).": "Elke ILO ziet elk bedrijf (ilo_scope: network).",
    "An ILO account bound to an ILO address sees the companies of the organisations that address covers; an "
    "account bound to none sees all (ilo_scope: organisations).":
        "Een ILO-account met een ILO-adres ziet de bedrijven van de organisaties die dat adres dekt; een account "
        "zonder adres ziet alle (ilo_scope: organisations).",
    "Save this search": "Deze zoekopdracht bewaren",
    "Name of the search": "Naam van de zoekopdracht",
    "Saved searches": "Bewaarde zoekopdrachten",
    "Your first visit: this page shows the last {days} days.":
        "Uw eerste bezoek: deze pagina toont de laatste {days} dagen.",
    "What is new since {when} (your previous visit).": "Wat nieuw is sinds {when} (uw vorige bezoek).",
    "Your organisations:": "Uw organisaties:",
    "All organisations.": "Alle organisaties.",
    "Sources failing": "Bronnen met storing",
    "unhealthy": "gestoord",
    "last success": "laatste succes",
    "Calls of these sources may be missing below.": "Oproepen van deze bronnen kunnen hieronder ontbreken.",
    "New calls": "Nieuwe oproepen",
    "No new calls since then.": "Sindsdien geen nieuwe oproepen.",
    "Closing within {days} days": "Sluit binnen {days} dagen",
    "No call closes within {days} days.": "Geen oproep sluit binnen {days} dagen.",
    "No deadline moved and no call cancelled since then.":
        "Sindsdien is geen deadline verschoven en geen oproep geannuleerd.",
    "None yet: filter the open calls, then save the search (it gets an Atom feed).":
        "Nog geen: filter de open oproepen en bewaar de zoekopdracht (die krijgt een Atom-feed).",
    "Page not found.": "Pagina niet gevonden.",
    "Something went wrong": "Er ging iets mis",
    "Skip to content": "Naar de inhoud",
    "Open data": "Open data",
    "seen on": "gezien op",
    "change notice": "rectificatie",
    "published": "gepubliceerd",
    "first seen": "eerst gezien",
    "last seen": "laatst gezien",
    "Matching needs the alerts matcher, which is not installed.":
        "Voor passende bedrijven is de matcher van de attenderingen nodig; die is niet geïnstalleerd.",
    "(unknown)": "(onbekend)",
    "Companies with Dutch firms in mind": "Oproepen voor Nederlandse bedrijven",
    "Readable without JavaScript; data also as feeds and open data.":
        "Leesbaar zonder JavaScript; gegevens ook als feeds en open data.",
    "status": "status",
    "deadline_at": "deadline",
    "published_at": "publicatiedatum",
    "forthcoming": "aangekondigd",
    "prior_information": "vooraankondiging",
    "market_survey": "marktverkenning",
    "invitation_to_tender": "uitnodiging tot inschrijving",
    "price_enquiry": "prijsaanvraag",
    "expression_of_interest": "belangstellingsregistratie",
    "contract_award": "gunning",
    "corrigendum": "rectificatie",
    "other": "overig",
    "open": "open",
    "closed": "gesloten",
    "cancelled": "geannuleerd",
    "awarded": "gegund",
}

NOTICE_TYPE_LABELS_EN = {
    "forthcoming": "forthcoming", "prior_information": "prior information", "market_survey": "market survey",
    "invitation_to_tender": "invitation to tender", "price_enquiry": "price enquiry",
    "expression_of_interest": "expression of interest", "contract_award": "contract award",
    "corrigendum": "corrigendum", "other": "other",
}


def translate(lang: str, text: str, **values: object) -> str:
    template = NL.get(text, text) if lang == "nl" else NOTICE_TYPE_LABELS_EN.get(text, text)
    return template.format(**values) if values else template


def pick_language(request: Request, *, default: str | None = None) -> str:
    """``?lang=``, else ``default`` (a company's own language on its pages), else the cookie, else
    ``Accept-Language``, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    if default in LANGUAGES:
        return default  # type: ignore[return-value]
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
