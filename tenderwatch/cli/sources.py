"""``tenderwatch sources``: list the configured sources with their health, and test one on a page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tenderwatch.cli import app, fail
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

sources_app = typer.Typer(help="Configured sources: list them, test one on a page.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("list")
def sources_list(ctx: typer.Context) -> None:
    """Every source in config/sources.yaml with its kind, organisation, format (verified or reconstructed) and
    run health."""
    app_ctx: AppContext = ctx.obj
    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Source

    cfg = app_ctx.config
    engine = app_ctx.prepare_database()
    with session_scope(engine) as session:
        rows = {s.name: s for s in session.scalars(select(Source))}
        table = Table(title=f"Sources ({cfg.directory}/sources.yaml)")
        for col in ("name", "kind", "organisation", "format", "enabled", "last run", "last success", "notices (avg)",
                    "failed/empty in a row", "health", "last error"):
            table.add_column(col, overflow="fold")
        for s in cfg.sources:
            row = rows.get(s.name)
            last = row.last_run_at.strftime("%Y-%m-%d %H:%M") if row and row.last_run_at else "never"
            success = row.last_success_at.strftime("%Y-%m-%d %H:%M") if row and row.last_success_at else ""
            notices = ""
            if row and row.last_run_notices is not None:
                avg = row.notices_seen_total / row.runs_total if row.runs_total else 0
                notices = f"{row.last_run_notices} ({avg:.1f})"
            streak = f"{row.consecutive_failures}/{row.consecutive_empty_runs}" if row and row.runs_total else ""
            if row is None or row.last_run_at is None:
                health = ""
            elif row.healthy:
                health = "[green]healthy[/]"
            else:
                health = f"[red]unhealthy[/] {shown(row.health_reason or '')}"
            fmt = "verified" if s.format == "verified" else "[yellow]reconstructed[/]"
            table.add_row(s.name, s.kind, s.organisation or "(per row)", fmt, "yes" if s.enabled else "[dim]no[/]",
                          last, success, notices, streak, health,
                          shown((row.last_error or "")[:120]) if row else "")
    app_ctx.console.print(table)


@sources_app.command("test")
def sources_test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Source name from config/sources.yaml.")],
    url: Annotated[str | None, typer.Option("--url", metavar="URL",
                                            help="Fetch this page (default: the source's first start URL).")]
    = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the page from this file instead of fetching.")]
    = None,
    page_url: Annotated[str | None, typer.Option("--as-url", metavar="URL",
                                                 help="With --file: the URL the page was saved from.")]
    = None,
) -> None:
    """Show the notices one page would give, with a warning per missing required field and empty selector."""
    app_ctx: AppContext = ctx.obj
    if url and file:
        fail("give --url or --file, not both", 2)
    cfg = app_ctx.config
    source = cfg.source(name)
    if source is None:
        fail(f"unknown source {name!r} (see 'tenderwatch sources list')", 2)
        return
    if source.kind == "ted":
        fail("TED sources are tested with the TED tools, not on one page", 2)
    from spiders.kinds.preview import fetch, preview, read_file

    target = url or page_url or (source.start_urls[0] if source.start_urls else None)
    if target is None:
        fail(f"source {name!r} has no start URL: give --url, or --file with --as-url", 2)
        return
    content_type = ""
    try:
        if file is not None:
            body = read_file(file)
        else:
            body, content_type = fetch(target, cfg, cfg.settings.crawl.download_maxsize_bytes)
    except (OSError, ValueError) as exc:
        fail(f"cannot read the page: {exc}")
        return
    engine = app_ctx.prepare_database()
    result = preview(source, cfg, engine, target, body, content_type)

    table = Table(title=f"{name}: {len(result.notices)} notice(s) from {file or target}")
    for col in ("#", "reference", "type", "title", "published", "deadline", "value", "org", "url"):
        table.add_column(col, overflow="fold")
    for i, n in enumerate(result.notices, 1):
        table.add_row(str(i), *(shown(n.get(k) or "") for k in ("reference", "notice_type", "title", "published",
                                                                 "deadline", "value")),
                      shown(n.get("organisation") or source.organisation or ""), shown(n.get("url") or ""))
    app_ctx.console.print(table)
    for i, field in result.missing:
        app_ctx.console.print(f"[yellow]warning:[/] notice {i}: required field '{field}' is missing")
    for problem in result.problems:
        app_ctx.console.print(f"[yellow]warning:[/] {shown(problem)}")
    if result.pending_detail:
        app_ctx.console.print(f"[dim]{result.pending_detail} notice(s) show the listing's values only: "
                              "their detail pages would complete them[/]")
    if result.follow:
        app_ctx.console.print(f"[dim]would follow {len(result.follow)} link(s) (not fetched):[/]")
        for link in result.follow[:20]:
            app_ctx.console.print(f"  [dim]{shown(link)}[/]", highlight=False)
    if not result.notices or result.missing or result.problems:
        raise typer.Exit(1)
