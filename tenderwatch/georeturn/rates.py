"""Euro reference rates of the European Central Bank: the one currency georeturn compares in.

The ECB publishes a rate per currency and working day (units of the currency per euro) as CSV
(``eurofxref-hist.csv`` inside ``eurofxref-hist.zip``: ``Date,USD,JPY,...,`` with ISO dates and
``N/A`` for no rate; the day's ``eurofxref.csv``: ``Date, USD, ...`` with dates such as
``30 October 2026``) and as XML (``eurofxref-daily.xml``, ``eurofxref-hist-90d.xml``,
``eurofxref-hist.xml``: ``<Cube time="2026-10-30"><Cube currency="USD" rate="1.1172"/>...``).
``parse_rates`` reads all of them (and a ZIP holding one).

Tenderwatch ships a dated table (``data/eurofxref-hist.csv.gz``, see its README for source and
terms); ``tenderwatch georeturn rates FILE-OR-URL`` loads newer rates into the database, which take
precedence. A page never fetches anything: ``load_table`` reads the shipped file (once per process)
and the database. An amount is converted with the rate of its day, or of the latest publication
day before it (weekends, TARGET holidays), but never with a rate older than ``MAX_GAP_DAYS``: a
value is then left out of the sums and the page says why, rather than converted with a stale rate.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenderwatch.db.models import ExchangeRate

SHIPPED = Path(__file__).resolve().parent / "data" / "eurofxref-hist.csv.gz"
SHIPPED_SOURCE = "European Central Bank euro reference rates (table shipped with Tenderwatch)"
MAX_GAP_DAYS = 10
"""A rate may be this many days older than the amount's day (long holiday weekends), no more."""
MAX_FILE_BYTES = 64 * 1024 * 1024
CURRENCY_LENGTH = 3


class RateError(ValueError):
    """No usable rate: an unknown currency, or none published near the day."""


class RateFileError(ValueError):
    """A rates file that is not one of the ECB's formats (the message says where and why)."""


@dataclass
class ParsedRates:
    """What a rates file held: currency -> day -> rate, and the problems of the cells left out."""

    rates: dict[str, dict[date, Decimal]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, currency: str, day: date, rate: Decimal) -> None:
        self.rates.setdefault(currency, {})[day] = rate

    @property
    def count(self) -> int:
        return sum(len(days) for days in self.rates.values())

    @property
    def last_day(self) -> date | None:
        return max((max(days) for days in self.rates.values() if days), default=None)


@dataclass(frozen=True)
class Conversion:
    """An amount in euro and the rate that made it (1 for euro amounts)."""

    eur: Decimal
    currency: str
    rate: Decimal
    rate_day: date | None


class RateTable:
    """Rates by currency and day; ``to_eur`` converts with the rate of the day or the latest before it."""

    def __init__(self, rates: Mapping[str, Mapping[date, Decimal]], source: str) -> None:
        self.source = source
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, by_day in rates.items():
            days = sorted(by_day)
            self._days[currency] = days
            self._rates[currency] = [by_day[d] for d in days]

    @property
    def currencies(self) -> set[str]:
        return set(self._days) | {"EUR"}

    @property
    def last_day(self) -> date | None:
        return max((days[-1] for days in self._days.values() if days), default=None)

    def rate(self, currency: str, day: date) -> tuple[date, Decimal]:
        """The rate for ``currency`` on ``day`` (or the latest publication day up to MAX_GAP_DAYS before)."""
        days = self._days.get(currency)
        if not days:
            raise RateError(f"no ECB reference rate for {currency!r}")
        i = bisect.bisect_right(days, day) - 1
        if i < 0 or (day - days[i]).days > MAX_GAP_DAYS:
            latest = days[-1].isoformat()
            raise RateError(f"no ECB reference rate for {currency} on or shortly before {day.isoformat()} "
                            f"(rates known from {days[0].isoformat()} to {latest})")
        return days[i], self._rates[currency][i]

    def to_eur(self, amount: Decimal, currency: str, day: date) -> Conversion:
        code = currency.strip().upper()
        if code == "EUR":
            return Conversion(Decimal(amount), "EUR", Decimal(1), None)
        rate_day, rate = self.rate(code, day)
        return Conversion((Decimal(amount) / rate).quantize(Decimal("0.01")), code, rate, rate_day)

    def merged(self, newer: Mapping[str, Mapping[date, Decimal]], source: str) -> RateTable:
        """This table with ``newer``'s rates added (and taking precedence day by day)."""
        combined: dict[str, dict[date, Decimal]] = {
            c: dict(zip(self._days[c], self._rates[c], strict=True)) for c in self._days}
        for currency, by_day in newer.items():
            combined.setdefault(currency, {}).update(by_day)
        return RateTable(combined, source)


