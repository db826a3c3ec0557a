"""Scraped text is hostile: the one place it is cleaned and bounded before it is stored or shown.

``clean_text`` (whitespace, control, invisible and bidi characters, length), ``public_url`` (the one
URL policy), ``cpv_codes``, and ``clean_record``: the last pass every record takes on its way into
the store (every field, every path: crawl, JSON lines, TED), so no entry point needs its own copy.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.records import MAX_TEXT, MAX_TITLE, Money, NoticeRecord

CONTROL_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")
"""What no stored text keeps: C0 and C1 controls (an ``ESC`` starts a terminal escape sequence), DEL,
the invisible ones (soft hyphen, zero-width space/joiners, word joiner, BOM, tag characters) and every
bidirectional mark, embedding, override and isolate (LRM, RLM, ALM, U+202A-E, U+2066-9) that can
make a text read differently from what it holds. Tab and line breaks are whitespace (collapsed)."""
MAX_URL = 2000
"""Longer URLs are not kept (no real notice link is longer; browsers and mail clients choke on them)."""


def clean_text(text: str | None, limit: int = MAX_TEXT, drop: re.Pattern[str] = CONTROL_CHARACTERS) -> str | None:
    """Collapse whitespace, drop control, invisible and bidi characters, bound the length.

    ``drop``: what to remove, when a format has more to drop than ``CONTROL_CHARACTERS`` (a pattern that
    includes it, so the text is scanned once)."""
    if text is None:
        return None
    if len(text) <= limit and text.isprintable() and "  " not in text and text[:1] != " " != text[-1:]:
        return text or None  # nothing to drop, collapse or cut (isprintable: no control, format or line break)
    text = drop.sub("", text)
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"})


def _scripts(host: str) -> set[str]:
    """The scripts of a host name's letters (Unicode character names' first word; digits, '-' and '.' have none)."""
    import unicodedata

    found: set[str] = set()
    for ch in host:
        if ch.isascii():
            if ch.isalpha():
                found.add("LATIN")
            continue
        if not ch.isalpha():
            continue
        script = unicodedata.name(ch, "UNKNOWN UNKNOWN").split()[0]
        found.add("EAST ASIAN" if script in _EAST_ASIAN else script)
    return found


def mixes_scripts(host: str) -> bool:
    """True when a host name's letters come from more than one script ("аррӏе.com": Cyrillic and Latin).

    Latin beside the East Asian scripts is allowed, as browsers allow it (Japanese names mix them)."""
    scripts = _scripts(host)
    return len(scripts - {"LATIN"}) > 1 or ("LATIN" in scripts and len(scripts) > 1 and "EAST ASIAN" not in scripts)


_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][!#-;=?-_a-~]*)?")
"""A lower-case http(s) URL with an ASCII host, no port, no credentials, and nothing to drop or encode."""
_URL_QUOTED = str.maketrans({" ": "%20", '"': "%22", "<": "%3C", ">": "%3E", "`": "%60"})


def public_url(url: str | None) -> str | None:
    """The one URL policy: the URL as stored, published and shown, or None when it may not be.

    Only absolute http(s) URLs with a host are kept: ``javascript:``, ``data:``, ``vbscript:``,
    ``file:``, relative and protocol-relative links are refused, wherever they come from (crawl, JSON
    lines, TED ``URI_DOC``), so no feed, OCDS release, page or mail can publish one. Invisible and
    control characters are dropped, spaces encoded, credentials (``https://bank.example@evil/``) removed,
    and a host mixing scripts (the Cyrillic look-alike "аррӏе.com") is given in its ASCII (punycode) form
    so it cannot pass for a familiar name; a single-script international name ("münchen.de") stays
    readable. A backslash in the host part is refused (browsers read it as '/', so
    ``https://evil.example\\@good.example/`` would lead elsewhere than it says). Longer than ``MAX_URL``:
    refused.
    """
    if not url:
        return None
    if len(url) <= MAX_URL and _PLAIN_URL.fullmatch(url):
        return url  # the common case, decided by one match: what follows would return it unchanged
    url = CONTROL_CHARACTERS.sub("", url).strip().translate(_URL_QUOTED)
    if not url or len(url) > MAX_URL or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or "\\" in parts.netloc:
        return None
    if "@" in parts.netloc or not host.isascii() or not url.startswith(scheme):
        if not host.isascii() and mixes_scripts(host):
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                return None
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{port}" if port else "")
        url = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


_CPV = re.compile(r"\b(\d{8})(?:-\d)?\b")


def cpv_codes(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for code in _CPV.findall(value):
            if code not in out:
                out.append(code)
    return out


# --------------------------------------------------------------------------- the one cleaning step of a record

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
"""Notice and call uids: the ones Tenderwatch makes (``tw-`` + hex) and anything else that is safe in a
URL path segment, a file name and a header without quoting (no ``/ ? # %``, quotes, spaces), 40 at most."""
_ORG_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_AREA_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
STATUSES = ("open", "closed", "cancelled", "awarded")
MAX_ITEMS = 1000
"""At most this many entries in any list of a record (lots, awards, codes, warnings...)."""
MAX_NESTING = 8
_MAX_AMOUNT = Decimal(10) ** 16
"""The store keeps amounts as NUMERIC(18, 2)."""


def safe_id(value: str | None) -> str | None:
    """The id when it matches ``ID_PATTERN``, else None (the store then makes its own)."""
    return value if value is not None and ID_PATTERN.match(value) else None


def _code(value: str | None, pattern: re.Pattern[str], *, upper: bool = True) -> str | None:
    if not value:
        return None
    value = value.strip()[:8]
    value = value.upper() if upper else value.lower()
    return value if pattern.match(value) else None


def _codes(values: list[str] | None, pattern: re.Pattern[str], *, upper: bool = True) -> list[str]:
    out: list[str] = []
    for value in (values or [])[:MAX_ITEMS]:
        code = _code(value, pattern, upper=upper) if isinstance(value, str) else None
        if code and code not in out:
            out.append(code)
    return out


def _cpvs(values: list[str]) -> list[str]:
    if all(isinstance(v, str) and len(v) == 8 and v.isdigit() for v in values) and len(set(values)) == len(values):
        return values[:MAX_ITEMS]  # already eight-digit codes, once each
    return cpv_codes([v for v in values[:MAX_ITEMS] if isinstance(v, str)])


def _money(money: Money | None, where: str, warnings: list[str]) -> Money | None:
    if money is None:
        return None
    currency = _code(money.currency, _CURRENCY)
    if currency is None or not money.amount.is_finite() or abs(money.amount) >= _MAX_AMOUNT:
        warnings.append(f"{where} dropped: not an amount with an ISO 4217 currency code")
        return None
    if money.currency != currency:  # assigned only when it changes (pydantic's ``__setattr__`` costs more)
        money.currency = currency
    return money


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)
MAX_EVIDENCE = 1_000_000
"""Characters of JSON evidence (``raw``, ``extra``) a record may keep."""


def _clean_json(value: Any) -> Any:
    """Evidence (``raw``, ``extra``): no control or invisible characters in any string, strings bounded,
    lists and mappings bounded, nesting bounded, the whole bounded; line breaks kept (a verbatim field
    may be a paragraph). Evidence with nothing to change is returned as it is."""
    size = _clean_size(value, 0)
    if 0 <= size <= MAX_EVIDENCE:
        return value
    cleaned = _clean_json_walk(value, 0)
    try:
        if len(_JSON_ENCODER.encode(cleaned)) > MAX_EVIDENCE:
            return {"dropped": f"evidence longer than {MAX_EVIDENCE} characters"}
    except (TypeError, ValueError):
        return {"dropped": "evidence that is not JSON"}
    return cleaned


def _clean_size(value: Any, depth: int) -> int:
    """About the characters of clean evidence, or -1 when something in it needs cleaning or bounding.

    ``str.isprintable`` is False for every control, format (bidi, zero-width) and separator character but
    the space: one C-speed test per string, without encoding the whole structure."""
    if isinstance(value, str):
        return len(value) if len(value) <= MAX_TEXT and value.isprintable() else -1
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if depth >= MAX_NESTING or len(value) > MAX_ITEMS:
        return -1
    if isinstance(value, dict):
        try:
            keys = "".join(value)
        except TypeError:  # a key that is not a string
            return -1
        if not keys.isprintable() or max(map(len, value), default=0) > 200:
            return -1
        total, items = len(keys) + 2, value.values()
    elif isinstance(value, list):
        total, items = 2, value
    else:
        return -1
    for item in items:
        kind = type(item)
        if kind is str:  # the common cases without a call
            if len(item) > MAX_TEXT or not item.isprintable():
                return -1
            total += len(item) + 4
            continue
        if item is None or kind is int or kind is bool or kind is float:
            total += 10  # as a call would count it: 8, and 2
            continue
        size = _clean_size(item, depth + 1)
        if size < 0:
            return -1
        total += size + 2
    return total


def _clean_json_walk(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("", value)
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
    if depth >= MAX_NESTING and isinstance(value, (dict, list, tuple)):
        return "…"
    if isinstance(value, dict):
        return {CONTROL_CHARACTERS.sub("", str(k))[:200]: _clean_json_walk(v, depth + 1)
                for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, (list, tuple)):
        return [_clean_json_walk(v, depth + 1) for v in value[:MAX_ITEMS]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:MAX_TEXT]


def _set(obj: Any, name: str, value: Any) -> None:
    """Assign only what changed (pydantic's ``__setattr__`` costs more than the comparison)."""
    if getattr(obj, name) != value:
        setattr(obj, name, value)


def clean_record(rec: NoticeRecord) -> NoticeRecord:
    """Clean and bound every field of a record, whatever path it came by (crawl, JSON lines, TED).

    The one step between the outside world and the store (``Store`` calls it on every record it is
    given): texts lose control, invisible and bidi characters and are bounded; URLs follow
    ``public_url``; codes (countries, currencies, languages, CPV, organisation, area ids) keep their
    shape or are dropped; uids the project did not make are replaced when they are not safe in a URL
    or a header; lists and evidence are bounded. What is dropped is said in the record's warnings.
    Raises ValueError when no title or no external id is left (the record is then a reject).
    Changes the record in place and returns it; cleaning a clean record changes nothing.
    """
    warnings: list[str] = []
    title = clean_text(rec.title, MAX_TITLE)
    external_id = clean_text(rec.external_id, 300)
    if not title:
        raise ValueError("no title (after removing control and invisible characters)")
    if not external_id:
        raise ValueError("no external id (after removing control and invisible characters)")
    _set(rec, "title", title)
    _set(rec, "external_id", external_id)
    _set(rec, "source", clean_text(rec.source, 100) or "unknown")
    for name in ("id", "call_id"):
        value = getattr(rec, name)
        if value is not None and safe_id(value) is None:
            warnings.append(f"{name} {clean_text(value, 60)!r} replaced: not a safe identifier")
            setattr(rec, name, None)
    if rec.organisation is not None and not _ORG_CODE.match(rec.organisation):
        warnings.append("organisation dropped: not an organisation code")
        rec.organisation = None
    for name, limit in (("reference", 200), ("description", MAX_TEXT), ("value_note", 200), ("buyer_name", 500),
                        ("eligibility_note", 2000), ("previous_notice", 300)):
        value = getattr(rec, name)
        if value is not None:
            _set(rec, name, clean_text(value, limit))
    for name in ("url", "documents_url"):
        value = getattr(rec, name)
        if value is not None:
            kept = public_url(value)
            if kept is None:
                warnings.append(f"{name} dropped: not an http(s) URL")
            _set(rec, name, kept)
    if rec.sources:
        rec.sources = rec.sources[:MAX_ITEMS]
        for ref in rec.sources:
            ref.name = clean_text(ref.name, 100) or "unknown"
            ref.url = public_url(ref.url)
            ref.external_id = clean_text(ref.external_id, 300)
    _set(rec, "buyer_country", _code(rec.buyer_country, _COUNTRY))
    if rec.eligible_countries is not None:
        _set(rec, "eligible_countries", _codes(rec.eligible_countries, _COUNTRY))
    _set(rec, "languages", _codes(rec.languages, _LANGUAGE, upper=False))
    _set(rec, "cpv_codes", _cpvs(rec.cpv_codes))
    if rec.estimated_value is not None:
        _set(rec, "estimated_value", _money(rec.estimated_value, "estimated value", warnings))
    if rec.status not in STATUSES:
        warnings.append(f"status {clean_text(rec.status, 40)!r} is not one of {', '.join(STATUSES)}: taken as open")
        rec.status = "open"
    if rec.technology_areas:
        _set(rec, "technology_areas", [a for a in rec.technology_areas[:MAX_ITEMS] if _AREA_ID.match(a.id)])
        for area in rec.technology_areas:
            _set(area, "evidence", [e for e in (clean_text(x, 300) for x in area.evidence[:20]) if e])
    if rec.lots:
        _set(rec, "lots", rec.lots[:MAX_ITEMS])
        for lot in rec.lots:
            _set(lot, "lot_number", clean_text(lot.lot_number, 40) or "?")
            _set(lot, "title", clean_text(lot.title, MAX_TITLE))
            _set(lot, "cpv_codes", _cpvs(lot.cpv_codes))
            if lot.value is not None:
                _set(lot, "value", _money(lot.value, f"lot {lot.lot_number} value", warnings))
    if rec.awards:
        awards = []
        for award in rec.awards[:MAX_ITEMS]:
            name = clean_text(award.winner_name, 500)
            if not name:
                warnings.append("an award without a winner's name was dropped")
                continue
            _set(award, "winner_name", name)
            _set(award, "winner_country", _code(award.winner_country, _COUNTRY))
            _set(award, "lot_number", clean_text(award.lot_number, 40))
            if award.value is not None:
                _set(award, "value", _money(award.value, f"award to {name[:60]} value", warnings))
            awards.append(award)
        _set(rec, "awards", awards)
    if rec.warnings or warnings:
        _set(rec, "warnings", [w for w in (clean_text(x, 500) for x in [*rec.warnings[:100], *warnings]) if w])
    if rec.extra:
        _set(rec, "extra", _clean_json(rec.extra))
    if rec.raw:
        _set(rec, "raw", _clean_json(rec.raw))
    return rec
