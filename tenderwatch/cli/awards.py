"""``tenderwatch awards``: who won what in TED award notices, where the money went (the return
coefficient with every origin of awards is ``tenderwatch georeturn report``).

Lists the winners stored from award notices (TED CAN/F03...), filtered by the winner's country,
the buying organisation and a date, with totals per organisation and currency. Amounts in
different currencies are never added together.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import typer

from tenderwatch.cli.base import app, fail, organisation_code
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import data_out, shown, write_data


def query_awards(session: Any, *, country: str | None, organisation: str | None,
                 since: date | None) -> list[dict[str, Any]]:
    """Awards as rows (date = contract date, else the notice's publication date), oldest first."""
    from sqlalchemy import func, select

    from tenderwatch.db.models import Award, Notice, Organisation

    when = func.coalesce(Award.awarded_at, Notice.published_at)
    stmt = (select(Award, Notice, Organisation.code).join(Notice, Award.notice_id == Notice.id)
            .outerjoin(Organisation, Notice.organisation_id == Organisation.id))
    if country:
        stmt = stmt.where(Award.winner_country == country)
    if organisation:
        stmt = stmt.where(Organisation.code == organisation)
    if since:
        stmt = stmt.where(when >= datetime(since.year, since.month, since.day, tzinfo=UTC))
    rows = []
    for award, notice, org_code in session.execute(stmt.order_by(when, Award.id)):
        at = award.awarded_at or notice.published_at
        rows.append({
            "date": at.date().isoformat() if at else None,
            "organisation": org_code,
            "buyer": notice.buyer_name,
            "notice": (notice.extra or {}).get("ted_publication_number") or notice.uid,
            "title": notice.title,
            "lot": award.lot_number,
            "winner": award.winner_name,
            "country": award.winner_country,
            "amount": award.value_amount,
            "currency": award.value_currency,
            "url": notice.url,
        })
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(organisation, currency) -> (awards, total amount); awards without a value count but add nothing."""
    out: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for row in rows:
        key = (row["organisation"] or "(other buyers)", row["currency"] or "-")
        out[key][0] += 1
        if row["amount"] is not None:
            out[key][1] += Decimal(row["amount"])
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.0f} {currency or ''}".replace(",", " ").strip()


@app.command("awards")
def awards(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Option("--country", metavar="CC",
                                                help="Winner's country, ISO alpha-2 (e.g. NL).")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", "-o", metavar="CODE",
                                                     help="Buying organisation code.")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD",
                                              help="Awards on or after this date (YYYY-MM-DD).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="table|csv|json", help="table, csv or json.")] = "table",
) -> None:
    """List contract winners with totals per organisation: where the money went."""
    app_ctx: AppContext = ctx.obj
    from tenderwatch.config.base import check_country
    from tenderwatch.date_input import DateInputError, parse_user_date
    from tenderwatch.db.engine import session_scope

    try:
        country_code = check_country(country) if country else None
    except ValueError as exc:
        fail(str(exc), 2)
    try:
        since_date = parse_user_date(since, field="--since")
    except DateInputError as exc:
        fail(str(exc), 2)
    if fmt not in ("table", "csv", "json"):
        fail(f"unknown format {fmt!r} (table, csv or json)", 2)
    org_code = organisation_code(app_ctx, organisation)
    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as session:
        rows = query_awards(session, country=country_code, organisation=org_code, since=since_date)
    if fmt == "json":
        for row in rows:
            row["amount"] = float(row["amount"]) if row["amount"] is not None else None
            write_data(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(data_out(), fieldnames=list(rows[0]) if rows else ["date"])
        writer.writeheader()
        writer.writerows(rows)
        return
    what = " ".join(x for x in (f"won by {country_code} firms" if country_code else "",
                                 f"from {org_code}" if org_code else "",
                                 f"since {since_date}" if since_date else "") if x)
    app_ctx.console.print(fitted_table(  # the winner and the title wrap; codes, dates and values never
        f"Awards {what}".strip(),
        [("date", CODE), ("org", CODE), ("notice", CODE), ("lot", CODE), ("cty", CODE), ("value", NUM),
         ("winner · title", TEXT)],
        [(*(shown(v) for v in (row["date"] or "?", row["organisation"] or "—", row["notice"], row["lot"] or "—",
                                row["country"] or "?", _money(row["amount"], row["currency"]))),
          f"{shown(row['winner'])}\n[dim]{shown((row['title'] or '')[:200])}[/]") for row in rows]))
    app_ctx.console.print(fitted_table(
        "Totals per organisation", [("organisation", CODE), ("awards", NUM), ("total", NUM)],
        [(shown(org), str(count), _money(total, None if cur == "-" else cur) if cur != "-" else "no value given")
         for (org, cur), (count, total) in totals(rows).items()]))
    if not rows:
        app_ctx.err.print("[yellow]no awards match[/] (awards come from TED award notices: "
                          "tenderwatch import, ted-* sources)")
