"""``tenderwatch follow-up``: the ILO's follow-up of calls per company, for scripting.

``list`` and ``export`` show what the board shows (``--ilo EMAIL``: only what that ILO address may see,
by the same scope rule as the web); ``set`` changes a state through the same rules as the web (who:
``--by``); ``import`` reads what ``export --format jsonl`` wrote; ``answers`` is the companies'
"Not for us" per technology area. Every bad argument is one line and exit status 2.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tenderwatch.cli.base import app, fail, organisation_code
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import data_out, shown

followup_app = typer.Typer(help="The ILO's follow-up of calls per company: list, set, export, import, answers.",
                           no_args_is_help=True)
app.add_typer(followup_app, name="follow-up")


def _area(app_ctx: AppContext, value: str | None) -> str | None:
    if value is None:
        return None
    known = [a.id for a in app_ctx.config.taxonomy.areas]
    if value not in known:
        fail(f"unknown technology area {value!r} (known: {', '.join(known)})", 2)
    return value


def _state(value: str | None) -> str | None:
    from tenderwatch.followup.states import TransitionError, parse_state

    if value is None:
        return None
    try:
        return parse_state(value)
    except TransitionError as exc:
        fail(str(exc), 2)


def _scope(app_ctx: AppContext, session: Any, ilo: str | None) -> frozenset[str] | None:
    """None (everything) or the organisations the ILO address ``ilo`` may see."""
    from tenderwatch.followup.scope import organisations_of_ilo

    if ilo is None:
        return None
    try:
        return organisations_of_ilo(session, app_ctx.config, ilo)
    except LookupError as exc:
        fail(str(exc), 2)


Organisation = Annotated[str | None, typer.Option("--organisation", "-o", metavar="CODE",
                                                  help="Only calls of this organisation.")]
Area = Annotated[str | None, typer.Option("--area", "-a", metavar="AREA", help="Only calls in this technology area.")]
StateOpt = Annotated[str | None, typer.Option("--state", "-s", metavar="STATE",
                                              help="Only this state (e.g. interested, bid_submitted).")]
IloOpt = Annotated[str | None, typer.Option("--ilo", metavar="EMAIL",
                                            help="Only what this ILO address may see (the web's scope rule).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Also finished follow-ups (won, lost, withdrawn, not interested).")]


def _rows(app_ctx: AppContext, organisation: str | None, area: str | None, state: str | None, call: str | None,
          include_closed: bool, ilo: str | None) -> list[Any]:
    from tenderwatch.db.engine import session_scope
    from tenderwatch.followup.board import BoardFilter, board_rows

    f = BoardFilter(organisation=organisation_code(app_ctx, organisation), area=_area(app_ctx, area),
                    state=_state(state), call_uid=call, include_closed=include_closed)
    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as session:
        return board_rows(session, f, _scope(app_ctx, session, ilo))


@followup_app.command("list")
def list_(ctx: typer.Context, organisation: Organisation = None, area: Area = None, state: StateOpt = None,
          call: Annotated[str | None, typer.Option("--call", metavar="CALL-ID", help="Only this call.")] = None,
          include_closed: AllOpt = False, ilo: IloOpt = None) -> None:
    """The open follow-ups by state, with deadlines (as the board /ilo/follow-up shows them)."""
    from tenderwatch.followup.states import label
    from tenderwatch.formats import format_deadline

    app_ctx: AppContext = ctx.obj
    rows = _rows(app_ctx, organisation, area, state, call, include_closed, ilo)
    tz = app_ctx.config.settings.timezone
    app_ctx.console.print(fitted_table(
        "Follow-up", [("state", CODE), ("deadline", CODE), ("org", CODE), ("company", CODE), ("call · note", TEXT)],
        [(shown(label(r.state)),
          shown(format_deadline(r.deadline_at, tz, "en", r.deadline_date) if r.deadline_at else "—"),
          shown(r.organisation or "—"), shown(r.company_key),
          f"{shown(r.title[:200])} [dim]({shown(r.call_uid)})[/]" + (f"\n[dim]{shown(r.note[:300])}[/]" if r.note
                                                                     else ""))
         for r in rows]))
    if not rows:
        app_ctx.err.print("no follow-ups match" + ("" if include_closed else " (finished ones: --all)"))


@followup_app.command("set")
def set_(
    ctx: typer.Context,
    call: Annotated[str, typer.Argument(metavar="CALL-ID", help="The call's id (as on its page and in exports).")],
    company: Annotated[str, typer.Argument(metavar="COMPANY", help="The company's key.")],
    state: Annotated[str, typer.Argument(metavar="STATE", help=(
        "suggested, proposed, informed, interested, not_interested, bid_submitted, won, lost or withdrawn."))],
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the change.")] = None,
    value: Annotated[str | None, typer.Option("--value", metavar="AMOUNT", help="A win's contract value.")] = None,
    currency: Annotated[str | None, typer.Option("--currency", metavar="CUR",
                                                 help="Its currency (ISO 4217, e.g. EUR).")] = None,
    why: Annotated[str | None, typer.Option("--why", help=(
        "For a company the call does not match: why it is followed up all the same."))] = None,
    by: Annotated[str | None, typer.Option("--by", metavar="NAME", help="Who makes the change (default: you).")] = None,
) -> None:
    """Change the state of a company's follow-up of a call (every change is kept)."""
    from alerts.facts import load_notices, profile_of
    from alerts.matching import CompanyIndex
    from tenderwatch.db.engine import session_scope
    from tenderwatch.followup.records import Actor, FollowUpError, change_state, find_call, find_company, parse_money
    from tenderwatch.followup.states import label

    app_ctx: AppContext = ctx.obj
    new = _state(state) or ""
    who = (by or f"{getpass.getuser()} (command line)").strip()[:200]
    engine = app_ctx.prepare_database(companies=False)
    try:
        amount, cur = parse_money(value, currency)
        with session_scope(engine) as session:
            found = find_company(session, company)
            ref = find_call(session, call)
            existing = session.scalar(_follow_up_query(ref.call_uid, found.id))
            origin = "matched"
            if existing is None:
                facts = load_notices(session, [ref.notice.id])[0]
                if not CompanyIndex([profile_of(found)]).companies_for(facts):
                    if not why:
                        fail(f"{company} does not match this call: say why it is followed up all the same (--why)", 2)
                    origin = "added"
            follow_up, _changed = change_state(session, call_uid=ref.call_uid, company=found, state=new,
                                               actor=Actor("ilo", who), note=note or why, value=amount, currency=cur,
                                               origin=origin, origin_note=why if origin == "added" else None)
            before = follow_up.changes[-1].from_state
    except FollowUpError as exc:
        fail(str(exc), 2)
    app_ctx.console.print(f"[green]✓[/] {shown(company)} on {shown(call)}: {shown(label(before) or 'new')} → "
                          f"{shown(label(new))}", soft_wrap=True)


