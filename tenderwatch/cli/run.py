"""``tenderwatch run [--once]`` (the scheduler) and ``tenderwatch jobs`` (what it will do, and when)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from tenderwatch.cli.base import app, fail
from tenderwatch.cli.tables import CODE, NUM, TEXT, fitted_table
from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

EXIT_LOCKED = 3


def _logging(app_ctx: AppContext, level: str) -> None:
    from rich.logging import RichHandler

    handler = RichHandler(console=app_ctx.err, show_path=False, rich_tracebacks=True, markup=False)
    logging.basicConfig(level=level.upper(), format="%(message)s", datefmt="[%Y-%m-%d %H:%M:%S]",
                        handlers=[handler], force=True)
    if logging.getLogger().level > logging.DEBUG:  # the schema check at start is not news at every cycle
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _operations(app_ctx: AppContext):  # type: ignore[no-untyped-def]
    from scheduling.jobs import Operations

    engine = app_ctx.prepare_database(create=True)  # the scheduler makes its database, like db upgrade
    rewrite = os.environ.get("TENDERWATCH_URL_REWRITE")
    return Operations(app_ctx.config, engine, app_ctx.url,
                      child_env={"TENDERWATCH_URL_REWRITE": rewrite} if rewrite else {})


@app.command("run")
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one full cycle (all crawls, notifications, "
                                                      "digests due, health) and exit: for cron and CI.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", metavar="LEVEL",
                                           help="Python log level of the scheduler.")] = "INFO",
) -> None:
    """Start the scheduler: crawls, ILO notifications, digests and health checks on time, until SIGTERM.

    Only one scheduler may drive a database: a second one exits with status 3. SIGHUP reloads config/.
    """
    app_ctx: AppContext = ctx.obj
    _logging(app_ctx, log_level)
    from scheduling.cycle import run_once
    from scheduling.lock import SchedulerLockedError
    from scheduling.service import Scheduler

    ops = _operations(app_ctx)
    if once:
        try:
            with app_ctx.err.status("starting the cycle...") as status:
                report = run_once(ops, progress=lambda what: status.update(f"{what}..."))
        except SchedulerLockedError as exc:
            fail(f"refusing to start: {exc}", EXIT_LOCKED)
        _print_cycle(app_ctx, report)
        if report.failed:
            raise typer.Exit(1)
        return

    from tenderwatch.config import load_config

    scheduler = Scheduler(ops, reload_config=lambda: load_config(app_ctx.config_dir))
    try:
        code = scheduler.serve()
    except SchedulerLockedError as exc:
        fail(f"refusing to start: {exc}", EXIT_LOCKED)
    raise typer.Exit(code)


def _print_cycle(app_ctx: AppContext, report: Any) -> None:
    """The cycle's summary: every reason whole, wrapped to the terminal (a cut reason hides the cause)."""
    colours = {"ok": "green", "empty": "yellow", "not due": "dim"}
    rows = []
    for c in report.crawls:
        text = c.status + (f": {c.message}" if c.status == "failed" and c.message else "")
        rows.append((f"crawl {shown(c.source)}", f"{c.seconds:.1f}",
                     f"[{colours.get(c.status, 'red')}]{shown(text)}[/]"))
    for step, result in report.steps.items():
        rows.append((step, "", f"[{colours.get(result, 'red')}]{shown(result)}[/]"))
    table = fitted_table("Cycle", [("step", CODE), ("seconds", NUM), ("result", TEXT)], rows)
    app_ctx.console.print(table)
    if report.health:
        down = [c.source for c in report.health if not c.healthy]
        up = [c.source for c in report.health if c.healthy]
        parts = ([f"{len(down)} turned unhealthy ({', '.join(down)})"] if down else []) + \
            ([f"{len(up)} recovered ({', '.join(up)})"] if up else [])
        app_ctx.console.print(shown(f"health: {'; '.join(parts)}; one mail to "
                                     f"{app_ctx.config.settings.mail.admin_address}"), soft_wrap=False)


@app.command("jobs")
def jobs(ctx: typer.Context) -> None:
    """List the scheduler's jobs with their next run time (as stored, or as config plans them)."""
    app_ctx: AppContext = ctx.obj
    from scheduling.lock import lock_is_stale, lock_status
    from scheduling.plan import plan_jobs
    from scheduling.service import stored_jobs

    engine = app_ctx.prepare_database()
    tz = ZoneInfo(app_ctx.config.settings.timezone)
    now = datetime.now(UTC)
    stored = {job.id: job for job in stored_jobs(engine)}
    planned = plan_jobs(app_ctx.config)
    jobs_rows = []
    for plan in planned:
        job = stored.pop(plan.id, None)
        if job is not None:
            nxt = job.next_run_time
            what = escape(job.name) if job.name == plan.name else \
                f"{escape(plan.name)} [yellow](changed; applied on restart/SIGHUP)[/]"
        else:
            nxt = plan.trigger.get_next_fire_time(None, now.astimezone(tz))
            what = f"{escape(plan.name)} [dim](not stored yet)[/]"
        jobs_rows.append((f"{plan.id}\n[dim]{_when(nxt, tz)}[/]", _until(nxt, now), what))
    for job_id, job in stored.items():
        jobs_rows.append((f"{job_id}\n[dim]{_when(job.next_run_time, tz)}[/]", _until(job.next_run_time, now),
                          f"{escape(job.name)} [yellow](no longer in config; removed on restart/SIGHUP)[/]"))
    app_ctx.console.print(fitted_table(f"Jobs (times in {tz.key})", [("job · next run", CODE), ("in", CODE),
                                                                      ("what", TEXT)], jobs_rows))
    lock = lock_status(engine)
    if lock is None:
        app_ctx.console.print("scheduler: [yellow]not running[/] (start it with 'tenderwatch run')")
    elif lock_is_stale(lock, now):
        app_ctx.console.print(f"scheduler: [red]stale lock[/] of {lock.holder} (last heartbeat "
                              f"{lock.heartbeat_at.astimezone(tz):%Y-%m-%d %H:%M:%S}): it died; "
                              "the next run takes over")
    else:
        app_ctx.console.print(f"scheduler: [green]running[/] ({lock.holder}, since "
                              f"{lock.acquired_at.astimezone(tz):%Y-%m-%d %H:%M:%S})")


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return "paused" if moment is None else moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")


def _until(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    seconds = int((moment - now).total_seconds())
    if seconds < 0:
        return "due"
    hours, rest = divmod(seconds, 3600)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m"
