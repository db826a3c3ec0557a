"""Import company profiles from a CSV file, the kind of list an ILO keeps of its companies.

Columns (header row, any order, case-insensitive): ``name``, ``recipients`` (or ``email``),
``country`` are required; ``key``, ``language``, ``timezone``, ``areas``, ``keywords``,
``cpv_prefixes`` (or ``cpv``), ``organisations``, ``value_min``, ``value_max``, ``frequency`` are
optional. List cells separate items with ``;``, ``|`` or a line break (a comma also works in
recipients, areas, CPV and organisation cells, not in keywords, which may contain one). The field
delimiter (``,`` or ``;``, as Excel writes it in the Netherlands) is detected; a UTF-8 BOM is fine.

A row is validated by the same model as ``config/companies.yaml`` (``CompanyConfig``) plus the
same cross-checks (known areas and organisations). A bad row is reported with its line number and
why, and skipped; good rows are imported. Rows are keyed by ``key`` (default: a slug of the name),
so a re-import updates rather than duplicates, and keeps an unsubscribe.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine, select

from tenderwatch.config import CompanyConfig, Config
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
    rows: int = 0


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100]


def _split(value: str, fld: str) -> list[str]:
    pattern = r"[;|\n]" if fld == "keywords" else r"[;|,\n]"
    return [part.strip() for part in re.split(pattern, value) if part.strip()]


def parse_rows(text: str, config: Config) -> tuple[list[tuple[int, CompanyConfig]], list[CsvProblem]]:
    """Validated profiles with their line numbers, and the problems of the rows that were not."""
    problems: list[CsvProblem] = []
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
        try:
            profile = CompanyConfig.model_validate(data)
        except ValidationError as exc:
            msgs = [f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors(include_url=False)]
            problems.append(CsvProblem(start, "; ".join(msgs)))
            continue
        bad = [f"unknown area {a!r}" for a in profile.areas if a not in areas]
        bad += [f"unknown organisation {o!r}" for o in profile.organisations if o not in orgs]
        if profile.value_min is not None and profile.value_max is not None and profile.value_min > profile.value_max:
            bad.append("value_min is above value_max")
        if profile.key in first_line:
            bad.append(f"duplicate key {profile.key!r} (first on line {first_line[profile.key]})")
        if bad:
            problems.append(CsvProblem(start, "; ".join(bad)))
            continue
        first_line[profile.key] = start
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
    rows, result.problems = parse_rows(text, config)
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
