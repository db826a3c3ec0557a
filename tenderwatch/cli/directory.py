"""``tenderwatch directory``: the company directory from the command line: the records and their review
state, publishing one, and the printed brochure of the published ones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tenderwatch.cli.base import app, fail
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

directory_app = typer.Typer(help="The company directory: records, review, brochure.", no_args_is_help=True)
app.add_typer(directory_app, name="directory")


@directory_app.command("list")
def list_profiles(ctx: typer.Context) -> None:
    """Every company's directory record: listed or not, review state, when published."""
    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Company, DirectoryProfile

    app_ctx: AppContext = ctx.obj
    engine = app_ctx.prepare_database()
    table = Table(title="Directory records")
    for col in ("company", "name", "listed", "state", "published", "areas"):
        table.add_column(col)
    with session_scope(engine) as session:
        for profile, company in session.execute(select(DirectoryProfile, Company).join(
                Company, DirectoryProfile.company_id == Company.id).order_by(Company.key)):
            table.add_row(*(shown(v) for v in (
                company.key, company.name, "yes" if profile.listed else "no", profile.status,
                profile.published_at.date().isoformat() if profile.published_at else "—",
                ", ".join(profile.areas or []))))
    app_ctx.console.print(table)


@directory_app.command("publish")
def publish_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="COMPANY", help="The company's key.")],
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who reviewed it (kept with the record).")],
) -> None:
    """Publish a company's record as it stands (the ILO's review, done from the command line)."""
    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Company
    from tenderwatch.directory.profiles import ProfileError, publish

    app_ctx: AppContext = ctx.obj
    engine = app_ctx.prepare_database()
    with session_scope(engine) as session:
        company = session.scalar(select(Company).where(Company.key == key))
        if company is None:
            fail(f"no company {key!r}", 2)
        try:
            publish(session, company, by=by)
        except ProfileError as exc:
            fail(str(exc))
    app_ctx.console.print(f"[green]✓[/] {shown(key)} is in the public directory")


@directory_app.command("brochure")
def brochure_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="pdf|html", help="pdf or html.")] = "pdf",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Where to write it (default: directory-brochure.pdf or .html).")]
    = None,
) -> None:
    """Write the print-ready brochure of the published companies, grouped by technology area, with an index."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.directory.brochure import PdfUnavailableError, brochure_html, write_pdf

    app_ctx: AppContext = ctx.obj
    if fmt not in ("pdf", "html"):
        fail(f"unknown format {fmt!r} (pdf or html)", 2)
    path = output or Path(f"directory-brochure.{fmt}")
    if not path.parent.is_dir():
        fail(f"cannot write {path}: no folder {path.parent}", 2)
    engine = app_ctx.prepare_database()
    with session_scope(engine) as session:
        html, count = brochure_html(session, app_ctx.config, made=datetime.now(UTC).date())
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        try:
            write_pdf(html, path)
        except PdfUnavailableError as exc:
            fail(str(exc))
    app_ctx.console.print(f"[green]✓[/] {shown(str(path))}: {count} published compan{'y' if count == 1 else 'ies'}")
    if not count:
        app_ctx.err.print("[yellow]no company is published yet: companies edit their record through their "
                          "preferences link, an ILO publishes it (/ilo/directory)[/]")
