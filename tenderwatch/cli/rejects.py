"""``tenderwatch rejects list|show|retry``: the input that could not be processed, and a way back in.

Every rejected record (a bad import line, an unsafe or unreadable TED document, a spider item
that is not a notice, a record the database refused) is a row of ``rejects`` with the reason and
the raw input. ``list`` shows the open ones, ``show`` prints one's raw input exactly (to fix by
hand and re-import), ``retry`` runs them through today's code after a fix (``pipeline.reprocess``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown, write_data

rejects_app = typer.Typer(help="Rejected input: list, show, re-process after a fix.", no_args_is_help=True)
app.add_typer(rejects_app, name="rejects")

Stage = Annotated[str | None, typer.Option("--stage", metavar="STAGE",
                                           help="Only this stage (import, crawl, store...).")]
SourceOpt = Annotated[str | None, typer.Option("--source", metavar="SOURCE", help="Only this source.")]


@rejects_app.command("list")
def list_(
    ctx: typer.Context, stage: Stage = None, source: SourceOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Also those already re-processed.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 50,
) -> None:
    """The open rejects, newest last: where, why, and whether they were re-processed."""
    app_ctx: AppContext = ctx.obj
    from sqlalchemy import func, select

    from pipeline.reprocess import open_rejects
    from tenderwatch.db.engine import session_scope

    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as s:
        query = open_rejects(stage=stage, source=source, include_done=all_)
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(s.scalars(query.limit(limit)))
        table = fitted_table(
            f"Rejects ({total}{' in all' if all_ else ' open'})",
            [("id", NUM), ("stage", CODE), ("when", CODE), ("where · why", TEXT)],
            [(str(r.id), f"{r.stage}\n[dim]{shown(r.source_name or '')}[/]",
              r.created_at.strftime("%Y-%m-%d %H:%M")
              + (f"\n[dim]re-processed {r.reprocessed_at:%Y-%m-%d %H:%M}[/]" if r.reprocessed_at else ""),
              f"{shown(r.location[:200])}\n{shown(r.reason[:300])}") for r in rows])
    app_ctx.console.print(table)
    if total > limit:
        app_ctx.console.print(f"... {total - limit} more (--limit)")


@rejects_app.command("show")
def show(ctx: typer.Context, reject_id: Annotated[int, typer.Argument(metavar="ID", help="The reject's id.")]) -> None:
    """Print one reject's raw input exactly as kept (stdout), its reason on stderr."""
    app_ctx: AppContext = ctx.obj
    from tenderwatch.db.engine import session_scope
    from tenderwatch.db.models import Reject

    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as s:
        row = s.get(Reject, reject_id)
        if row is None:
            fail(f"no reject {reject_id}", 2)
        assert row is not None
        app_ctx.err.print(f"{row.stage} {shown(row.location)}: {shown(row.reason)}", highlight=False)
        write_data(row.raw or "")


@rejects_app.command("retry")
def retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(metavar="ID", help="Reject ids (default: every open one).")] = None,
    stage: Stage = None, source: SourceOpt = None,
) -> None:
    """Run open rejects through today's code; exit 1 if some still fail (they stay open)."""
    app_ctx: AppContext = ctx.obj
    from pipeline.reprocess import reprocess

    engine = app_ctx.prepare_database()
    if ids:
        from sqlalchemy import select

        from tenderwatch.db.engine import session_scope
        from tenderwatch.db.models import Reject

        with session_scope(engine) as s:
            unknown = sorted(set(ids) - set(s.scalars(select(Reject.id).where(Reject.id.in_(ids)))))
        if unknown:
            fail(f"no reject {', '.join(map(str, unknown))} (see 'tenderwatch rejects list --all')", 2)
    report = reprocess(engine, app_ctx.config, ids=ids or None, stage=stage, source=source)
    for rid, why in report.still[:50]:
        app_ctx.err.print(f"[red]still rejected[/] {rid}: {shown(why)}", highlight=False)
    app_ctx.console.print(f"[green]✓[/] {len(report.stored)} re-processed and stored, "
                          f"{len(report.still)} still rejected")
    if report.still:
        raise typer.Exit(1)
