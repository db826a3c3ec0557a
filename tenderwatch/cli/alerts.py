"""Alert commands: ``digest``, ``notify``, ``deliver``, ``prune``, ``companies import`` and ``unsubscribe``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

companies_app = typer.Typer(help="Company profiles.", no_args_is_help=True)
app.add_typer(companies_app, name="companies")


def _progress(app_ctx: AppContext, label: str):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=app_ctx.err, transient=True, disable=not app_ctx.err.is_terminal)


def _delivery_lines(app_ctx: AppContext, delivery: object) -> None:
    errors = getattr(delivery, "errors", [])
    for line in errors[:20]:
        app_ctx.err.print(f"[red]✗[/] {shown(line)}", highlight=False)
    if len(errors) > 20:
        app_ctx.err.print(f"... and {len(errors) - 20} more")


@app.command("digest")
def digest(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option("--week", metavar="YYYY-Www",
                                             help="ISO week YYYY-Www (default: the current week).")] = None,
    daily: Annotated[bool, typer.Option("--daily", help="Send the daily companies' digest instead.")] = False,
    day: Annotated[str | None, typer.Option("--day", metavar="YYYY-MM-DD",
                                            help="With --daily: the day YYYY-MM-DD (default today).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Render and show, send and record nothing.")] = False,
    preview_dir: Annotated[Path | None, typer.Option(
        "--preview-dir", metavar="DIR", help="With --dry-run: where each rendered mail is written "
        "in a folder named after the period (.eml, .html preview, index.html; default: dry-run/ beside the "
        "outbox folder).")] = None,
) -> None:
    """Send the company digests of a period, exactly once (a second run sends nothing)."""
    app_ctx: AppContext = ctx.obj
    from alerts.digest import AlertsError, run_digests
    from tenderwatch.date_input import DateInputError, parse_user_date, parse_user_week

    if daily and week:
        fail("--week is for weekly digests; use --day with --daily", 2)
    try:
        the_day = parse_user_date(day, field="--day")
        week = parse_user_week(week, field="--week")
    except DateInputError as exc:
        fail(str(exc), 2)
    engine = app_ctx.prepare_database()
    with _progress(app_ctx, "matching and rendering") as progress:
        task = progress.add_task("digest", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if dry_run and preview_dir is None:
            preview_dir = Path(app_ctx.config.settings.mail.outbox).parent / "dry-run"
        try:
            report = run_digests(engine, app_ctx.config, week=week, dry_run=dry_run, progress=advance,
                                 frequency="daily" if daily else "weekly", day=the_day,
                                 preview_dir=preview_dir if dry_run else None)
        except AlertsError as exc:
            fail(str(exc))
            return
    if dry_run:
        app_ctx.console.print(fitted_table(
            f"Digests {report.period} (dry run: nothing sent or recorded)",
            [("company", CODE), ("calls", NUM), ("closing", NUM), ("subject", TEXT)],
            [(shown(r.company_key), str(r.listed), str(r.closing_soon), shown(r.subject)) for r in report.previews]))
        if report.rendered > len(report.previews):
            app_ctx.console.print(f"... and {report.rendered - len(report.previews)} more")
        if report.preview_dir is not None:
            app_ctx.console.print(f"every mail in {shown(str(report.preview_dir))}; "
                                  f"open {shown(str(report.preview_dir / 'index.html'))} in a browser")
    _delivery_lines(app_ctx, report.delivery)
    app_ctx.console.print(f"[green]✓[/] {report}")
    if report.failed:
        raise typer.Exit(1)


@app.command("notify")
def notify(ctx: typer.Context) -> None:
    """Send each ILO the new and changed calls of its organisations not yet notified (one batch each)."""
    app_ctx: AppContext = ctx.obj
    from alerts.notify import run_ilo_notifications

    engine = app_ctx.prepare_database()
    report = run_ilo_notifications(engine, app_ctx.config)
    _delivery_lines(app_ctx, report.delivery)
    app_ctx.console.print(f"[green]✓[/] ILO notifications: {report}")
    if report.delivery.failed or report.delivery.rejected:
        raise typer.Exit(1)


@app.command("deliver")
def deliver(ctx: typer.Context) -> None:
    """Retry pending and failed mails of the ledger whose backoff has passed."""
    app_ctx: AppContext = ctx.obj
    from alerts.outgoing import deliver_pending

    engine = app_ctx.prepare_database()
    report = deliver_pending(engine, app_ctx.config)
    _delivery_lines(app_ctx, report)
    app_ctx.console.print(f"[green]✓[/] {report.sent} sent, {report.failed} failed, {report.rejected} rejected, "
                          f"{report.deferred} deferred")
    if report.failed or report.rejected:
        raise typer.Exit(1)


@app.command("prune")
def prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; change nothing.")] = False,
) -> None:
    """Drop what the delivery ledger no longer needs (settings: mail.retention_days, mail.ledger_days).

    Sent mails older than retention_days lose their stored body and their
    outbox file (the outbox's index.html is rewritten); ledger rows older
    than ledger_days go. Mails still pending or waiting for a retry keep
    everything. Every digest run does the same at its end.
    """
    app_ctx: AppContext = ctx.obj
    from alerts.outbox_index import prune_outbox

    engine = app_ctx.prepare_database()
    report = prune_outbox(engine, app_ctx.config, dry_run=dry_run)
    mail = app_ctx.config.settings.mail
    app_ctx.console.print(f"[green]✓[/] {'would be: ' if dry_run else ''}{report} (retention "
                          f"{mail.retention_days} days, ledger {mail.ledger_days} days)")


@companies_app.command("import")
def companies_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="CSV with a header row (columns above).")],
) -> None:
    """Import or update company profiles from a CSV; every problem of a bad row is reported with its line.

    [bold]Columns[/] (a header row, any order; the first three are required):
      name           the company's name
      recipients     e-mail addresses (also: email)
      country        the company's country, ISO code: NL
      key            stable id (default: from the name); a re-import updates it
      language       en or nl (digests and pages)
      timezone       e.g. Europe/Amsterdam
      areas          area ids of config/taxonomy.yaml: cryogenics, vacuum...
      keywords       words or phrases looked for in titles and descriptions
      cpv            CPV code prefixes, 2 to 8 digits (also: cpv_prefixes)
      organisations  codes: CERN, ESA... (empty: all organisations)
      value_min      value band in EUR (and value_max)
      frequency      weekly or daily
    Lists in a cell: separated by ; or | (or , except in keywords).
    Comma or semicolon delimited, UTF-8 (Excel: "CSV UTF-8").
    A row without areas, keywords or cpv matches no call: imported, with a warning.
    A file to start from: docs/companies-example.csv
    """
    app_ctx: AppContext = ctx.obj
    from alerts.companies_csv import import_companies_csv

    if not file.is_file():
        fail(f"no such file: {file}" if not file.exists() else f"{file} is not a file", 2)
    engine = app_ctx.prepare_database()
    result = import_companies_csv(engine, app_ctx.config, file)
    for problem in result.problems:
        app_ctx.err.print(f"[red]skipped[/] {shown(file)}:{problem.line}: {shown(problem.message)}",
                          highlight=False, soft_wrap=True)
    for warning in result.warnings:
        app_ctx.err.print(f"[yellow]warning[/] {shown(file)}:{warning.line}: {shown(warning.message)}",
                          highlight=False, soft_wrap=True)
    app_ctx.console.print(f"[green]✓[/] {len(result.created)} created, {len(result.updated)} updated, "
                          f"{len(result.problems)} row(s) skipped, {len(result.warnings)} warning(s)")
    if result.problems:
        raise typer.Exit(1)


@app.command("unsubscribe")
def unsubscribe(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="TOKEN",
                                         help="The token of an unsubscribe link (or the whole link).")],
) -> None:
    """Apply an unsubscribe (or preferences) link's token: the company gets no more digests."""
    app_ctx: AppContext = ctx.obj
    from alerts.tokens import TokenError, read_token
    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Company

    token = token.strip().rsplit("/", 1)[-1]  # a whole pasted URL works too
    try:
        claims = read_token(app_ctx.config.settings, token, "unsubscribe")
    except TokenError as exc:
        fail(f"{exc}")
        return
    engine = app_ctx.prepare_database()
    with session_scope(engine) as session:
        company = session.query(Company).filter_by(key=claims.company_key).one_or_none()
        if company is None:
            fail(f"no company {claims.company_key!r} (removed since the link was sent)")
            return
        if company.unsubscribed_at is not None:
            app_ctx.console.print(f"{company.name} was already unsubscribed on {company.unsubscribed_at:%Y-%m-%d}")
            return
        company.unsubscribed_at = company.updated_at = datetime.now(UTC)
        name = company.name
    app_ctx.console.print(f"[green]✓[/] {name} unsubscribed: no more digests")