# --------------------------------------------------------------------------- reading the ECB's files


_NO_RATE = frozenset(("", "N/A", " N/A"))


def _decimal_rate(text: str) -> Decimal | None:
    """A rate cell: ``None`` for the ECB's ``N/A`` and empty cells; a positive decimal; else ValueError."""
    cell = text.strip()
    if not cell or cell in ("N/A", "n/a"):
        return None
    try:
        value = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f"{cell[:20]!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{cell[:20]!r} is not a positive rate")
    return value


def _day(text: str) -> date:
    cell = text.strip()
    try:
        return date.fromisoformat(cell)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(cell, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{cell[:30]!r} is not a date (YYYY-MM-DD or '30 October 2026')")


def _currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != CURRENCY_LENGTH or not code.isalpha():
        raise ValueError(f"{text.strip()[:20]!r} is not a currency code")
    return code


def _parse_csv(text: str, where: str) -> ParsedRates:
    out = ParsedRates()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip().lower() != "date":
        raise RateFileError(f"{where}: line 1: expected the ECB's header 'Date,USD,JPY,...'")
    currencies: list[str | None] = []
    for cell in header[1:]:
        if not cell.strip():
            currencies.append(None)  # the ECB ends every line with a comma
            continue
        try:
            currencies.append(_currency(cell))
        except ValueError as exc:
            raise RateFileError(f"{where}: line 1: {exc}") from None
    table = {c: out.rates.setdefault(c, {}) for c in currencies if c is not None}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        try:
            day = _day(row[0])
        except ValueError as exc:
            out.problems.append(f"{where}: line {line}: {exc}")
            continue
        for currency, cell in zip(currencies, row[1:], strict=False):
            if currency is None or cell in _NO_RATE:
                continue  # the common cases first: this loop reads 150,000 cells for the shipped table
            try:
                rate = _decimal_rate(cell)
            except ValueError as exc:
                out.problems.append(f"{where}: line {line}: {currency}: {exc}")
                continue
            if rate is not None:
                table[currency][day] = rate
    return out


def _parse_xml(data: bytes, where: str) -> ParsedRates:
    from pipeline.ted.safexml import BadXmlError, UnsafeXmlError, parse_bytes

    try:
        root = parse_bytes(data, where).getroot()
    except (BadXmlError, UnsafeXmlError) as exc:
        raise RateFileError(str(exc)) from None
    out = ParsedRates()
    days = [el for el in root.iter() if isinstance(el.tag, str) and el.get("time") is not None]
    if not days:
        raise RateFileError(f"{where}: no <Cube time=...> element: not an ECB reference rates file")
    for day_el in days:
        line = day_el.sourceline or 0
        try:
            day = _day(day_el.get("time", ""))
        except ValueError as exc:
            out.problems.append(f"{where}: line {line}: {exc}")
            continue
        for cube in day_el:
            if not isinstance(cube.tag, str) or cube.get("currency") is None:
                continue
            try:
                currency = _currency(cube.get("currency", ""))
                rate = _decimal_rate(cube.get("rate", ""))
            except ValueError as exc:
                out.problems.append(f"{where}: line {cube.sourceline or line}: {exc}")
                continue
            if rate is not None:
                out.add(currency, day, rate)
    return out


def parse_rates(data: bytes, where: str) -> ParsedRates:
    """Rates from the bytes of an ECB file (CSV, XML, a ZIP holding one, or gzip); ``where`` names it in
    problems. A file of another kind raises ``RateFileError``; a bad cell is a problem, the rest is read."""
    if len(data) > MAX_FILE_BYTES:
        raise RateFileError(f"{where}: {len(data)} bytes is more than the {MAX_FILE_BYTES} a rates file may have")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise RateFileError(f"{where}: a damaged gzip file: {exc}") from None
        return parse_rates(data, where)
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.infolist() if m.filename.lower().endswith((".csv", ".xml"))]
                if len(members) != 1:
                    raise RateFileError(f"{where}: expected one .csv or .xml file in the ZIP, found {len(members)}")
                if members[0].file_size > MAX_FILE_BYTES:
                    raise RateFileError(f"{where}: {members[0].filename} is too large ({members[0].file_size} bytes)")
                return parse_rates(archive.read(members[0]), f"{where}:{members[0].filename}")
        except zipfile.BadZipFile as exc:
            raise RateFileError(f"{where}: a damaged ZIP file: {exc}") from None
    head = data.lstrip()[:100]
    if head.startswith(b"<"):
        return _parse_xml(data, where)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RateFileError(f"{where}: line {line}: not UTF-8 text") from None
    return _parse_csv(text, where)


