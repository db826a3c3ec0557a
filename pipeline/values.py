"""Estimated values: amounts with currency, ranges, and organisation cost-range codes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pycountry

from pipeline.records import Money

_NUMBER = re.compile(r"(\d[\d\s.,'’ ]*)\s*(k|m|mio|million|keuro|meuro|kchf|mchf)?", re.IGNORECASE)
_CURRENCY_WORDS = {"€": "EUR", "EURO": "EUR", "EUROS": "EUR", "KEURO": "EUR", "MEURO": "EUR", "CHF": "CHF",
                   "KCHF": "CHF", "MCHF": "CHF", "£": "GBP", "$": "USD", "SEK": "SEK", "KR": "SEK"}


def currency_code(text: str | None) -> str | None:
    """An ISO 4217 code found in ``text`` (EUR, CHF, '€', 'KEURO'...), checked against pycountry."""
    if not text:
        return None
    for token in re.findall(r"[A-Za-z]{3,5}|[€£$]", text):
        up = token.upper()
        if up in _CURRENCY_WORDS:
            return _CURRENCY_WORDS[up]
        if len(up) == 3 and pycountry.currencies.get(alpha_3=up) is not None:
            return up
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
