"""The ``tenderwatch`` Typer application that every command module adds its commands to, its
global options (``--config``, ``--database``) and ``fail``, the one-line error exit.

Command modules import ``app`` and ``fail`` from here, never from ``tenderwatch.cli`` itself: the
package imports the command modules (``COMMAND_MODULES``), so they must not import it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperOption

from tenderwatch.context import AppContext
from tenderwatch.terminal import shown

app = typer.Typer(
    name="tenderwatch",
    help="Collect Big Science procurement notices, classify them and alert companies and ILOs.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
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
        typer.Option("--database", metavar="URL",
                     help="Database URL (default: $TENDERWATCH_DATABASE_URL or sqlite:///var/tenderwatch.db)."),
    ] = None,
) -> None:
    ctx.obj = AppContext(config_dir=config, db_url=database)
    ctx.call_on_close(ctx.obj.close)


def _flag_type(self: TyperOption, ctx: typer.Context) -> str | None:
    """A flag takes no value, so ``--help`` shows no type for it (typer shows ``<bool>``)."""
    return None if self.is_flag else _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def error_line(err: object, message: str) -> None:
    err.print(f"[bold red]error:[/] {shown(message)}", soft_wrap=True, highlight=False)  # type: ignore[attr-defined]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code`` (2: a bad argument)."""
    error_line(AppContext().err, message)
    raise typer.Exit(code)


def organisation_code(app_ctx: AppContext, value: str | None) -> str | None:
    """An ``--organisation`` argument as config spells its code (any case), or exit 2 naming the known ones."""
    if value is None:
        return None
    known = {o.code.casefold(): o.code for o in app_ctx.config.organisations}
    code = known.get(value.casefold())
    if code is None:
        fail(f"unknown organisation {value!r} (known: {', '.join(sorted(known.values()))})", 2)
    return code