def _follow_up_query(call_uid: str, company_id: int) -> Any:
    from sqlalchemy import select

    from tenderwatch.db.models import FollowUp

    return select(FollowUp).where(FollowUp.call_uid == call_uid, FollowUp.company_id == company_id)


@followup_app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="csv|jsonl", help=(
        "csv (the board's columns) or jsonl (every follow-up with its history, for import elsewhere)."))] = "csv",
    output: Annotated[Path | None, typer.Option("--output", metavar="FILE", help="File to write (default: stdout).")]
    = None,
    organisation: Organisation = None, area: Area = None, state: StateOpt = None, include_closed: AllOpt = False,
    ilo: IloOpt = None,
) -> None:
    """Write follow-ups as CSV (the board's rows) or JSON lines (everything, history included)."""
    from pipeline.csv_export import write_csv
    from tenderwatch.db.engine import session_scope
    from tenderwatch.followup.board import CSV_COLUMNS, csv_rows
    from tenderwatch.followup.transfer import write_jsonl

    app_ctx: AppContext = ctx.obj
    if fmt not in ("csv", "jsonl"):
        fail(f"unknown format {fmt!r} (csv or jsonl)", 2)
    if fmt == "jsonl" and (area or state or include_closed):
        fail("--format jsonl exports every follow-up (of --organisation or --ilo when given); "
             "--area, --state and --all are for csv", 2)
    try:
        out = output.open("w", encoding="utf-8", newline="") if output else data_out()
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", 2)
    try:
        if fmt == "csv":
            rows = _rows(app_ctx, organisation, area, state, None, include_closed, ilo)
            count = write_csv(out, CSV_COLUMNS, csv_rows(rows))  # type: ignore[arg-type]
        else:
            engine = app_ctx.prepare_database(companies=False)
            with session_scope(engine) as session:
                scope = _scope(app_ctx, session, ilo)
                code = organisation_code(app_ctx, organisation)
                if code is not None:
                    scope = frozenset({code}) & scope if scope is not None else frozenset({code})
                count = write_jsonl(session, out, scope)  # type: ignore[arg-type]
    finally:
        if output:
            out.close()
    unit = "follow-up(s)" if fmt == "csv" else "line(s)"
    app_ctx.err.print(f"[green]✓[/] exported {count} {unit} as {fmt}" + (f" to {shown(output)}" if output else ""))


