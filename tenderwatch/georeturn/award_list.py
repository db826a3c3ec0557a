"""Import an award list an organisation publishes (CSV or XLSX) into ``award_records`` (origin "list").

Columns (header row, any order, case-insensitive; Dutch and French names are understood too):
``organisation`` (a code of ``config/organisations.yaml``; may be left out when the command names
one), ``date`` (YYYY-MM-DD, or day first: 31-12-2025, 31.12.2025, 31/12/2025; an Excel date cell),
``supplier``, ``supplier_country`` (ISO alpha-2), ``value`` (``1 234 567,89`` and ``1,234,567.89``
both read), ``currency`` (ISO 4217; a euro sign works), ``category`` (a technology area id or label,
"supply" or "service", or the organisation's own words), and optionally ``title``.

A row's technology areas: the area the category names, else what the classifier finds in the
category and title (``pipeline.classify``), as for notices. Every problem of a bad row is reported
at once with its line (the spreadsheet's row number), the row is skipped and the rest imported; a
file that is not a list of awards (missing columns, unknown columns) imports nothing. Rows are keyed
by their content, so importing the same list again changes nothing, and a corrected row is a new one
(the old one stays until ``--replace`` re-imports the whole list of that file).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.values import currency_code, parse_amount
from tenderwatch.config import Config
from tenderwatch.config.base import check_country
from tenderwatch.date_input import DateInputError, parse_user_date
from tenderwatch.db.models import AwardRecord, Company, Organisation
from tenderwatch.georeturn.awards import SERVICE_WORDS, SERVICES_AREA, supplier_key

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_TEXT = 2000
ALIASES = {
    "organisation": "organisation", "organization": "organisation", "org": "organisation",
    "organisatie": "organisation",
    "date": "date", "award_date": "date", "contract_date": "date", "datum": "date",
    "supplier": "supplier", "contractor": "supplier", "winner": "supplier", "company": "supplier",
    "leverancier": "supplier", "fournisseur": "supplier", "titulaire": "supplier",
    "supplier_country": "supplier_country", "country": "supplier_country", "land": "supplier_country",
    "pays": "supplier_country", "winner_country": "supplier_country",
    "value": "value", "amount": "value", "waarde": "value", "bedrag": "value", "montant": "value",
    "currency": "currency", "valuta": "currency", "munteenheid": "currency", "devise": "currency",
    "category": "category", "categorie": "category", "catégorie": "category", "area": "category",
    "title": "title", "description": "title", "omschrijving": "title", "objet": "title", "subject": "title",
}
REQUIRED = ("date", "supplier", "supplier_country", "value", "currency", "category")
SUPPLY_WORDS = frozenset({"supply", "supplies", "levering", "leveringen", "fourniture", "fournitures", "lieferung"})
DAY_FIRST = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")


@dataclass
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ListRow:
    line: int
    organisation: str
    awarded_on: date
    supplier: str
    country: str
    value: Decimal
    currency: str
    category: str
    title: str | None

    def ref(self) -> str:
        """The row's identity: its content (a re-import of the same list adds nothing)."""
        text = "|".join((self.organisation, self.awarded_on.isoformat(), supplier_key(self.supplier), self.country,
                         format(self.value.normalize(), "f"), self.currency, self.category.casefold(),
                         (self.title or "").casefold()))
        return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass
class ImportResult:
    file: str
    rows: list[ListRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    areas: dict[int, list[str]] = field(default_factory=dict)
    """Line -> the row's technology areas."""
    added: int = 0
    unchanged: int = 0
    removed: int = 0


# --------------------------------------------------------------------------- reading the file


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())[:MAX_TEXT]


