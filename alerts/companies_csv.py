"""Import company profiles from a CSV file, the kind of list an ILO keeps of its companies.

Columns (header row, any order, case-insensitive): ``name``, ``recipients`` (or ``email``),
``country`` are required; ``key``, ``language``, ``timezone``, ``areas``, ``keywords``,
``cpv_prefixes`` (or ``cpv``), ``organisations``, ``value_min``, ``value_max``, ``frequency`` are
optional. List cells separate items with ``;``, ``|`` or a line break (a comma also works in
recipients, areas, CPV and organisation cells, not in keywords, which may contain one). The field
delimiter (``,`` or ``;``, as Excel writes it in the Netherlands) is detected; a UTF-8 BOM is fine.

A row is validated by the same model as ``config/companies.yaml`` (``CompanyConfig``) plus the
same cross-checks (known areas and organisations). A bad row is reported with its line number and
every problem it has (all at once: fixing one does not reveal the next on a second run), and
skipped; good rows are imported, with a warning for a row without areas, keywords or CPV prefixes
(it would match no call). ``docs/companies-example.csv`` is a file to start from. Rows are keyed
by ``key`` (default: a slug of the name), so a re-import updates rather than duplicates, and keeps
an unsubscribe.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine, select

from tenderwatch.config import CompanyConfig, Config
from tenderwatch.config.base import CPV_PREFIX, check_email
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Company
from tenderwatch.sync import apply_company

ALIASES = {
    "key": "key", "name": "name", "company": "name", "recipients": "recipients", "email": "recipients",
    "emails": "recipients", "country": "country", "language": "language", "timezone": "timezone",
    "areas": "areas", "keywords": "keywords", "cpv_prefixes": "cpv_prefixes", "cpv": "cpv_prefixes",
    "organisations": "organisations", "organizations": "organisations", "value_min": "value_min",
    "value_max": "value_max", "frequency": "frequency",
}
LIST_FIELDS = {"recipients", "areas", "keywords", "cpv_prefixes", "organisations"}
REQUIRED = {"name", "recipients", "country"}
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class CsvProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class CsvImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)
    warnings: list[CsvProblem] = field(default_factory=list)
    """Rows imported that deserve a look (no areas, keywords or CPV prefixes: they match nothing)."""
    rows: int = 0


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100]


def _split(value: str, fld: str) -> list[str]:
    pattern = r"[;|\n]" if fld == "keywords" else r"[;|,\n]"
    return [part.strip() for part in re.split(pattern, value) if part.strip()]


def _check_row(data: dict[str, object], areas: set[str], orgs: set[str]) -> tuple[list[str], CompanyConfig | None]:
    """Every problem of one row in one pass (so a second import does not reveal new ones), in column
    order, and the profile when there is none."""
    messages: list[str] = []
    profile: CompanyConfig | None = None
    per_item = ("recipients", "cpv_prefixes")  # checked item by item below, so that each bad item is named
    try:
        profile = CompanyConfig.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            where = ".".join(str(p) for p in e["loc"]) or "row"
            if e["loc"] and e["loc"][0] in per_item and data.get(str(e["loc"][0])):
                continue
            messages.append(f"{where}: {e['msg'].removeprefix('Value error, ')}")
    for email in _items(data, "recipients"):
        try:
            check_email(email)
        except ValueError as exc:
            messages.append(f"recipients: {exc}")
    messages += [f"cpv_prefixes: {p!r} must be 2 to 8 digits" for p in _items(data, "cpv_prefixes")
                 if not CPV_PREFIX.fullmatch(p)]
    messages += [f"unknown area {a!r} (known: {', '.join(sorted(areas))})" for a in _items(data, "areas")
                 if a not in areas]
    messages += [f"unknown organisation {o!r} (known: {', '.join(sorted(orgs))})"
                 for o in _items(data, "organisations") if o not in orgs]
    low, high = _decimal(data.get("value_min")), _decimal(data.get("value_max"))
    if low is not None and high is not None and low > high:
        messages.append("value_min is above value_max")
    return messages, (profile if not messages else None)


def _items(data: dict[str, object], name: str) -> list[str]:
    value = data.get(name)
    return [str(v) for v in value] if isinstance(value, list) else []


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


def parse_rows(text: str, config: Config,
               warnings: list[CsvProblem] | None = None) -> tuple[list[tuple[int, CompanyConfig]], list[CsvProblem]]:
    """Validated profiles with their line numbers, and the problems of the rows that were not
    (every problem of a row at once). Rows that would match nothing are imported and added to
    ``warnings``."""
    problems: list[CsvProblem] = []
    warnings = [] if warnings is None else warnings
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        return [], [CsvProblem(1, "empty file: expected a header row")]
    columns: list[str | None] = []
    for name in header:
        norm = name.strip().lower().replace(" ", "_").replace("-", "_")
        if norm and norm not in ALIASES:
            problems.append(CsvProblem(1, f"unknown column {name!r} (known: {', '.join(sorted(set(ALIASES)))})"))
        columns.append(ALIASES.get(norm))
    missing = REQUIRED - {c for c in columns if c}
    if missing:
        problems.append(CsvProblem(1, f"missing column(s): {', '.join(sorted(missing))}"))
    if problems:
        return [], problems  # a misspelt header would silently drop a field from every row

    areas = {a.id for a in config.taxonomy.areas}
    orgs = {o.code for o in config.organisations}
    out: list[tuple[int, CompanyConfig]] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            problems.append(CsvProblem(start, f"{len(row)} cells but the header has {len(columns)} columns"))
            continue
        data: dict[str, object] = {}
        for col, cell in zip(columns, row, strict=False):
            if col is None or not cell.strip():
                continue
            data[col] = _split(cell, col) if col in LIST_FIELDS else cell.strip()
        if isinstance(data.get("language"), str):
            data["language"] = str(data["language"]).lower()
        if isinstance(data.get("frequency"), str):
            data["frequency"] = str(data["frequency"]).lower()
        if "organisations" in data:
            data["organisations"] = [o.upper() if o.upper() in orgs else o for o in data["organisations"]]  # type: ignore[union-attr]
        data.setdefault("key", slug(str(data.get("name", ""))))
        messages, profile = _check_row(data, areas, orgs)
        key = str(data["key"])
        if key in first_line:
            messages.append(f"duplicate key {key!r} (first on line {first_line[key]})")
        first_line.setdefault(key, start)
        if messages or profile is None:
            problems.append(CsvProblem(start, "; ".join(messages)))
            continue
        if not (profile.areas or profile.keywords or profile.cpv_prefixes):
            warnings.append(CsvProblem(start, f"{profile.name}: no areas, keywords or CPV prefixes, so it matches "
                                              "no call (imported; fill them in or let the company do it)"))
        out.append((start, profile))
    return out, problems


def import_companies_csv(engine: Engine, config: Config, path: str | Path) -> CsvImportResult:
    """Import (create or update) the good rows of a CSV file; see the module docstring."""
    p = Path(path)
    result = CsvImportResult()
    if p.stat().st_size > MAX_BYTES:
        result.problems.append(CsvProblem(0, f"file larger than {MAX_BYTES // (1024 * 1024)} MB"))
        return result
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        result.problems.append(CsvProblem(line, "not UTF-8 text (save the sheet as 'CSV UTF-8')"))
        return result
    rows, result.problems = parse_rows(text, config, result.warnings)
    result.rows = len(rows)
    with session_scope(engine) as session:
        existing = {c.key: c for c in session.scalars(select(Company).where(
            Company.key.in_([profile.key for _line, profile in rows])))}
        for _line, profile in rows:
            company = existing.get(profile.key)
            if company is None:
                company = Company(key=profile.key, created_at=datetime.now(UTC))
                session.add(company)
                result.created.append(profile.key)
            else:
                result.updated.append(profile.key)
            apply_company(company, profile.model_dump())
    return result
