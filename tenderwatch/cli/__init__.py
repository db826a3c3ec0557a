"""The ``tenderwatch`` command line.

Each module in ``COMMAND_MODULES`` adds its commands to ``app`` (``tenderwatch.cli.base``) when
imported; the heavy imports (Scrapy, Starlette...) happen inside the commands, so
``tenderwatch --help`` stays fast.
``HELP_PANELS`` groups them in ``--help``, daily use first. ``main`` turns every error a user can
cause (config, database, files, interrupted runs) into one line and a non-zero exit: a traceback
only with ``TENDERWATCH_DEBUG=1``.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence

import typer

from tenderwatch.cli.base import app, error_line, fail
from tenderwatch.config import ConfigError
from tenderwatch.context import AppContext

__all__ = ["COMMAND_MODULES", "HELP_PANELS", "app", "fail", "load_commands", "main"]

HELP_PANELS: dict[str, tuple[str, ...]] = {
    "Daily use": ("crawl", "sources", "notify", "digest", "deliver", "awards", "georeturn", "export", "rejects"),
    "Web site and companies": ("serve", "users", "companies", "directory", "follow-up", "links", "unsubscribe"),
    "Data in": ("import", "classify", "reclassify"),
    "Running unattended": ("run", "jobs", "prune"),
    "Setting up and trying out": ("demo", "db", "config"),
}
"""Every command's panel in ``tenderwatch --help``, in this order (a test checks none is left out)."""

DEBUG_ENV = "TENDERWATCH_DEBUG"

COMMAND_MODULES = (
    "tenderwatch.cli.alerts",
    "tenderwatch.cli.awards",
    "tenderwatch.cli.core",
    "tenderwatch.cli.crawl",
    "tenderwatch.cli.demo",
    "tenderwatch.cli.directory",
    "tenderwatch.cli.followup",
    "tenderwatch.cli.georeturn",
    "tenderwatch.cli.rejects",
    "tenderwatch.cli.run",
    "tenderwatch.cli.sources",
    "tenderwatch.cli.web",
)


def load_commands() -> typer.Typer:
    """Import every command module (each registers its commands on ``app``), put each command in its
    ``HELP_PANELS`` panel, in the panels' order, and return ``app``."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    order = {name: i for i, name in enumerate(name for names in HELP_PANELS.values() for name in names)}
    panel = {name: title for title, names in HELP_PANELS.items() for name in names}
    for info in (*app.registered_commands, *app.registered_groups):
        name = info.name or (info.callback.__name__ if info.callback else "")
        info.rich_help_panel = panel.get(name)
    app.registered_commands.sort(key=lambda c: order.get(c.name or "", len(order)))
    app.registered_groups.sort(key=lambda g: order.get(g.name or "", len(order)))
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """The ``tenderwatch`` entry point: one line and a non-zero exit for every error, never a traceback."""
    from sqlalchemy.exc import DBAPIError

    from tenderwatch.db.engine import DatabaseUnavailableError, driver_message

    load_commands()
    err = AppContext().err
    try:
        app(args=list(argv) if argv is not None else None, prog_name="tenderwatch")
    except ConfigError as exc:
        err.print("[bold red]Configuration error[/]")
        for line in exc.problems:
            err.print(f"  • {line}", markup=False, soft_wrap=True)
        sys.exit(1)
    except DatabaseUnavailableError as exc:
        error_line(err, str(exc))
        sys.exit(1)
    except DBAPIError as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        error_line(err, f"database error: {driver_message(exc)}")
        sys.exit(1)
    except KeyboardInterrupt:
        error_line(err, "interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, with the way to the traceback
        if os.environ.get(DEBUG_ENV):
            raise
        error_line(err, f"unexpected {type(exc).__name__}: {exc} (this is a bug: run again with "
                         f"{DEBUG_ENV}=1 for the traceback and report it)")
        sys.exit(70)
    finally:
        # The command is over (its connections closed by ``AppContext.close``): the interpreter's exit need not
        # walk the heap for cycles (start-up's configuration, classifier tables, SQLAlchemy's metadata) again.
        # Frozen objects are still freed; only the collector's passes are skipped: 0.15 s of CPU a command.
        gc.freeze()