def read_table(data: bytes, name: str) -> tuple[list[tuple[int, list[str]]], list[RowProblem]]:
    """(line, cells) of every row of a CSV or XLSX file, header first; problems for an unreadable file."""
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            return [], [RowProblem(0, f"{name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})")]
        sheet = book.worksheets[0]
        rows = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(sheet.iter_rows(values_only=True), 1)
                if i <= MAX_ROWS + 1]
        book.close()
        return rows, []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [RowProblem(line, "not UTF-8 text (save the sheet as 'CSV UTF-8' or XLSX)")]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    line = 0
    for cells in reader:
        start, line = line + 1, reader.line_num
        rows.append((start, [" ".join(c.split())[:MAX_TEXT] for c in cells]))
        if len(rows) > MAX_ROWS + 1:
            break
    return rows, []


def _date(text: str) -> date:
    match = DAY_FIRST.match(text)
    if match:
        text = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}"
    return parse_user_date(text, field="date") or _missing()


def _missing() -> date:
    raise DateInputError("date", "{value} is not a date: use YYYY-MM-DD, e.g. 2026-03-31", value="''")


def _currency(cell: str) -> str | None:
    """A whole cell naming one currency: an ISO 4217 code or a sign (``currency_code`` alone would
    also find one inside a longer text, which a list's currency column must not be)."""
    text = cell.strip()
    if len(text) == 1 or (len(text) == 3 and text.isalpha()):
        return currency_code(text)
    return None


def _area(category: str, title: str | None, config: Config, classifier: Any) -> list[str]:
    folded = category.casefold()
    for area in config.taxonomy.areas:
        if folded in (area.id, area.label.casefold(), (area.label_nl or "").casefold()):
            return [area.id]
    if folded in SERVICE_WORDS and any(a.id == SERVICES_AREA for a in config.taxonomy.areas):
        return [SERVICES_AREA]
    words = title if folded in SUPPLY_WORDS else " ".join(x for x in (category, title) if x)
    return [s.id for s in classifier.classify(words)] if words else []


def parse_list(data: bytes, name: str, config: Config, *, organisation: str | None = None) -> ImportResult:
    """Validate every row; see the module docstring."""
    result = ImportResult(name)
    if len(data) > MAX_BYTES:
        result.problems.append(RowProblem(0, f"{name}: larger than {MAX_BYTES // (1024 * 1024)} MB"))
        return result
    table, result.problems = read_table(data, name)
    if result.problems:
        return result
    table = [(line, cells) for line, cells in table if any(cells)]
    if not table:
        result.problems.append(RowProblem(1, "empty file: expected a header row"))
        return result
    header_line, header = table[0]
    columns: list[str | None] = []
    for cell in header:
        norm = cell.strip().casefold().replace(" ", "_").replace("-", "_")
        if norm and norm not in ALIASES:
            result.problems.append(RowProblem(header_line, f"unknown column {cell!r} (known: "
                                                           f"{', '.join(sorted(set(ALIASES.values())))})"))
        columns.append(ALIASES.get(norm))
    missing = [c for c in REQUIRED if c not in columns]
    if organisation is None and "organisation" not in columns:
        missing.insert(0, "organisation (or give --organisation)")
    if missing:
        result.problems.append(RowProblem(header_line, f"missing column(s): {', '.join(missing)}"))
    if result.problems:
        return result
    if len(table) > MAX_ROWS + 1:
        result.problems.append(RowProblem(0, f"more than {MAX_ROWS} rows: split the list"))
        return result

    from pipeline.classify import Classifier

    classifier = Classifier.for_config(config)
    orgs = {o.code.casefold(): o.code for o in config.organisations}
    for line, cells in table[1:]:
        if len(cells) > len(columns) and any(cells[len(columns):]):
            result.problems.append(RowProblem(line, f"{len(cells)} cells but the header has {len(columns)} columns"))
            continue
        values = {col: cell for col, cell in zip(columns, cells, strict=False) if col and cell}
        row, messages = _row(line, values, orgs, organisation)
        if row is not None:
            row.organisation = orgs.get(row.organisation.casefold(), row.organisation)
            result.rows.append(row)
        else:
            result.problems.append(RowProblem(line, "; ".join(messages)))
    result.areas = {row.line: _area(row.category, row.title, config, classifier) for row in result.rows}
    return result


