"""Estimated values: amounts with currency, ranges, and organisation cost-range codes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from pipeline.records import Money

HISTORIC_CURRENCIES = frozenset({
    "BGN",  # Bulgarian lev (euro from 2026)
    "HRK",  # Croatian kuna (2023)
    "LTL", "LVL",  # Lithuanian litas (2015), Latvian lats (2014)
    "EEK", "SKK",  # Estonian kroon (2011), Slovak koruna (2009)
    "CYP", "MTL", "SIT",  # Cypriot pound, Maltese lira (2008), Slovenian tolar (2007)
    "ROL", "CSD", "YUM", "BGL",  # Romanian leu before 2005, Serbian and Yugoslav dinar, Bulgarian lev before 1999
    "ATS", "BEF", "DEM", "ESP", "FIM", "FRF", "GRD", "IEP", "ITL", "LUF", "NLG", "PTE",  # before the euro
})
"""ISO 4217 codes withdrawn since (ISO 4217 amendments; pycountry lists current codes only): notices of
their time state values in them, and those values are kept, in their currency, never converted."""

_NUMBER = re.compile(r"(\d[\d\s.,'’ ]*)\s*(k|m|mio|million|keuro|meuro|kchf|mchf)?", re.IGNORECASE)
_CURRENCY_WORDS = {"€": "EUR", "EURO": "EUR", "EUROS": "EUR", "KEURO": "EUR", "MEURO": "EUR", "CHF": "CHF",
                   "KCHF": "CHF", "MCHF": "CHF", "£": "GBP", "$": "USD", "SEK": "SEK", "KR": "SEK"}


def names_only_a_unit(note: str | None) -> bool:
    """True for a value note that states no value: an empty range such as esa-star's "KEURO", "€", "- EUR".

    Such a note is kept as published (it is the organisation's word) but shown to nobody: "Value: KEURO"
    tells a reader nothing."""
    if not note:
        return True
    if re.search(r"\d", note):
        return False
    words = re.findall(r"[^\W\d_]+|[€£$]", note)
    return all(w.upper() in _CURRENCY_WORDS or currency_code(w) is not None for w in words)


def currency_code(text: str | None) -> str | None:
    """An ISO 4217 code found in ``text`` (EUR, CHF, '€', 'KEURO'...), checked against pycountry; a withdrawn
    code (BGN, HRK: ``codelists.HISTORIC_CURRENCIES``) only in capitals ("dem" is a German word, DEM a mark)."""
    if not text:
        return None
    for token in re.findall(r"[A-Za-z]{3,5}|[€£$]", text):
        up = token.upper()
        if up in _CURRENCY_WORDS:
            return _CURRENCY_WORDS[up]
        if len(up) == 3 and pycountry.currencies.get(alpha_3=up) is not None:
            return up
        if token in HISTORIC_CURRENCIES:
            return token
    return None


def parse_amount(text: str) -> Decimal | None:
    """'1 234 567,89' / '1,234,567.89' / '359 300 000,00' / '250k' -> Decimal."""
    m = _NUMBER.search(text)
    if not m:
        return None
    digits = re.sub(r"[\s'’ ]", "", m[1]).rstrip(".,")
    if "," in digits and "." in digits:
        if digits.rfind(",") > digits.rfind("."):
            digits = digits.replace(".", "").replace(",", ".")
        else:
            digits = digits.replace(",", "")
    elif "," in digits:
        _, _, tail = digits.rpartition(",")
        digits = digits.replace(",", ".") if len(tail) != 3 else digits.replace(",", "")
    elif digits.count(".") > 1 or (digits.count(".") == 1 and len(digits.rpartition(".")[2]) == 3):
        digits = digits.replace(".", "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None
    unit = (m[2] or "").lower()
    if unit in {"k", "keuro", "kchf"}:
        amount *= 1000
    elif unit in {"m", "mio", "million", "meuro", "mchf"}:
        amount *= 1_000_000
    return amount


def parse_value(text: str | None, currency: str | None = None,
                ranges: dict[str, dict] | None = None) -> tuple[Money | None, str | None]:
    """(estimated value, note) from a value as shown.

    A range keeps its upper bound as the estimate and its text as the note (a midpoint would
    invent a figure). Codes such as CERN's cost-range letters are looked up in ``ranges`` from the
    source config: ``{code: {min, max, currency, label}}``.
    """
    if text is None or not text.strip():
        return None, None
    raw = " ".join(text.split())
    if ranges and raw.strip().upper() in ranges:
        spec = ranges[raw.strip().upper()]
        cur = spec.get("currency") or currency
        top = spec.get("max")
        note = spec.get("label") or raw
        if top is not None and cur:
            return Money(amount=Decimal(str(top)), currency=cur), note
        low = spec.get("min")
        if low is not None and cur:
            return Money(amount=Decimal(str(low)), currency=cur), note
        return None, note
    cur = currency_code(raw) or currency
    parts = re.split(r"\s*(?:-|–|to|bis|à)\s*(?=\d)", raw)
    amounts = [a for a in (parse_amount(p) for p in parts) if a is not None]
    if not amounts or cur is None:
        return None, raw
    unit_scale = re.search(r"\b(k|keuro|kchf)\b", raw, re.IGNORECASE)
    if unit_scale and len(amounts) > 1:
        amounts = [a * 1000 if a < 1000 else a for a in amounts]
    return Money(amount=max(amounts), currency=cur), raw if len(amounts) > 1 or ">" in raw or "<" in raw else None


@dataclass(frozen=True, slots=True)
class ValueBand:
    """A cost-range code's bounds, as config gives them."""

    low: Decimal | None
    high: Decimal | None
    currency: str
    name: str | None
    """The organisation's own name for the code ('Cost range C'), when its label gives one before a colon."""


class ValueBands:
    """The cost-range codes of every configured source, found again from a notice's value note.

    ``parse_value`` stores a known code's label (or the code itself) as the note, so the note leads
    back to the code's bounds: a reader then sees the band in their own language and digits
    ('CHF5m–CHF10m', 'meer dan € 500K') instead of the organisation's English shorthand. A note no
    config knows (a free-text range, a label renamed since) is left for the caller to show as it is.
    """

    def __init__(self, sources: Iterable[Any]) -> None:
        self._bands: dict[tuple[str | None, str], ValueBand] = {}
        for source in sources:
            for code, spec in ((source.options or {}).get("value_ranges") or {}).items():
                data = spec if isinstance(spec, dict) else spec.model_dump()
                label = str(data.get("label") or code)
                name = label.split(":", 1)[0].strip() if ":" in label else None
                low, high = data.get("min"), data.get("max")
                band = ValueBand(_decimal(low), _decimal(high), str(data.get("currency") or ""), name)
                if not band.currency or (band.low is None and band.high is None):
                    continue
                for key in (label, str(code)):
                    self._bands[(source.organisation, _band_key(key))] = band

    def find(self, organisation: str | None, note: str | None) -> ValueBand | None:
        """The band a notice's value note names, for its organisation (or an aggregator's code)."""
        if not note:
            return None
        key = _band_key(note)
        return self._bands.get((organisation, key)) or self._bands.get((None, key))


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _band_key(text: str) -> str:
    return " ".join(text.split()).upper()