@followup_app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="FILE", help="JSON lines from follow-up export --format jsonl, "
                                                             "or - for stdin.")],
) -> None:
    """Import follow-ups (after their calls and companies); bad lines are reported and kept as rejects."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.followup.transfer import import_lines

    app_ctx: AppContext = ctx.obj
    if path != "-" and not Path(path).is_file():
        fail(f"no such file: {path} (nothing imported)", 2)
    engine = app_ctx.prepare_database(companies=False)
    try:
        with session_scope(engine) as session:
            if path == "-":
                report = import_lines(session, sys.stdin, "<stdin>")
            else:
                with Path(path).open(encoding="utf-8", errors="replace") as stream:
                    report = import_lines(session, stream, path)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", 2)
    for where, why in report.problems[:50]:
        app_ctx.err.print(f"[red]rejected[/] {shown(where)}: {shown(why)}", highlight=False, soft_wrap=True)
    if len(report.problems) > 50:
        app_ctx.err.print(f"... and {len(report.problems) - 50} more (see the rejects table)")
    app_ctx.console.print(f"[green]✓[/] follow-ups imported: {report.new} new, {report.extended} with new changes, "
                          f"{report.unchanged} unchanged; {report.bidders} bidder-list entries; "
                          f"{len(report.problems)} rejected", soft_wrap=True)
    if report.problems:
        raise typer.Exit(1)


@followup_app.command("answers")
def answers(ctx: typer.Context) -> None:
    """The companies' "Not for us" answers per technology area: how precise matching is, by their word."""
    from tenderwatch.db.engine import session_scope
    from tenderwatch.followup.precision import answers_per_area
    from tenderwatch.followup.states import ANSWER_REASONS

    app_ctx: AppContext = ctx.obj
    labels = {a.id: a.label for a in app_ctx.config.taxonomy.areas}
    engine = app_ctx.prepare_database(companies=False)
    with session_scope(engine) as session:
        rows = answers_per_area(session)
    app_ctx.console.print(fitted_table(
        "Companies' answers per area", [("area", CODE), ("not for us", NUM), ("interested", NUM), ("share", NUM),
                                        ("reasons given", TEXT)],
        [(shown(labels.get(r.area, r.area)), str(r.not_for_us), str(r.interested), f"{r.not_for_us_share:.0%}",
          shown(", ".join(f"{ANSWER_REASONS.get(k, 'none given')} {n}" for k, n in r.reasons.most_common())) or "—")
         for r in rows]))
    if not rows:
        app_ctx.err.print("no company has answered yet (the Interested / Not for us links of digests and "
                          "targeted mails)")
