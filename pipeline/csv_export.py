"""Stored notices as CSV (one row per notice stage), and the one CSV cell guard every CSV uses.

Scraped text is hostile: a title starting with ``=``, ``+``, ``-`` or ``@`` becomes a formula when
the file is opened in a spreadsheet (CSV injection), so ``csv_safe`` prefixes such cells with an
apostrophe, as OWASP recommends. The web site's CSVs (matching companies, georeturn) use it too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Engine

from pipeline.export import iter_notices
from tenderwatch.config import Config
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Notice

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

NOTICE_COLUMNS = (
    "id", "call_id", "organisation", "reference", "notice_type", "status", "title", "published_at",
    "deadline_at", "deadline_date", "technology_areas", "cpv_codes", "estimated_value", "currency", "buyer",
    "eligible_countries", "url", "documents_url",
)
"""``deadline_date``: set for a date-only deadline (that day; ``deadline_at`` is then the end of it)."""


def csv_safe(value: Any) -> str:
    """One cell: ISO dates, plain decimals, lists joined by a space, formula starts neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
        count += 1
    return count


def notice_row(n: Notice) -> list[Any]:
    return [
        n.uid, n.call_uid, n.organisation.code if n.organisation else None, n.reference, n.notice_type, n.status,
        n.title, n.published_at, n.deadline_at, n.deadline_date.isoformat() if n.deadline_date else None,
        [a.area_id for a in n.areas], n.cpv_codes, n.value_amount,
        n.value_currency, n.buyer_name, n.eligible_countries if n.eligible_countries is not None else "all",
        n.url, n.documents_url,
    ]


def export_csv(engine: Engine, config: Config, out: IO[str], *, open_only: bool = False) -> int:
    """Write every stored notice as one CSV row; returns the number of rows."""

    with session_scope(engine) as session:
        return write_csv(out, NOTICE_COLUMNS, (notice_row(n) for n in iter_notices(session, open_only=open_only)))
