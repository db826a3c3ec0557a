"""English and Dutch: the language a visitor reads, and the Dutch wording of every English text.

The English text is the key (templates call ``t("Open calls")``), so a missing Dutch entry shows
English rather than a bare key; ``tests/web/test_i18n.py`` checks every text used in a template
has its Dutch entry. The language comes from ``?lang=`` (remembered in a cookie), then the cookie,
then ``Accept-Language``.
"""

from __future__ import annotations

from starlette.requests import Request

from tenderwatch.web.i18n_georeturn import NL_GEORETURN

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
    # the follow-up (tenderwatch.web.views_followup)
    "Your answers suggest a change to your profile": "Uw antwoorden wijzen op een wijziging van uw profiel",
    ("{area}: you answered “Not for us” to {rejected} of {answered} calls ({wrong} said wrong area). Untick it "
     "below if it no longer fits."):
        ("{area}: u antwoordde “Niet voor ons” op {rejected} van {answered} oproepen ({wrong} keer verkeerd "
         "gebied). Vink het hieronder uit als het niet meer past."),
    "Companies' answers per technology area": "Antwoorden van bedrijven per technologiegebied",
    ("How often companies said “Not for us” to calls of an area, from the links in digests and targeted mails: "
     "a measure of how precise matching is."):
        ("Hoe vaak bedrijven “Niet voor ons” zeiden op oproepen van een gebied, via de links in overzichten en "
         "gerichte mails: een maat voor hoe precies het koppelen is."),
    "Interested": "Interesse",
    "Share not for us": "Aandeel niet voor ons",
    "Reasons given": "Gegeven redenen",
    "none given": "geen opgegeven",
    "No company has answered yet.": "Nog geen bedrijf heeft geantwoord.",
    'A word for the ILO (optional)': 'Een woord voor de ILO (optioneel)',
    'Add a company that did not match': 'Een bedrijf toevoegen dat niet paste',
    'Add to the follow-up': 'Aan de opvolging toevoegen',
    "Back to the call's follow-up": 'Terug naar de opvolging van de oproep',
    'Call': 'Oproep',
    'Call page': 'Pagina van de oproep',
    'Change the state': 'De stand wijzigen',
    'Changed your mind? Answer the other way': 'Van gedachten veranderd? Antwoord andersom',
    ("This link was used before and your answer has changed since: it records nothing again. "
     "Use the links in a newer mail, or reply to your ILO."):
        ("Deze link is al eerder gebruikt en uw antwoord is sindsdien gewijzigd: hij legt niets meer vast. "
         "Gebruik de links in een nieuwere mail, of beantwoord de mail van uw ILO."),
    'Companies per call, by where they stand.': 'Bedrijven per oproep, naar hoe het ervoor staat.',
    'Contract value': 'Contractwaarde',
    'Currency': 'Valuta',
    'Detail': 'Toelichting',
    ('Each company gets a personal mail in its language with the call, why it fits, your note, and two'
     ' links to answer; you are its Reply-To. It is marked informed.'):
        ('Elk bedrijf krijgt een persoonlijke mail in zijn taal met de oproep, waarom die past, uw '
         'notitie en twee links om te antwoorden; antwoorden komen bij u. Het bedrijf staat daarna op '
         'geïnformeerd.'),
    'Every company is listed above.': 'Elk bedrijf staat hierboven al.',
    'Firm': 'Bedrijf',
    'Firms on the list the organisation sent (one per line: name; country code)':
        'Bedrijven op de lijst van de organisatie (één per regel: naam; landcode)',
    'Follow-up': 'Opvolging',
    'Follow-up board': 'Opvolgingsbord',
    'For a win: the contract value': 'Bij gunning: de contractwaarde',
    'History': 'Geschiedenis',
    'In the network': 'In het netwerk',
    'In your words (optional)': 'In uw woorden (optioneel)',
    'Include finished (won, lost, withdrawn, not interested)':
        'Ook afgerond (gewonnen, verloren, teruggetrokken, geen interesse)',
    'Matching companies and follow-up': 'Passende bedrijven en opvolging',
    'New state': 'Nieuwe stand',
    'No bidder list recorded for this call.': 'Voor deze oproep is geen lijst van inschrijvers vastgelegd.',
    'No changes yet.': 'Nog geen wijzigingen.',
    "No follow-ups match. Open a call's matching companies to send targeted mails or record a state.":
        ('Geen opvolging voldoet. Open de passende bedrijven van een oproep om gerichte mails te '
         'sturen of een stand vast te leggen.'),
    'Not for us': 'Niet voor ons',
    'Note': 'Notitie',
    'Note (optional)': 'Notitie (optioneel)',
    'Record that this call is not for {company}?': 'Vastleggen dat deze oproep niets is voor {company}?',
    'Record that {company} is interested in this call?': 'Vastleggen dat {company} interesse heeft in deze oproep?',
    'Record the bidder list': 'Lijst van inschrijvers vastleggen',
    'Recorded': 'Vastgelegd',
    'Result': 'Resultaat',
    'Save': 'Bewaren',
    'Send': 'Sturen',
    'Send a mail to {name}': 'Een mail sturen aan {name}',
    'Send targeted mail': 'Gerichte mail sturen',
    'Since': 'Sinds',
    'State': 'Stand',
    'Targeted mail': 'Gerichte mail',
    'Targeted mail to the ticked companies': 'Gerichte mail aan de aangevinkte bedrijven',
    'Thank you: {company} is recorded as interested. The ILO network has been told.':
        'Dank u: {company} staat genoteerd met interesse. Het ILO-netwerk is op de hoogte.',
    'Thank you: {company} is recorded as not interested in this call.':
        'Dank u: {company} staat genoteerd zonder interesse in deze oproep.',
    "The organisation's bidder list": 'De lijst van inschrijvers van de organisatie',
    "These companies received this call's mail before. Send it to them again?":
        'Deze bedrijven kregen de mail over deze oproep al eerder. Opnieuw sturen?',
    'To': 'Naar',
    'When': 'Wanneer',
    'Who': 'Wie',
    'Why': 'Waarom',
    'Why it fits although its profile does not match': 'Waarom het past hoewel het profiel niet overeenkomt',
    'Why it is followed': 'Waarom het wordt opgevolgd',
    'Why not? (optional)': 'Waarom niet? (optioneel)',
    'Yes, send again': 'Ja, opnieuw sturen',
    'Yes, we are interested': 'Ja, wij hebben interesse',
    'Your answer': 'Uw antwoord',
    'Your answer so far: {answer}.': 'Uw antwoord tot nu toe: {answer}.',
    'Your note (optional)': 'Uw notitie (optioneel)',
    'added by an ILO': 'toegevoegd door een ILO',
    'answered from a digest': 'geantwoord vanuit een overzicht',
    'bid submitted': 'ingeschreven',
    'informed': 'geïnformeerd',
    'interested': 'interesse',
    'lost': 'verloren',
    'mail sent {when}': 'mail verstuurd {when}',
    'not eligible': 'niet toegelaten',
    'not followed up yet': 'nog niet opgevolgd',
    'not interested': 'geen interesse',
    'not sent': 'niet verstuurd',
    'proposed to the organisation': 'voorgedragen bij de organisatie',
    'refused by the mail server': 'geweigerd door de mailserver',
    'sent': 'verstuurd',
    'sent before: not sent again': 'eerder verstuurd: niet opnieuw',
    'suggested': 'voorgesteld',
    'the company': 'het bedrijf',
    'too big': 'te groot',
    'unsubscribed': 'afgemeld',
    'withdrawn': 'teruggetrokken',
    'won': 'gewonnen',
    'wrong area': 'verkeerd gebied',
}

NL.update(NL_GEORETURN)

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