def _row(line: int, values: dict[str, str], orgs: dict[str, str],
         organisation: str | None) -> tuple[ListRow | None, list[str]]:
    """One row, or every problem it has (all at once)."""
    messages: list[str] = []
    org = values.get("organisation") or organisation or ""
    if org.casefold() not in orgs:
        messages.append(f"organisation: unknown organisation {org[:40]!r}" if org else "organisation: missing")
    elif organisation and orgs[org.casefold()] != orgs.get(organisation.casefold()):
        messages.append(f"organisation: {org!r} but the import is for {organisation}")
    day: date | None = None
    try:
        day = _date(values.get("date", ""))
    except DateInputError as exc:
        messages.append(f"date: {exc.message}")
    supplier = values.get("supplier", "")
    if not supplier:
        messages.append("supplier: missing")
    country = ""
    try:
        country = check_country(values.get("supplier_country", "") or "?")
    except ValueError as exc:
        messages.append(f"supplier_country: {exc}" if values.get("supplier_country") else "supplier_country: missing")
    value = parse_amount(values["value"]) if values.get("value") else None
    if value is None or value < 0:
        messages.append(f"value: {values.get('value', '')[:30]!r} is not an amount" if values.get("value")
                        else "value: missing")
    currency = _currency(values.get("currency", ""))
    if currency is None:
        messages.append(f"currency: {values.get('currency', '')[:20]!r} is not an ISO 4217 code (EUR, CHF...)"
                        if values.get("currency") else "currency: missing")
    category = values.get("category", "")
    if not category:
        messages.append("category: missing")
    if messages or day is None or value is None or currency is None:
        return None, messages
    return ListRow(line, org, day, supplier, country, value, currency, category, values.get("title")), []


# --------------------------------------------------------------------------- storing


def store_list(session: Session, result: ImportResult, *, replace: bool = False) -> ImportResult:
    """Add the good rows of ``result`` (known rows are left as they are); ``replace`` first removes the
    rows an earlier import of the same file name added that this one no longer has."""
    org_ids = dict(session.execute(select(Organisation.code, Organisation.id)).all())
    companies = {supplier_key(c.name): c.id for c in session.scalars(select(Company))}
    refs = {row.ref(): row for row in result.rows}
    existing = set(session.scalars(select(AwardRecord.origin_ref).where(
        AwardRecord.origin == "list", AwardRecord.origin_ref.in_(list(refs)))))
    now = datetime.now(UTC)
    for ref, row in refs.items():
        if ref in existing:
            result.unchanged += 1
            continue
        session.add(AwardRecord(
            origin="list", origin_ref=ref, organisation_id=org_ids[row.organisation], awarded_on=row.awarded_on,
            supplier_name=row.supplier, supplier_country=row.country,
            company_id=companies.get(supplier_key(row.supplier)),
            value_amount=row.value, value_currency=row.currency, title=row.title, category=row.category[:200],
            areas=result.areas.get(row.line, []), source_name=f"{result.file} line {row.line}"[:300],
            created_at=now, updated_at=now))
        result.added += 1
    if replace:
        stale = delete(AwardRecord).where(AwardRecord.origin == "list",
                                          AwardRecord.source_name.like(f"{_like(result.file)} line %", escape="\\"),
                                          AwardRecord.origin_ref.not_in(list(refs) or [""]))
        result.removed = session.execute(stale).rowcount or 0
    session.flush()
    return result


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def import_award_list(session: Session, config: Config, path: str | Path, *, organisation: str | None = None,
                      replace: bool = False) -> ImportResult:
    """Read, validate and store an award list file (the ``tenderwatch georeturn import`` command)."""
    p = Path(path)
    if p.stat().st_size > MAX_BYTES:
        return ImportResult(p.name, problems=[RowProblem(0, f"{p.name}: larger than {MAX_BYTES // (1024 * 1024)} MB")])
    result = parse_list(p.read_bytes(), p.name, config, organisation=organisation)
    if result.rows and not any(pr.line == 0 for pr in result.problems):
        store_list(session, result, replace=replace)
    return result
