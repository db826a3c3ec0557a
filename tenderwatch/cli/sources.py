"""``tenderwatch sources``: list the configured sources with their health, test one on a page, check them live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

sources_app = typer.Typer(help="Configured sources: list them, test one on a page, check them live.",
                          no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("list")
def sources_list(ctx: typer.Context) -> None:
    """Every source in config/sources.yaml with its kind, organisation, format (verified or reconstructed) and
    run health: the last run (and last success), notices in the last run (average), health and last error."""
    app_ctx: AppContext = ctx.obj
    from sqlalchemy import select

    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Source

    cfg = app_ctx.config
    engine = app_ctx.prepare_database()
    with session_scope(engine) as session:
        rows = {s.name: s for s in session.scalars(select(Source))}
        table_rows = []
        for s in cfg.sources:
            row = rows.get(s.name)
            last = row.last_run_at.strftime("%Y-%m-%d %H:%M") if row and row.last_run_at else "never"
            if row and row.last_success_at and row.last_success_at != row.last_run_at:
                last += f"\n[dim]ok {row.last_success_at:%Y-%m-%d %H:%M}[/]"
            notices = ""
            if row and row.last_run_notices is not None:
                avg = row.notices_seen_total / row.runs_total if row.runs_total else 0
                notices = f"{row.last_run_notices} ({avg:.1f})"
            if row is None or row.last_run_at is None:
                health = ""
            elif row.healthy:
                health = "[green]healthy[/]"
            else:
                health = f"[red]unhealthy[/] {shown(row.health_reason or '')}"
            if row and (row.consecutive_failures or row.consecutive_empty_runs):
                health += (f" ({row.consecutive_failures} failed, {row.consecutive_empty_runs} empty in a row)")
            if row and row.last_error:
                health += f"\n[dim]last error:[/] {shown(row.last_error[:300])}"
            fmt = "verified" if s.format == "verified" else "[yellow]reconstructed[/]"
            table_rows.append((f"{s.name}{'' if s.enabled else ' [dim](off)[/]'}\n[dim]{s.kind} ·[/] {fmt}",
                               s.organisation or "—", last, notices, health.strip()))
        table = fitted_table(f"Sources ({cfg.directory}/sources.yaml)",
                             [("source", CODE), ("org", CODE), ("last run", CODE), ("notices", NUM),
                              ("health", TEXT)], table_rows)
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
    from spiders.kinds.preview import fetch_request, first_requests, preview, read_file

    engine = app_ctx.prepare_database()
    firsts = first_requests(source, cfg, engine)  # the first page as a crawl asks for it (method, body)
    target = url or page_url or (firsts[0].url if firsts else None)
    if target is None:
        fail(f"source {name!r} has no start URL: give --url, or --file with --as-url", 2)
        return
    content_type = ""
    try:
        if file is not None:
            body = read_file(file)
        else:
            request = firsts[0].replace(url=target) if firsts and target.startswith(("http://", "https://")) \
                else target
            got = fetch_request(request, cfg, cfg.settings.crawl.download_maxsize_bytes)
            body, content_type = got.body, got.content_type
    except (OSError, ValueError) as exc:
        fail(f"cannot read the page: {exc}")
        return
    result = preview(source, cfg, engine, target, body, content_type)

    app_ctx.console.print(fitted_table(  # the title, value and url wrap; references, types and dates never
        f"{name}: {len(result.notices)} notice(s) from {shown(file or target)}",
        [("#", NUM), ("reference · type", CODE), ("published · deadline", CODE), ("title · value · url", TEXT)],
        [(str(i), f"{shown(n.get('reference') or '—')}\n[dim]{shown(n.get('notice_type') or '')}[/]",
          f"{shown(n.get('published') or '—')}\n{shown(n.get('deadline') or '—')}",
          "\n".join(x for x in (shown(n.get("title") or ""), shown(n.get("value") or ""),
                                 f"[dim]{shown(n.get('url') or '')}[/]",
                                 shown(n.get("organisation") or "")) if x and x != "[dim][/]"))
         for i, n in enumerate(result.notices, 1)]))
    for i, field in result.missing:
        app_ctx.console.print(f"[yellow]warning:[/] notice {i}: required field '{field}' is missing")
    for problem in result.problems:
        app_ctx.console.print(f"[yellow]warning:[/] {shown(problem)}")
    if result.unmapped:
        app_ctx.console.print(f"[yellow]warning:[/] type code(s) not in the source's notice_types: "
                              f"{shown(', '.join(result.unmapped))} (stored as they come, typed "
                              f"{source.default_notice_type})")
    if result.pending_detail:
        app_ctx.console.print(f"[dim]{result.pending_detail} notice(s) show the listing's values only: "
                              "their detail pages would complete them[/]")
    if result.follow:
        app_ctx.console.print(f"[dim]would follow {len(result.follow)} link(s) (not fetched):[/]")
        for link in result.follow[:20]:
            app_ctx.console.print(f"  [dim]{shown(link)}[/]", highlight=False)
    if not result.notices or result.missing or result.problems:
        raise typer.Exit(1)


@sources_app.command("check")
def sources_check(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Source names (default: every enabled source).")]
    = None,
) -> None:
    """Fetch each source's first page live, once and politely, and say what the configured selectors or paths
    extract from it: reachable or not, how many notices, which required fields are missing, and when nothing is
    extracted what the page is (size, title, a JavaScript application shell, top-level JSON keys). Then correct
    the entry in config/sources.yaml and try it with 'tenderwatch sources test NAME'. Exits 1 unless every
    source gives notices with all their required fields."""
    app_ctx: AppContext = ctx.obj
    cfg = app_ctx.config
    chosen = []
    for name in names or [s.name for s in cfg.sources if s.enabled]:
        source = cfg.source(name)
        if source is None:
            fail(f"unknown source {name!r} (see 'tenderwatch sources list')", 2)
            return
        chosen.append(source)
    from spiders.kinds.preview import Politeness, check_source

    engine = app_ctx.prepare_database()
    manners = Politeness(cfg)
    out = app_ctx.console
    good = bad = 0
    for source in chosen:
        head = f"[bold]{shown(source.name)}[/] ({source.kind}, {source.format})"
        if source.kind == "ted":
            out.print(f"{head}: not checked here (the TED search API: 'tenderwatch crawl {shown(source.name)}' "
                      "shows its runs)")
            continue
        for check in check_source(source, cfg, engine, manners):
            out.print(f"{head} {shown(check.url)}", highlight=False)
            if not check.reachable:
                out.print(f"  [red]not reachable:[/] {shown(check.error or '')}")
                bad += 1
                continue
            result = check.result
            assert result is not None
            status = "" if check.status == 200 else f" [red](HTTP {check.status})[/]"
            colour = "green" if result.notices else "red"
            out.print(f"  reachable{status}; [{colour}]{len(result.notices)} notice(s)[/] extracted")
            for field, count in result.missing_counts().items():
                out.print(f"  [yellow]required field '{field}' missing[/] on {count} of {len(result.notices)}")
            for problem in result.problems[:10]:  # the URL is on the source's line already
                out.print(f"  [yellow]problem:[/] {shown(problem.removeprefix(f'{check.url}: '))}")
            if result.unmapped:
                out.print(f"  [yellow]type code(s) not in notice_types:[/] {shown(', '.join(result.unmapped))}")
            if check.facts is not None:
                out.print(f"  the page: {shown(check.facts.describe())}")
            if check.ok:
                good += 1
            else:
                bad += 1
    out.print(f"{good} page(s) give notices with every required field, {bad} need attention"
              + (": correct config/sources.yaml and try 'tenderwatch sources test NAME'" if bad else ""))
    if bad:
        raise typer.Exit(1)
