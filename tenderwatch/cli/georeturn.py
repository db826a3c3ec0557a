"""``tenderwatch georeturn``: award lists in, exchange rates in, and the return coefficient out.

- ``import FILE``: an award list an organisation publishes (CSV or XLSX), bad rows reported by line;
- ``rates [FILE-OR-URL]``: the ECB's euro reference rates into the database (without an argument:
  what the shipped table and the database hold);
- ``report``: the figures of the /georeturn page for one organisation, country and period.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tenderwatch.cli.base import app, fail, organisation_code
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown, write_data

georeturn_app = typer.Typer(help="Georeturn: award lists, exchange rates, return coefficients.",
                            no_args_is_help=True)
app.add_typer(georeturn_app, name="georeturn")


@georeturn_app.command("import")
def import_list(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The award list: CSV (UTF-8) or XLSX.")],
    organisation: Annotated[str | None, typer.Option("--organisation", "-o", metavar="CODE",
                                                     help="The organisation of every row (when the list has "
                                                          "no organisation column).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Also remove rows an earlier import of a file of "
                                                            "this name added that this file no longer has.")] = False,
) -> None:
    """Import an award list (organisation, date, supplier, supplier_country, value, currency, category)."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.georeturn.award_list import import_award_list

    app_ctx: AppContext = ctx.obj
    org = organisation_code(app_ctx, organisation)
    if not path.is_file():
        fail(f"{path}: no such file", 2)
    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as session:
        result = import_award_list(session, app_ctx.config, path, organisation=org, replace=replace)
    for problem in result.problems:
        app_ctx.err.print(f"[yellow]{shown(str(problem))}[/]", soft_wrap=True)
    if not result.rows and result.problems:
        fail(f"{path.name}: nothing imported ({len(result.problems)} problem(s) above)")
    app_ctx.console.print(
        f"[green]✓[/] {shown(path.name)}: {result.added} award(s) added, {result.unchanged} already known"
        + (f", {result.removed} removed" if replace else "")
        + (f"; {len(result.problems)} row(s) skipped (above)" if result.problems else ""))
    if result.problems:
        raise typer.Exit(1)


@georeturn_app.command("rates")
def rates(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(
        metavar="[FILE-OR-URL]", help="An ECB reference rates file (eurofxref-hist.zip, eurofxref.zip, "
                                      "eurofxref-daily.xml, ... or their CSV) or its http(s) URL.")] = None,
) -> None:
    """Load the European Central Bank's euro reference rates (or, without an argument, say what is loaded)."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.georeturn.rates import RateFileError, load_table, parse_rates, read_source, store_rates

    app_ctx: AppContext = ctx.obj
    engine = app_ctx.prepare_database(companies=False)
    if source is not None:
        try:
            data, name = read_source(source)
            parsed = parse_rates(data, name)
        except (OSError, RateFileError) as exc:
            fail(str(exc))
        for problem in parsed.problems[:50]:
            app_ctx.err.print(f"[yellow]{shown(problem)}[/]", soft_wrap=True)
        if not parsed.count:
            fail(f"{name}: no rates found")
        with session_scope(engine) as session:
            added, changed = store_rates(session, parsed, f"ECB reference rates from {name}")
        app_ctx.console.print(f"[green]✓[/] {shown(name)}: {parsed.count} rates of {len(parsed.rates)} currencies "
                              f"up to {parsed.last_day}; {added} added, {changed} changed")
    with session_scope(engine) as session:
        table = load_table(session)
    app_ctx.console.print(f"Rates in use: {shown(table.source)}, {len(table.currencies) - 1} currencies, "
                          f"the newest of {table.last_day}")


@georeturn_app.command("report")
def report_command(
    ctx: typer.Context,
    organisation: Annotated[str, typer.Option("--organisation", "-o", metavar="CODE",
                                              help="Organisation code (with contribution figures in config).")],
    country: Annotated[str | None, typer.Option("--country", metavar="CC",
                                                help="ISO alpha-2 (default: the home_country setting).")] = None,
    year: Annotated[int | None, typer.Option("--year", min=1950, max=2100,
                                             help="A calendar year instead of the rolling period.")] = None,
    end: Annotated[str | None, typer.Option("--end", metavar="YYYY-MM-DD",
                                            help="Last day of the rolling period (default: today).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="table|json", help="table or json.")] = "table",
) -> None:
    """The return coefficient of a country with an organisation, as the /georeturn page shows it."""
    from tenderwatch.config.base import check_country
    from tenderwatch.date_input import DateInputError, parse_user_date
    from tenderwatch.db.engine import session_scope
    from tenderwatch.georeturn.balance import Period, report
    from tenderwatch.georeturn.figures import report_json
    from tenderwatch.georeturn.rates import load_table

    app_ctx: AppContext = ctx.obj
    code = organisation_code(app_ctx, organisation)
    org = app_ctx.config.organisation(code or "")
    assert org is not None
    try:
        cc = check_country(country or app_ctx.config.settings.home_country)
        last = parse_user_date(end, field="--end") or date.today()
    except (ValueError, DateInputError) as exc:
        fail(str(exc), 2)
    if fmt not in ("table", "json"):
        fail(f"unknown format {fmt!r} (table or json)", 2)
    period = Period.year(year) if year else Period.rolling(last, org.return_rule.period_months if org.return_rule
                                                           else 12)
    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as session:
        result = report(session, org, cc, period, load_table(session))
    if fmt == "json":
        write_data(json.dumps(report_json(result, app_ctx.config), ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{code} and {cc}, {period.label}")
    for col in ("contracts", "orders (EUR)", "share of orders", "contribution share", "coefficient", "class"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for kind in result.kinds:
        row = result.balance(kind)
        if row is None:
            continue
        table.add_row(*(shown(v) for v in (
            f"{row.contracts} ({kind})", f"{row.orders_eur:,.0f}", _pct(row.orders_share),
            _pct(row.contribution_share), f"{row.coefficient:.2f}" if row.coefficient is not None else "—",
            result.label(kind, row.coefficient) or "—")))
    app_ctx.console.print(table)
    app_ctx.console.print(shown(result.completeness()))
    if not org.contributions:
        app_ctx.err.print(f"[yellow]{code} has no contribution figures in organisations.yaml: "
                          "no coefficient[/]")


def _pct(value: object) -> str:
    return "—" if value is None else f"{value:.2f}%"
