"""``tenderwatch demo``: the whole chain end to end on recorded pages, with a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.demo import DEMO_DIR, DEMO_PORT, DemoSite
from tenderwatch.terminal import shown


@app.command("demo")
def demo(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("--folder", help="Where the demo database and outbox go (wiped first).")]
    = DEMO_DIR,
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="The port of the demo's site (its mails link there).")] = DEMO_PORT,
) -> None:
    """Crawl every enabled source on recorded pages (loopback), classify, store, notify ILOs, write digests."""
    app_ctx: AppContext = ctx.obj
    from tenderwatch.demo import run_demo

    console = app_ctx.console
    console.rule("[bold]Tenderwatch demo")
    console.print(f"Recorded pages on a loopback server · SQLite in {folder} · mails to {folder / 'outbox'}")
    try:
        with console.status("crawling every enabled source through the real Scrapy engine..."):
            result = run_demo(app_ctx.config, folder, port=port)
    except OSError as exc:
        fail(f"cannot use the folder {folder}: {exc.strerror or exc}", 2)

    colours = {"ok": "green", "empty": "yellow"}
    console.print(fitted_table(
        "Sources crawled", [("source", CODE), ("status", CODE), ("notices", NUM), ("new", NUM), ("problems", TEXT)],
        [(s.source, f"[{colours.get(s.status, 'red')}]{s.status}[/]", str(s.notices), str(s.new),
          shown("; ".join(s.problems)[:500])) for s in result.crawl]))
    console.print(fitted_table(
        "Calls stored per organisation", [("organisation", CODE), ("calls", NUM)],
        [*((code, str(n)) for code, n in sorted(result.per_organisation.items())),
         ("[bold]all (incl. other buyers)[/]", f"[bold]{result.notices}[/]")]))

    follow_ups = result.follow_ups
    if follow_ups is not None:
        console.print(f"Follow-up: {follow_ups.follow_ups} companies on {len(follow_ups.calls)} calls in several "  # type: ignore[attr-defined]
                      f"states, {follow_ups.mails} targeted mail(s) (board: /ilo/follow-up)")  # type: ignore[attr-defined]
    console.print(f"Award list for georeturn: {result.awards_imported} award(s) imported "
                  "(docs/award-list-example.csv, invented suppliers); company directory: "
                  f"{result.profiles_published} record(s) published")
    console.print(f"ILO notifications: {result.notifications}")
    console.print(f"Digests: {result.digests}")
    outbox = result.outbox
    if outbox is not None:
        emls = sorted(outbox.glob("**/*.eml"))
        console.print(f"[green]✓[/] {len(emls)} message(s) in {outbox}; preview: {outbox / 'index.html'}")
    console.print(f"done in {result.seconds:.1f} s")
    here = "" if folder == DEMO_DIR else f" --demo-folder {folder}"
    show_demo_site(console, folder, result.site, command=f"run 'make serve-demo' (or 'tenderwatch serve --demo{here}')"
                   if not here else f"run 'tenderwatch serve --demo{here}'")
    if any(s.status == "failed" for s in result.crawl):
        raise typer.Exit(1)


def show_demo_site(console: Console, folder: Path, site: DemoSite | None, *, command: str = "") -> None:
    """Where to see the demo in a browser and how to sign in as its ILO (``demo`` and ``serve --demo``)."""
    if site is None:
        return
    if command:
        console.print(f"\n[bold]See it in a browser:[/] {command}, then open {site.url}/calls", soft_wrap=True)
    else:
        console.print(f"[bold]The demo of {folder}[/] on {site.url}/calls", soft_wrap=True)
    console.print(f"ILO pages: {site.url}/ilo/ · sign in as [bold]{site.user}[/], password "
                  f"[bold]{shown(site.password)}[/]", soft_wrap=True)
    console.print(f"The links in the mails of {folder / 'outbox'} (preferences, unsubscribe) open on this site.",
                  soft_wrap=True)
