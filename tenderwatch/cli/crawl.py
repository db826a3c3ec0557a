"""``tenderwatch crawl``: one-shot crawl of some or all sources (the scheduler runs it in a child process)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown


@app.command("crawl")
def crawl(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(metavar="SOURCE",
                                                        help="Source names (default: every enabled source).")] = None,
    rewrite: Annotated[
        str | None,
        typer.Option("--rewrite", metavar="JSON",
                     help="JSON map of real URL prefix -> loopback prefix (tests and demo only).",
                     envvar="TENDERWATCH_URL_REWRITE"),
    ] = None,
    http_cache: Annotated[
        str | None, typer.Option("--http-cache", metavar="DIR",
                                 help="Folder for the HTTP cache (conditional requests).")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", metavar="LEVEL", help="Scrapy log level.")] = "WARNING",
) -> None:
    """Crawl sources, store their notices and record a run per source; exit 1 if any source failed."""
    app_ctx: AppContext = ctx.obj
    from spiders.runner import UnknownSourceError, crawl_sources

    engine = app_ctx.prepare_database()
    try:
        url_rewrite = json.loads(rewrite) if rewrite else None
    except json.JSONDecodeError as exc:
        fail(f"--rewrite is not JSON: {exc}", 2)
    try:
        summaries = crawl_sources(app_ctx.config, engine, sources or None, url_rewrite=url_rewrite,
                                  http_cache_dir=http_cache, log_level=log_level)
    except UnknownSourceError as exc:
        fail(str(exc), 2)
    colours = {"ok": "green", "empty": "yellow", "failed": "red"}
    app_ctx.console.print(fitted_table(
        "Crawl", [("source", CODE), ("status", CODE), ("notices", NUM), ("new", NUM), ("changed", NUM),
                  ("problems", TEXT)],
        [(s.source, f"[{colours.get(s.status, 'red')}]{s.status}[/]", str(s.notices), str(s.new), str(s.changed),
          shown("; ".join(s.problems)[:500])) for s in summaries]))
    if any(s.status not in ("ok", "empty") for s in summaries):
        raise typer.Exit(1)
