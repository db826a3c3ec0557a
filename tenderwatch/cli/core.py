"""Core commands: database, config check, import/export, classification."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.config import ConfigError
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown, write_data

SHOWN_PROBLEMS = 50
"""Rejected lines or files listed after an import (all of them are in the rejects table)."""

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (Alembic) and load the config into it."""
    app_ctx: AppContext = ctx.obj
    app_ctx.prepare_database(create=True)
    from tenderwatch.db.migrate import current_revision

    app_ctx.console.print(
        f"[green]✓[/] database {app_ctx.engine.url.render_as_string(hide_password=True)} "
        f"at revision {current_revision(app_ctx.engine)}"
    )


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate every config file; exit non-zero on any error, naming file, entry and field."""
    app_ctx: AppContext = ctx.obj
    try:
        cfg = app_ctx.config
    except ConfigError as exc:
        app_ctx.err.print(f"[bold red]✗ {len(exc.problems)} problem(s) in the config[/]")
        for line in exc.problems:
            app_ctx.err.print(f"  • {line}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    enabled = sum(1 for s in cfg.sources if s.enabled)
    app_ctx.console.print(
        f"[green]✓[/] {cfg.directory}: {len(cfg.organisations)} organisations, {len(cfg.sources)} sources "
        f"({enabled} enabled), {len(cfg.taxonomy.areas)} technology areas, {len(cfg.companies)} companies"
    )


EXPORT_UNITS = {"jsonl": "notice(s)", "csv": "notice(s)", "ocds": "release(s)", "atom": "call(s)",
                "ics": "deadline(s)"}
"""What each export format counts: notices (stages), OCDS releases (a notice and each of its changes),
calls (one feed entry each), deadlines (one calendar event per call)."""


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help=(
        "jsonl (the export contract), csv, ocds (a release package), atom (a feed of the calls) "
        "or ics (their deadlines)."))] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    open_only: Annotated[bool, typer.Option("--open-only", help="Only notices still open.")] = False,
) -> None:
    """Write stored notices in an open format."""
    app_ctx: AppContext = ctx.obj
    from pipeline.exporters import EXPORTERS

    if fmt not in EXPORTERS:
        fail(f"unknown format {fmt!r} (known: {', '.join(sorted(EXPORTERS))})", 2)
    engine = app_ctx.prepare_database()
    try:
        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}"
             + (f" (no folder {output.parent})" if output and not output.parent.is_dir() else ""), 2)
    try:
        count = EXPORTERS[fmt](engine, app_ctx.config, out, open_only=open_only)
    finally:
        if output:
            out.close()
    unit = EXPORT_UNITS.get(fmt, "item(s)")
    app_ctx.err.print(f"[green]✓[/] exported {count} {unit} as {fmt}" + (f" to {output}" if output else ""))


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH",
                                  help="Files or folders (JSON lines, TED XML, TED .tar.gz), or - for stdin.")
    ],
    max_gib: Annotated[float, typer.Option(
        "--max-gib", min=0.001, help="Most XML one import may decompress, in GiB (packages also stop past "
        "100 times their size).")] = 64,
) -> None:
    """Import notices; bad lines or files are reported and kept as rejects, the rest goes on."""
    app_ctx: AppContext = ctx.obj
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.import_base import GIB, ImportLimits, Problem
    from pipeline.importers import iter_items, read_jsonl
    from pipeline.ingest import Ingestor, fewer_collections

    missing = [p for p in paths if p != "-" and not Path(p).exists()]
    if missing:
        fail(f"no such file or folder: {', '.join(missing)} (nothing imported)", 2)
    limits = ImportLimits(max_bytes=int(max_gib * GIB))
    shown_problems: list[tuple[str, str]] = []  # the first SHOWN_PROBLEMS, without their raw input
    problem_count = 0
    # collections scaled to a bulk import from the start (``fewer_collections``): reading the configuration,
    # mirroring it and building the classifier allocate as much as a few hundred notices do
    with fewer_collections():
        engine = app_ctx.prepare_database()
        items = read_jsonl(sys.stdin, "<stdin>") if paths == ["-"] else iter_items((Path(p) for p in paths), limits)
        with Ingestor(engine, app_ctx.config) as ing, Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=app_ctx.err, transient=True, disable=not app_ctx.err.is_terminal,
        ) as progress:
            task = progress.add_task("import", total=None)
            batch = []  # new notices go in multi-row inserts (Ingestor.add_many): backfills of 100k+ notices
            for item in items:
                if isinstance(item, Problem):
                    problem_count += 1
                    if len(shown_problems) < SHOWN_PROBLEMS:
                        shown_problems.append((item.location, item.reason))
                    ing.reject(stage="import", location=item.location, reason=item.reason, raw=item.raw)
                else:
                    batch.append(item)
                    if len(batch) >= 500:
                        ing.add_many(batch)
                        batch = []
                progress.advance(task)
            ing.add_many(batch)
    counts: Counter[str] = ing.stats.counts
    for location, reason in shown_problems:
        app_ctx.err.print(f"[red]rejected[/] {shown(location)}: {shown(reason)}", highlight=False)
    if problem_count > len(shown_problems):
        app_ctx.err.print(f"... and {problem_count - len(shown_problems)} more (see the rejects table)")
    app_ctx.console.print(
        f"[green]✓[/] imported: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged, {counts['merged']} merged, {counts['rejected']} rejected"
    )
    if counts["rejected"]:
        raise typer.Exit(1)


@app.command("classify")
def classify(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="JSON lines with title, description, cpv_codes, language; - = stdin.")
    ] = "-",
) -> None:
    """Add technology_areas (id, score, evidence) to each JSON line and write it to stdout."""
    app_ctx: AppContext = ctx.obj
    from pipeline.classify import Classifier

    classifier = Classifier.for_config(app_ctx.config)
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", 2)
    bad = 0
    with stream:
        for lineno, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))  # a line that is not UTF-8 is a bad line, not a crash
                if not isinstance(obj, dict) or not isinstance(obj.get("title"), str):
                    raise ValueError("needs an object with a string 'title'")
            except ValueError as exc:
                bad += 1
                app_ctx.err.print(f"[red]line {lineno}[/]: {shown(exc)}")
                continue
            areas = classifier.classify(obj["title"], obj.get("description"), obj.get("cpv_codes") or [],
                                        obj.get("language"))
            obj["technology_areas"] = [a.model_dump() for a in areas]
            write_data(json.dumps(obj, ensure_ascii=False) + "\n")
    if bad:
        raise typer.Exit(1)


@app.command("reclassify")
def reclassify(ctx: typer.Context) -> None:
    """Re-run classification on every stored notice (after a rules or taxonomy change) and report how
    many notices changed areas."""
    app_ctx: AppContext = ctx.obj
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipeline.classify import Classifier
    from pipeline.reclassify import count_notices
    from pipeline.reclassify import reclassify as run

    engine = app_ctx.prepare_database()
    classifier = Classifier.for_config(app_ctx.config)
    with Progress(TextColumn("reclassifying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=app_ctx.err, transient=True, disable=not app_ctx.err.is_terminal) as progress:
        task = progress.add_task("reclassify", total=count_notices(engine))
        report = run(engine, classifier, progress=lambda n: progress.advance(task, n))
    classifier.keep_words()  # every stored notice's words under the new rules: the next import starts with them
    moves = [f"+{n} {area}" for area, n in sorted(report.gained.items())]
    moves += [f"-{n} {area}" for area, n in sorted(report.lost.items())]
    app_ctx.console.print(f"[green]✓[/] reclassified {report.total} notice(s): {report.changed} changed areas, "
                          f"{report.rescored} changed only scores or evidence"
                          + (f" ({', '.join(moves)})" if moves else ""), highlight=False)
