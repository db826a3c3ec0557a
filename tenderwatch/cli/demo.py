"""``tenderwatch demo``: the whole chain end to end on recorded pages, with a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tenderwatch.cli import app, fail
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown


@app.command("demo")
def demo(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--folder", help="Where the demo database and outbox go (wiped first).")]
    = Path("var/demo"),
) -> None:
    """Crawl every enabled source on recorded pages (loopback), classify, store, notify ILOs, write digests."""
    app_ctx: AppContext = ctx.obj
    from tenderwatch.demo import run_demo

    console = app_ctx.console
    console.rule("[bold]Tenderwatch demo")
    console.print(f"Recorded pages on a loopback server · SQLite in {folder} · mails to {folder / 'outbox'}")
    try:
        with console.status("crawling every enabled source through the real Scrapy engine..."):
            result = run_demo(app_ctx.config, folder)
    except OSError as exc:
        fail(f"cannot use the folder {folder}: {exc.strerror or exc}", 2)

    crawl = Table(title="Sources crawled", title_justify="left")
    for col in ("source", "status", "notices", "new", "problems"):
        crawl.add_column(col)
    colours = {"ok": "green", "empty": "yellow"}
    for s in result.crawl:
        crawl.add_row(s.source, f"[{colours.get(s.status, 'red')}]{s.status}[/]", str(s.notices), str(s.new),
                      shown("; ".join(s.problems)[:80]))
    console.print(crawl)

    orgs = Table(title="Notices stored per organisation", title_justify="left")
    orgs.add_column("organisation")
    orgs.add_column("notices", justify="right")
    for code, n in sorted(result.per_organisation.items()):
        orgs.add_row(code, str(n))
    orgs.add_row("[bold]all (incl. other buyers)[/]", f"[bold]{result.notices}[/]")
    console.print(orgs)

    console.print(f"ILO notifications: {result.notifications}")
    console.print(f"Digests: {result.digests}")
    outbox = result.outbox
    if outbox is not None:
        emls = sorted(outbox.glob("**/*.eml"))
        console.print(f"[green]✓[/] {len(emls)} message(s) in {outbox}; preview: {outbox / 'index.html'}")
    console.print(f"done in {result.seconds:.1f} s")
    if any(s.status == "failed" for s in result.crawl):
        raise typer.Exit(1)
