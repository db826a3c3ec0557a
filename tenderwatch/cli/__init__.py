"""The ``tenderwatch`` command line.

Each module in ``COMMAND_MODULES`` adds its commands to ``app`` when imported; the heavy imports
(Scrapy, Starlette...) happen inside the commands, so ``tenderwatch --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from tenderwatch.config import ConfigError
from tenderwatch.context import AppContext

app = typer.Typer(
    name="tenderwatch",
    help="Collect Big Science procurement notices, classify them and alert companies and ILOs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

COMMAND_MODULES = (
    "tenderwatch.cli.alerts",
    "tenderwatch.cli.awards",
    "tenderwatch.cli.core",
    "tenderwatch.cli.crawl",
    "tenderwatch.cli.demo",
    "tenderwatch.cli.rejects",
    "tenderwatch.cli.run",
    "tenderwatch.cli.sources",
    "tenderwatch.cli.web",
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config folder (default: $TENDERWATCH_CONFIG_DIR or ./config)."),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--database", help="Database URL (default: $TENDERWATCH_DATABASE_URL or sqlite:///var/tenderwatch.db)."),
    ] = None,
) -> None:
    ctx.obj = AppContext(config_dir=config, db_url=database)


def load_commands() -> typer.Typer:
    """Import every command module (each registers its commands on ``app``) and return ``app``."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    return app


def main() -> None:
    load_commands()
    try:
        app()
    except ConfigError as exc:
        err = AppContext().err
        err.print("[bold red]Configuration error[/]")
        for line in exc.problems:
            err.print(f"  • {line}", markup=False, soft_wrap=True)
        sys.exit(1)


def fail(message: str, code: int = 1) -> None:
    AppContext().err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