# --------------------------------------------------------------------------- the table in use


@lru_cache(maxsize=1)
def shipped_rates() -> ParsedRates:
    """The table shipped with Tenderwatch (read once per process)."""
    return parse_rates(SHIPPED.read_bytes(), SHIPPED.name)


def load_table(session: Session) -> RateTable:
    """The shipped table with the rates stored in the database (``tenderwatch georeturn rates``) on top."""
    stored: dict[str, dict[date, Decimal]] = {}
    for row in session.execute(select(ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate)):
        stored.setdefault(row.currency, {})[row.day] = Decimal(row.rate)
    base = RateTable(shipped_rates().rates, SHIPPED_SOURCE)
    if not stored:
        return base
    return base.merged(stored, f"{SHIPPED_SOURCE} and rates loaded into the database")


def store_rates(session: Session, parsed: ParsedRates, source: str) -> tuple[int, int]:
    """Store ``parsed`` (new days added, changed rates replaced); returns (added, changed)."""
    added = changed = 0
    for currency, by_day in parsed.rates.items():
        existing = {row.day: row for row in session.scalars(
            select(ExchangeRate).where(ExchangeRate.currency == currency))}
        for day, rate in by_day.items():
            row = existing.get(day)
            if row is None:
                session.add(ExchangeRate(currency=currency, day=day, rate=rate, source=source[:300]))
                added += 1
            elif Decimal(row.rate) != rate:
                row.rate, row.source = rate, source[:300]
                changed += 1
        session.flush()
    return added, changed


def forget_rates(session: Session, currencies: Iterable[str] | None = None) -> int:
    """Remove loaded rates (all, or of some currencies): the shipped table applies again."""
    stmt = delete(ExchangeRate)
    if currencies is not None:
        stmt = stmt.where(ExchangeRate.currency.in_(list(currencies)))
    return session.execute(stmt).rowcount or 0


def read_source(source: str, *, timeout: float = 60.0) -> tuple[bytes, str]:
    """The bytes of a rates file named by a path or an http(s) URL (the command's argument), bounded."""
    if source.startswith(("http://", "https://")):
        from urllib.request import Request, urlopen

        request = Request(source, headers={"User-Agent": "Tenderwatch (ECB reference rates)"})  # noqa: S310
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked above
            data = response.read(MAX_FILE_BYTES + 1)
        return data, source
    if "://" in source:
        raise RateFileError(f"{source[:80]}: only http(s) URLs and file paths are read")
    path = Path(source)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RateFileError(f"{source}: larger than {MAX_FILE_BYTES} bytes")
    return path.read_bytes(), path.name
