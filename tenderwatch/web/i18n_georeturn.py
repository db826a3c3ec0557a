"""Dutch for the georeturn and company directory pages (merged into ``tenderwatch.web.i18n.NL``); kept
apart so that these features' wording lives together."""

from __future__ import annotations

NL_GEORETURN: dict[str, str] = {
    "(untitled)": "(zonder titel)",
    "All orders known": "Totale bekende orderwaarde",
    "All orders": "Totale orderwaarde",
    "All {count} awards counted in the period": "Alle {count} meegetelde gunningen in de periode",
    "Class": "Klasse",
    "Coefficient": "Coëfficiënt",
    "Contracts known": "Bekende opdrachten",
    "Contracts": "Opdrachten",
    "contracts": "opdrachten",
    "Contribution share": "Aandeel in de bijdragen",
    "Contributions": "Bijdragen",
    "Country": "Land",
    "Date": "Datum",
    "Every country": "Alle landen",
    "Georeturn of {country} at {organisation}": "Georendement van {country} bij {organisation}",
    "How balanced": "Hoe evenwichtig",
    "Known but not in the sums": "Bekend maar niet meegeteld",
    "Known from": "Bekend uit",
    "Missed": "Gemist",
    "No award to {country} known in this period.": "Geen gunning aan {country} bekend in deze periode.",
    "No awards in this period.": "Geen gunningen in deze periode.",
    "No awards known in the last 12 months; showing the 12 months up to the latest known award ({date}).":
        "Geen gunningen bekend in de laatste 12 maanden; getoond worden de 12 maanden tot de laatst bekende "
        "gunning ({date}).",
    "No contract of this kind is known in the period.": "Geen opdracht van deze soort bekend in de periode.",
    "No figures for {years} in config: the newest earlier year's are used.":
        "Geen cijfers voor {years} in de configuratie: die van het laatste eerdere jaar worden gebruikt.",
    "Orders": "Orderwaarde",
    "Period": "Periode",
    "Rule": "Regel",
    "Share of orders": "Aandeel in de opdrachten",
    "Show": "Tonen",
    "Technology areas won and missed": "Gewonnen en gemiste technologiegebieden",
    "The awards behind the figures": "De gunningen achter de cijfers",
    "Trend over five periods": "Verloop over vijf perioden",
    "No return coefficient in these five periods (no contribution figures, or no contract known): nothing to draw. "
    "The table counts the contracts known.": "Geen rendementscoëfficiënt in deze vijf perioden (geen cijfers over "
    "bijdragen, of geen opdracht bekend): niets te tekenen. De tabel telt de bekende opdrachten.",
    "Value": "Waarde",
    "Values in euro at the European Central Bank's reference rate of the award's day.":
        "Waarden in euro tegen de referentiekoers van de Europese Centrale Bank op de dag van gunning.",
    "What": "Wat",
    "Where the numbers come from": "Waar de cijfers vandaan komen",
    "Winner": "Winnaar",
    "Without a year or dates the period is the rolling 12 months up to today; a year, or From and Until, "
    "choose another.": "Zonder jaar of datums is de periode de voortschrijdende 12 maanden tot vandaag; een jaar, "
                       "of Van en Tot, kiezen een andere.",
    "Won by {country}": "Gewonnen door {country}",
    "Won": "Gewonnen",
    "Year": "Jaar",
    "also": "ook",
    "illustrative figures, not the organisation's": "illustratieve cijfers, niet die van de organisatie",
    "illustrative": "illustratief",
    "no classes: the organisation publishes no return rule":
        "geen klassen: de organisatie publiceert geen rendementsregel",
    "no contribution figures": "geen cijfers over bijdragen",
    "none": "geen",
    "rolling {months} months": "voortschrijdend, {months} maanden",
    "{country} pays no contribution in these figures, so it has no coefficient.":
        "{country} draagt volgens deze cijfers niet bij en heeft dus geen coëfficiënt.",
    "{organisation} has no contribution figures in config/organisations.yaml, so there is no return coefficient: "
    "the orders below are what is known.":
        "{organisation} heeft geen cijfers over bijdragen in config/organisations.yaml, dus er is geen "
        "rendementscoëfficiënt: hieronder staan de bekende opdrachten.",
    "All contracts": "Alle opdrachten",
    "Supply contracts": "Leveringsopdrachten",
    "Service contracts": "Dienstenopdrachten",
    "well balanced": "evenwichtig",
    "poorly balanced": "onevenwichtig",
    "very poorly balanced": "zeer onevenwichtig",
    "TED award notice": "TED-gunningsaankondiging",
    "organisation's award list": "gunningslijst van de organisatie",
    "ILO follow-up": "ILO-opvolging",
    "{value} is not a year from 1950 to 2100": "{value} is geen jaar van 1950 tot 2100",
    "Return coefficient of {country} at {organisation}, five periods":
        "Rendementscoëfficiënt van {country} bij {organisation}, vijf perioden",
    "{organisation}: {known} of an unknown number of contracts known":
        "{organisation}: {known} van een onbekend aantal opdrachten bekend",
    "{count} of them not in the sums (below)": "waarvan {count} niet meegeteld (zie onder)",
    "Dashed lines: the class limits": "Stippellijnen: de klassegrenzen",
    "from TED award notices": "uit TED-gunningsaankondigingen",
    "from the organisation's award lists": "uit gunningslijsten van de organisatie",
    "from ILOs' follow-up": "uit de opvolging door ILO's",
    # the company directory
    "About": "Over het bedrijf",
    "An ILO will review it before it is public.": "Een ILO bekijkt het voordat het openbaar wordt.",
    "Back to your alert preferences": "Terug naar uw attenderingsvoorkeuren",
    "Big Science references": "Big Science-referenties",
    "Capabilities": "Kunde",
    "Capabilities (one per line)": "Kunde (één per regel)",
    "Certifications": "Certificeringen",
    "Certifications (one per line)": "Certificeringen (één per regel)",
    "Companies edit their record through their preferences link; a record they want listed waits here until an "
    "ILO publishes it or sends it back.": "Bedrijven bewerken hun gegevens via hun voorkeurenlink; gegevens die zij "
                                         "vermeld willen zien, wachten hier tot een ILO ze publiceert of terugstuurt.",
    "Companies of the ILO network that supply Big Science, each record written by the company and reviewed by an "
    "ILO.": "Bedrijven uit het ILO-netwerk die aan Big Science leveren; elk bedrijf schrijft zijn eigen gegevens, een "
            "ILO bekijkt ze.",
    "Company directory": "Bedrijvengids",
    "Contact": "Contact",
    "Contact e-mail": "E-mail contactpersoon",
    "Contact person": "Contactpersoon",
    "Contact telephone": "Telefoon contactpersoon",
    "Contracts known to Tenderwatch under your name (award notices, organisations' lists, your ILO's follow-up). "
    "Tick those that are yours to show them.":
        "Opdrachten die Tenderwatch onder uw naam kent (gunningsaankondigingen, lijsten van organisaties, opvolging "
        "door uw ILO). Vink aan wat van u is om het te tonen.",
    "Directory": "Bedrijvengids",
    "Directory review": "Beoordeling bedrijvengids",
    "Last edit": "Laatst bewerkt",
    "List us in the public directory and the brochure": "Vermeld ons in de openbare bedrijvengids en de brochure",
    "Listed": "Vermeld",
    "No company has written a directory record yet.": "Nog geen bedrijf heeft gegevens voor de gids geschreven.",
    "No company is published in the directory yet.": "Er staat nog geen bedrijf in de gids.",
    "No company matches these filters.": "Geen bedrijf voldoet aan deze filters.",
    "No contract is known under your name yet.": "Er is nog geen opdracht onder uw naam bekend.",
    "None confirmed yet.": "Nog geen bevestigd.",
    "Note from the ILO": "Opmerking van de ILO",
    "Note to the company": "Opmerking voor het bedrijf",
    "Publish": "Publiceren",
    "Review queue": "Te beoordelen",
    "Save the record": "Gegevens opslaan",
    "Saved.": "Opgeslagen.",
    "Send back with this note": "Terugsturen met deze opmerking",
    "Shown below: the record as the company last saved it.": "Hieronder: de gegevens zoals het bedrijf ze het laatst "
                                                             "opsloeg.",
    "Small or medium-sized enterprise (SME)": "Midden- of kleinbedrijf (mkb)",
    "State": "Stand",
    "Take out of the directory": "Uit de gids halen",
    "The company directory shows buyers at the Big Science organisations what you can do. Tick 'List us' to be in "
    "it: an ILO reviews your record before it is public, and again after each change; untick it to leave at once.":
        "De bedrijvengids laat inkopers bij de Big Science-organisaties zien wat u kunt. Vink 'Vermeld ons' aan om "
        "erin te staan: een ILO bekijkt uw gegevens voordat ze openbaar worden, en na elke wijziging opnieuw; vink het "
        "uit om er meteen uit te gaan.",
    "Website": "Website",
    "What you do (Dutch, optional)": "Wat u doet (Nederlands, niet verplicht)",
    "What you do (English)": "Wat u doet (Engels)",
    "Words": "Woorden",
    "You are signed in as an ILO: records not yet published are shown too, with their state.":
        "U bent ingelogd als ILO: ook niet gepubliceerde gegevens worden getoond, met hun stand.",
    "Your directory record": "Uw gegevens in de bedrijvengids",
    "Your record in the company directory": "Uw gegevens in de bedrijvengids",
    "in the directory since {date}": "in de gids sinds {date}",
    "published on {date} by {who}": "gepubliceerd op {date} door {who}",
    "see it": "bekijken",
    "the company has not asked to be listed": "het bedrijf heeft niet gevraagd om vermelding",
    "{count} Big Science references": "{count} Big Science-referenties",
    "{count} companies": "{count} bedrijven",
    "1 company": "1 bedrijf",
    "1 Big Science reference": "1 Big Science-referentie",
    "draft": "concept",
    "pending": "wacht op beoordeling",
    "published": "gepubliceerd",
    "returned": "teruggestuurd",
    "not said": "niet opgegeven",
    "yes": "ja",
    "no": "nee",
    "Partners for this call": "Partners voor deze oproep",
    "The call spans {count} technology areas. Companies that together cover all of them could bid as a team.":
        "De oproep beslaat {count} technologiegebieden. Bedrijven die samen alle gebieden dekken, kunnen als team "
        "inschrijven.",
    "Teams that cover every area": "Teams die elk gebied dekken",
    "that a company covers": "dat een bedrijf dekt",
    "no matching company": "geen passend bedrijf",
    "No matching company covers": "Geen passend bedrijf dekt",
}
