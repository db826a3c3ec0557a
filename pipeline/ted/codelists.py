"""Code lists TED notices use: countries, currencies, languages, time zones, notice types.

Countries, currencies and languages come from pycountry (ISO 3166, 4217, 639), time zones from
the IANA zone table (through pytz's ``country_timezones``), never from hand-typed tables. The
only exceptions are the two EU codes TED writes that ISO lacks: ``UK`` and ``EL`` (the EU
Interinstitutional Style Guide's codes for the United Kingdom and Greece), and the ISO 4217 codes withdrawn
since that notices of their time still use (``pipeline.values.HISTORIC_CURRENCIES``). The notice-type tables
map TED's own vocabularies (eForms ``notice-type`` codes, legacy form numbers) to Tenderwatch's.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

from pipeline.values import HISTORIC_CURRENCIES

EU_COUNTRY_CODES = {"UK": "GB", "EL": "GR"}
"""TED's legacy format writes the EU's own codes for two countries; ISO 3166 has GB and GR."""


@lru_cache(maxsize=1024)
def country_alpha2(code: str | None) -> str | None:
    """ISO 3166 alpha-2 for an alpha-2 (legacy TED), alpha-3 (eForms) or EU code; None if unknown."""
    if not code:
        return None
    code = code.strip().upper()
    if code in EU_COUNTRY_CODES:
        return EU_COUNTRY_CODES[code]
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    else:
        return None
    return found.alpha_2 if found is not None else None


@lru_cache(maxsize=256)
def currency(code: str | None) -> str | None:
    """An ISO 4217 code, current or historic, checked; None if absent or unknown."""
    if not code:
        return None
    code = code.strip().upper()
    if code in HISTORIC_CURRENCIES:
        return code
    return code if pycountry.currencies.get(alpha_3=code) is not None else None


@lru_cache(maxsize=256)
def language_alpha2(code: str | None) -> str | None:
    """ISO 639-1 (``en``) for a 3-letter eForms code (``ENG``) or a 2-letter legacy code (``EN``)."""
    if not code:
        return None
    code = code.strip().lower()
    if len(code) == 2:
        return code if pycountry.languages.get(alpha_2=code) is not None else None
    found = pycountry.languages.get(alpha_3=code)
    if found is None:  # bibliographic variants (GER/FRE/DUT) are what some senders write
        found = pycountry.languages.get(bibliographic=code)
    return getattr(found, "alpha_2", None) if found is not None else None


@lru_cache(maxsize=256)
def country_timezone(country: str | None) -> str:
    """The main IANA zone of a country (first in zone.tab: Europe/Madrid for ES), UTC if unknown."""
    import pytz

    if not country:
        return "UTC"
    zones = pytz.country_timezones.get(country.upper())
    return zones[0] if zones else "UTC"


# eForms notice-type codes (code list "notice-type", eForms SDK) -> Tenderwatch notice types.
EFORMS_NOTICE_TYPES: dict[str, str] = {
    "pin-only": "prior_information",
    "pin-buyer": "prior_information",
    "pin-rtl": "prior_information",
    "pin-tran": "prior_information",
    "pin-cfc-standard": "prior_information",
    "pin-cfc-social": "prior_information",
    "qu-sy": "other",
    "pmc": "market_survey",
    "cn-standard": "invitation_to_tender",
    "cn-social": "invitation_to_tender",
    "cn-desg": "invitation_to_tender",
    "subco": "invitation_to_tender",
    "veat": "contract_award",
    "can-standard": "contract_award",
    "can-social": "contract_award",
    "can-desg": "contract_award",
    "can-tran": "contract_award",
    "can-modif": "contract_award",
    "corr": "corrigendum",
}

# eForms notice subtypes that are not named by their notice-type code alone.
EFORMS_SUBTYPES: dict[str, str] = {"CEI": "expression_of_interest"}

# Legacy TED forms (R2.0.9 F01-F25) -> Tenderwatch notice types. F21-F23 (social and other
# specific services) carry calls, PINs and awards alike: their NOTICE TYPE decides.
LEGACY_FORMS: dict[str, str] = {
    "F01": "prior_information",
    "F02": "invitation_to_tender",
    "F03": "contract_award",
    "F04": "prior_information",
    "F05": "invitation_to_tender",
    "F06": "contract_award",
    "F07": "other",
    "F08": "prior_information",
    "F12": "invitation_to_tender",
    "F13": "contract_award",
    "F14": "corrigendum",
    "F15": "contract_award",
    "F16": "prior_information",
    "F17": "invitation_to_tender",
    "F18": "contract_award",
    "F19": "invitation_to_tender",
    "F20": "contract_award",
    "F24": "invitation_to_tender",
    "F25": "contract_award",
}

# F21-F23 say what they are in ``<NOTICE TYPE="...">``; prefixes of that attribute's values.
LEGACY_NOTICE_TYPE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("PRI", "prior_information"),
    ("QUALIFICATION", "other"),
    ("AWARD", "contract_award"),
    ("CONTRACT", "invitation_to_tender"),
    ("CONCESSION", "invitation_to_tender"),
)


def publication_number(text: str | None) -> str | None:
    """TED's publication number without zero padding: ``00522031-2023`` and ``522031-2023`` are one notice.

    Also reads the OJ S form ``2019/S 109-267097`` (legacy references to earlier notices).
    """
    if not text:
        return None
    text = text.strip()
    if "/S" in text:  # "2019/S 109-267097"
        year, _, rest = text.partition("/")
        number = rest.rsplit("-", 1)[-1]
        if year.isdigit() and number.isdigit():
            return f"{int(number)}-{year}"
        return None
    number, _, year = text.partition("-")
    if number.isdigit() and year.isdigit() and len(year) == 4:
        return f"{int(number)}-{year}"
    return None
